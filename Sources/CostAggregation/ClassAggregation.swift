import Foundation
import Tensor

/// Class aggregation of one layer (`attention`, `ClassTransformerLayer`,
/// docs/segmentation-core.md §4.7): average-pool each class map, run linear
/// attention (`φ = elu + 1`, eps 1e-6, no output projection) along the class
/// axis at every pooled pixel with the class axis padded to `pad_len` by a
/// learned token, add a ReLU MLP, un-pool bilinearly (align_corners=True) and
/// add to the input, so the layer output is `x + unpool(pool(x) + Δ)`.
///
/// The padded tokens are identical at every pixel and their outputs are
/// dropped, so only their keys and values matter: the sums
/// `n_pad·φ(k_pad)⊗v_pad` and `n_pad·φ(k_pad)` are computed once per call and
/// start every pixel's sums. Like the Swin block, q/k are split into the part
/// reading the normed tokens (one stacked GEMM) and the part reading the text
/// guidance (one small GEMM per image and class).
struct ClassLayer: Sendable {
    let norm1: Affine
    /// `[3C, C]` (q, k, v rows) and `[3C]`.
    let qkv: Affine
    /// `[2C, Ct]`: the text-guidance columns of q and k.
    let guidanceQK: Tensor
    let mlpIn: Affine
    let mlpOut: Affine
    let norm2: Affine
    /// `[C]` and `[Ct]` (absent when `pad_len` is 0).
    let paddingToken: Tensor?
    let paddingGuidance: Tensor?

    /// Runs the layer on `x` = `[images·classes·H·W, C]` (rows ordered image,
    /// class, pixel). `textGuidance` is `[images·classes, Ct]`. Returns the
    /// pooled class-attention output `[images·classes·Hp·Wp, C]` (before the
    /// un-pooling and the outer residual), for the stage trace.
    func apply(
        _ x: inout Tensor, textGuidance: Tensor, images: Int, classes: Int, resolution: Int, pooling: Int,
        padLength: Int, heads: Int
    ) throws(TensorError) -> Tensor {
        let c = norm1.weight.count
        let maps = images * classes
        let pooled = resolution / pooling
        let pooledPixels = pooled * pooled
        let rows = maps * pooledPixels
        // s = pool(x); it becomes pool(x) + Δ below (a copy of x is made on its first write).
        var s = pooling == 1 ? x : try averagePool(x, maps: maps, resolution: resolution, pooling: pooling, channels: c)
        let normed = try s.layerNorm(weight: norm1.weight, bias: norm1.bias)
        var qkvRows = try Tensor.linear(normed, weight: qkv.weight, bias: qkv.bias)
        let guidanceTerms = try Tensor.linear(textGuidance, weight: guidanceQK)       // [maps, 2C]
        let padCount = padLength > classes ? padLength - classes : 0
        let headWidth = c / heads

        // Padded keys/values: φ(k_pad) and v_pad, scaled into the constant sums.
        var padKV = [Float](repeating: 0, count: heads * headWidth * headWidth)
        var padKeySum = [Float](repeating: 0, count: c)
        if padCount > 0, let paddingToken, let paddingGuidance {
            let token = try Tensor(shape: [1, c], scalars: paddingToken.scalars)
            let padProjected = try Tensor.linear(try token.layerNorm(weight: norm1.weight, bias: norm1.bias),
                                                 weight: qkv.weight, bias: qkv.bias).scalars
            let padGuidance = try Tensor.linear(try Tensor(shape: [1, paddingGuidance.count], scalars: paddingGuidance.scalars),
                                                weight: guidanceQK).scalars
            let count = Float(padCount)
            for h in 0..<heads {
                for i in 0..<headWidth {
                    let channel = h * headWidth + i
                    let phiK = eluPlusOne(padProjected[c + channel] + padGuidance[c + channel])
                    padKeySum[channel] = count * phiK
                    for j in 0..<headWidth {
                        padKV[(h * headWidth + i) * headWidth + j] = count * phiK * padProjected[2 * c + h * headWidth + j]
                    }
                }
            }
        }

        // φ(q), φ(k) with the guidance terms, in place.
        qkvRows.withUnsafeMutableBufferPointer { buffer in
            guidanceTerms.withUnsafeBufferPointer { g in
                for row in 0..<rows {
                    let map = row / pooledPixels
                    let dst = buffer.baseAddress! + row * 3 * c
                    let src = g.baseAddress! + map * 2 * c
                    for j in 0..<(2 * c) { dst[j] = eluPlusOne(dst[j] + src[j]) }
                }
            }
        }

        var attended = [Float](repeating: 0, count: rows * c)
        var kvScratch = [Float](repeating: 0, count: headWidth * headWidth)
        var keySumScratch = [Float](repeating: 0, count: headWidth)
        qkvRows.withUnsafeBufferPointer { pqkv in
        attended.withUnsafeMutableBufferPointer { pout in
        padKV.withUnsafeBufferPointer { ppadKV in
        padKeySum.withUnsafeBufferPointer { ppadSum in
        kvScratch.withUnsafeMutableBufferPointer { pkv in
        keySumScratch.withUnsafeMutableBufferPointer { psum in
            let kv = pkv.baseAddress!, keySum = psum.baseAddress!
            let stride = pooledPixels * 3 * c
            for image in 0..<images {
                for pixel in 0..<pooledPixels {
                    let first = pqkv.baseAddress! + ((image * classes) * pooledPixels + pixel) * 3 * c
                    for h in 0..<heads {
                        let offset = h * headWidth
                        // Σ over the padded tokens (constant) and the real classes of φ(k)⊗v and φ(k).
                        kv.update(from: ppadKV.baseAddress! + h * headWidth * headWidth, count: headWidth * headWidth)
                        keySum.update(from: ppadSum.baseAddress! + offset, count: headWidth)
                        for t in 0..<classes {
                            let token = first + t * stride
                            let k = token + c + offset, v = token + 2 * c + offset
                            for i in 0..<headWidth {
                                let ki = k[i]
                                keySum[i] += ki
                                let row = kv + i * headWidth
                                for j in 0..<headWidth { row[j] += ki * v[j] }
                            }
                        }
                        // out_t = φ(q_t)·KV / (φ(q_t)·Σφ(k) + eps)
                        for t in 0..<classes {
                            let q = first + t * stride + offset
                            var denominator: Float = 0
                            for i in 0..<headWidth { denominator += q[i] * keySum[i] }
                            let inverse = 1 / (denominator + 1e-6)
                            let dst = pout.baseAddress! + ((image * classes + t) * pooledPixels + pixel) * c + offset
                            for i in 0..<headWidth {
                                let qi = q[i]
                                let row = kv + i * headWidth
                                for j in 0..<headWidth { dst[j] += qi * row[j] }
                            }
                            for j in 0..<headWidth { dst[j] *= inverse }
                        }
                    }
                }
            }
        }
        }
        }
        }
        }
        }

        addInPlace(&s, try Tensor(shape: [rows, c], scalars: attended))
        var hidden = try Tensor.linear(try s.layerNorm(weight: norm2.weight, bias: norm2.bias),
                                       weight: mlpIn.weight, bias: mlpIn.bias)
        reluInPlace(&hidden)
        addInPlace(&s, try Tensor.linear(hidden, weight: mlpOut.weight, bias: mlpOut.bias))

        if pooling == 1 {
            addInPlace(&x, s)
        } else {
            var up = [Float](repeating: 0, count: maps * resolution * resolution * c)
            s.withUnsafeBufferPointer { src in
                up.withUnsafeMutableBufferPointer { dst in
                    resizeChannelLast(src.baseAddress!, maps: maps, height: pooled, width: pooled, channels: c,
                                      toHeight: resolution, toWidth: resolution, alignCorners: true, into: dst.baseAddress!)
                }
            }
            addInPlace(&x, try Tensor(shape: x.shape, scalars: up))
        }
        return s
    }

    /// `AvgPool2d(pooling)` of channel-last maps (floor output size, window
    /// sums in row order divided by `pooling²`).
    private func averagePool(_ x: Tensor, maps: Int, resolution: Int, pooling: Int, channels c: Int) throws(TensorError) -> Tensor {
        let pooled = resolution / pooling
        var out = [Float](repeating: 0, count: maps * pooled * pooled * c)
        let divisor = Float(pooling * pooling)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for map in 0..<maps {
                    for py in 0..<pooled {
                        for px in 0..<pooled {
                            let target = dst.baseAddress! + ((map * pooled + py) * pooled + px) * c
                            for dy in 0..<pooling {
                                for dx in 0..<pooling {
                                    let y = py * pooling + dy, xx = px * pooling + dx
                                    let source = src.baseAddress! + ((map * resolution + y) * resolution + xx) * c
                                    for ch in 0..<c { target[ch] += source[ch] }
                                }
                            }
                            for ch in 0..<c { target[ch] /= divisor }
                        }
                    }
                }
            }
        }
        return try Tensor(shape: [maps * pooled * pooled, c], scalars: out)
    }
}

/// One aggregator layer: the Swin pair then the class layer.
struct AggregatorLayer: Sendable {
    let swin: SwinPair
    let classes: ClassLayer
}
