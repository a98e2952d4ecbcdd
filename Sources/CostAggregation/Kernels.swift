import Foundation
import Tensor

// Channel-last ("token-major") kernels of the head. Every activation is a
// row-major matrix whose rows are pixels (of one or many maps) and whose
// columns are channels, so linear layers, attention and convolutions are all
// GEMMs over every map of the batch at once.

/// A 2-D convolution (stride 1, "same" zero padding k/2) with its weight
/// reordered at load time to `[O, kh, kw, C]`, the column order of the
/// channel-last im2col below.
struct ChannelLastConvolution: Sendable {
    let outputs: Int
    let inputs: Int
    let kernel: Int
    /// `[O, k, k, C]` row-major.
    let weight: [Float]
    /// `[O]` or nil.
    let bias: [Float]?

    /// From a PyTorch `Conv2d` weight `[O, C, k, k]` (square, odd kernel).
    init(pytorchWeight w: Tensor, bias: Tensor?) {
        let (o, c, k) = (w.shape[0], w.shape[1], w.shape[2])
        var reordered = [Float](repeating: 0, count: w.count)
        w.withUnsafeBufferPointer { src in
            for oc in 0..<o {
                for ic in 0..<c {
                    for ky in 0..<k {
                        for kx in 0..<k {
                            reordered[((oc * k + ky) * k + kx) * c + ic] = src[((oc * c + ic) * k + ky) * k + kx]
                        }
                    }
                }
            }
        }
        outputs = o
        inputs = c
        kernel = k
        weight = reordered
        self.bias = bias?.scalars
    }

    /// Largest im2col buffer (floats) per GEMM; larger batches run in chunks.
    static let columnBudget = 1 << 22

    /// Convolves `maps` channel-last maps `[maps, height, width, inputs]` into
    /// `[maps·height·width, outputs]`: im2col over a chunk of output pixels,
    /// then one GEMM per chunk against the reordered weight.
    func apply(_ input: Tensor, maps: Int, height: Int, width: Int) throws(TensorError) -> Tensor {
        let pixels = maps * height * width
        let patch = kernel * kernel * inputs
        let pad = kernel / 2
        let chunk = max(1, min(pixels, Self.columnBudget / max(patch, 1)))
        var columns = [Float](repeating: 0, count: chunk * patch)
        var out = [Float](repeating: 0, count: pixels * outputs)
        if let bias {
            out.withUnsafeMutableBufferPointer { po in
                for row in 0..<pixels { (po.baseAddress! + row * outputs).update(from: bias, count: outputs) }
            }
        }
        let (inputs, kernel) = (self.inputs, self.kernel)
        try input.scalars.withUnsafeBufferPointer { (px) throws(TensorError) in
            try columns.withUnsafeMutableBufferPointer { (pc) throws(TensorError) in
                try weight.withUnsafeBufferPointer { (pw) throws(TensorError) in
                    try out.withUnsafeMutableBufferPointer { (po) throws(TensorError) in
                        var start = 0
                        while start < pixels {
                            let count = min(chunk, pixels - start)
                            for r in 0..<count {
                                let pixel = start + r
                                let map = pixel / (height * width)
                                let y = (pixel / width) % height, x = pixel % width
                                var dst = pc.baseAddress! + r * patch
                                for ky in 0..<kernel {
                                    let iy = y + ky - pad
                                    for kx in 0..<kernel {
                                        let ix = x + kx - pad
                                        if iy >= 0 && iy < height && ix >= 0 && ix < width {
                                            let src = px.baseAddress! + ((map * height + iy) * width + ix) * inputs
                                            dst.update(from: src, count: inputs)
                                        } else {
                                            dst.update(repeating: 0, count: inputs)
                                        }
                                        dst += inputs
                                    }
                                }
                            }
                            try BLAS.sgemm(
                                transposeA: false, transposeB: true, m: count, n: outputs, k: patch,
                                a: pc.baseAddress!, lda: patch, b: pw.baseAddress!, ldb: patch,
                                beta: bias == nil ? 0 : 1, c: po.baseAddress! + start * outputs, ldc: outputs)
                            start += count
                        }
                    }
                }
            }
        }
        return try Tensor(shape: [pixels, outputs], scalars: out)
    }
}

/// A transposed convolution with stride = kernel and no padding (the CAT-Seg
/// `upsample1/2` and the decoders' `up`), channel-last: one GEMM
/// `[pixels, C] · [C, k·k·O]` then a scatter of each pixel's `k×k` block.
struct ChannelLastUpsampling: Sendable {
    let inputs: Int
    let outputs: Int
    let kernel: Int
    /// `[C, k, k, O]` row-major.
    let weight: [Float]
    let bias: [Float]

    /// From a PyTorch `ConvTranspose2d` weight `[C, O, k, k]` and bias `[O]`.
    init(pytorchWeight w: Tensor, bias: Tensor) {
        let (c, o, k) = (w.shape[0], w.shape[1], w.shape[2])
        var reordered = [Float](repeating: 0, count: w.count)
        w.withUnsafeBufferPointer { src in
            for ic in 0..<c {
                for oc in 0..<o {
                    for a in 0..<k {
                        for b in 0..<k {
                            reordered[((ic * k + a) * k + b) * o + oc] = src[((ic * o + oc) * k + a) * k + b]
                        }
                    }
                }
            }
        }
        inputs = c
        outputs = o
        kernel = k
        weight = reordered
        self.bias = bias.scalars
    }

    /// `[maps·h·w, inputs]` → `[maps, h·k, w·k, stride]` where the first
    /// `outputs` channels of every output pixel receive the result and the
    /// remaining `stride − outputs` channels are left as found in `output`
    /// (the decoders fill them with their guidance).
    func apply(
        _ input: Tensor, maps: Int, height: Int, width: Int,
        into output: inout [Float], stride: Int
    ) throws(TensorError) {
        let pixels = maps * height * width
        let columns = kernel * kernel * outputs
        var products = [Float](repeating: 0, count: pixels * columns)
        let (k, o, bias) = (kernel, outputs, self.bias)
        try input.scalars.withUnsafeBufferPointer { (px) throws(TensorError) in
            try weight.withUnsafeBufferPointer { (pw) throws(TensorError) in
                try products.withUnsafeMutableBufferPointer { (pp) throws(TensorError) in
                    try BLAS.sgemm(
                        transposeA: false, transposeB: false, m: pixels, n: columns, k: inputs,
                        a: px.baseAddress!, lda: inputs, b: pw.baseAddress!, ldb: columns,
                        c: pp.baseAddress!, ldc: columns)
                }
            }
        }
        let outWidth = width * k, outHeight = height * k
        products.withUnsafeBufferPointer { pp in
            output.withUnsafeMutableBufferPointer { po in
                for pixel in 0..<pixels {
                    let map = pixel / (height * width)
                    let y = (pixel / width) % height, x = pixel % width
                    for a in 0..<k {
                        for b in 0..<k {
                            let src = pp.baseAddress! + pixel * columns + (a * k + b) * o
                            let dst = po.baseAddress! + ((map * outHeight + y * k + a) * outWidth + x * k + b) * stride
                            for c in 0..<o { dst[c] = src[c] + bias[c] }
                        }
                    }
                }
            }
        }
    }
}

/// `GroupNorm(groups, C)` followed by ReLU, in place on channel-last maps
/// `[maps·pixels, C]`: statistics per map and group over `pixels·C/groups`
/// values (two passes in Double, biased variance, eps 1e-5).
struct GroupNormReLU: Sendable {
    let groups: Int
    let weight: [Float]
    let bias: [Float]

    func apply(_ x: inout Tensor, maps: Int, pixels: Int) {
        let channels = weight.count, per = channels / groups
        let count = Double(pixels * per)
        x.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for map in 0..<maps {
                let mapBase = base + map * pixels * channels
                for g in 0..<groups {
                    var sum = 0.0
                    for p in 0..<pixels {
                        let row = mapBase + p * channels + g * per
                        for c in 0..<per { sum += Double(row[c]) }
                    }
                    let mean = sum / count
                    var squares = 0.0
                    for p in 0..<pixels {
                        let row = mapBase + p * channels + g * per
                        for c in 0..<per {
                            let d = Double(row[c]) - mean
                            squares += d * d
                        }
                    }
                    let inverse = Float(1 / (squares / count + 1e-5).squareRoot())
                    let meanF = Float(mean)
                    for p in 0..<pixels {
                        let row = mapBase + p * channels + g * per
                        for c in 0..<per {
                            let channel = g * per + c
                            let value = (row[c] - meanF) * inverse * weight[channel] + bias[channel]
                            row[c] = max(value, 0)
                        }
                    }
                }
            }
        }
    }
}

/// One output index of a separable bilinear resize: two source indices and
/// their weights, with PyTorch's `area_pixel_compute_source_index` and
/// `guard_index_and_lambda` in Float32.
struct BilinearTap {
    let first: Int
    let second: Int
    let firstWeight: Float
    let secondWeight: Float

    static func taps(input: Int, output: Int, alignCorners: Bool) -> [BilinearTap] {
        let scale: Float = alignCorners
            ? (output > 1 ? Float(input - 1) / Float(output - 1) : 0)
            : Float(input) / Float(output)
        return (0..<output).map { dst in
            var source = alignCorners ? scale * Float(dst) : scale * (Float(dst) + 0.5) - 0.5
            if source < 0 { source = 0 }
            let index = min(Int(source.rounded(.down)), input - 1)
            let lambda = min(max(source - Float(index), 0), 1)
            return BilinearTap(first: index, second: index < input - 1 ? index + 1 : index,
                               firstWeight: 1 - lambda, secondWeight: lambda)
        }
    }
}

/// Bilinear resize of channel-last maps `[maps, inH, inW, C]` →
/// `[maps, outH, outW, C]` (PyTorch `F.interpolate(mode="bilinear")`).
func resizeChannelLast(
    _ input: UnsafePointer<Float>, maps: Int, height: Int, width: Int, channels: Int,
    toHeight outH: Int, toWidth outW: Int, alignCorners: Bool, into output: UnsafeMutablePointer<Float>
) {
    let ys = BilinearTap.taps(input: height, output: outH, alignCorners: alignCorners)
    let xs = BilinearTap.taps(input: width, output: outW, alignCorners: alignCorners)
    for map in 0..<maps {
        let src = input + map * height * width * channels
        let dstMap = output + map * outH * outW * channels
        for oy in 0..<outH {
            let ty = ys[oy]
            let row0 = src + ty.first * width * channels, row1 = src + ty.second * width * channels
            for ox in 0..<outW {
                let tx = xs[ox]
                let a = row0 + tx.first * channels, b = row0 + tx.second * channels
                let c = row1 + tx.first * channels, d = row1 + tx.second * channels
                let dst = dstMap + (oy * outW + ox) * channels
                for ch in 0..<channels {
                    let top = tx.firstWeight * a[ch] + tx.secondWeight * b[ch]
                    let bottom = tx.firstWeight * c[ch] + tx.secondWeight * d[ch]
                    dst[ch] = ty.firstWeight * top + ty.secondWeight * bottom
                }
            }
        }
    }
}

/// `values` of shape `shape` with its axes reordered (`order[i]` = source
/// axis of output axis `i`), as a new contiguous tensor (`permute().contiguous()`).
func permuted(_ values: [Float], shape: [Int], order: [Int]) throws(TensorError) -> Tensor {
    let rank = shape.count
    var strides = [Int](repeating: 1, count: rank)
    for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
    let outShape = order.map { shape[$0] }
    let outStrides = order.map { strides[$0] }
    var out = [Float](repeating: 0, count: values.count)
    var index = [Int](repeating: 0, count: rank)
    var source = 0
    for position in 0..<values.count {
        out[position] = values[source]
        var axis = rank - 1
        while axis >= 0 {
            index[axis] += 1
            source += outStrides[axis]
            if index[axis] < outShape[axis] { break }
            source -= outStrides[axis] * outShape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
    return try Tensor(shape: outShape, scalars: out)
}

/// `φ(z) = elu(z) + 1`, the linear-attention feature map.
@inline(__always)
func eluPlusOne(_ z: Float) -> Float { z > 0 ? z + 1 : PortableMath.exp(z) }

/// Exact GELU `0.5·x·(1 + erf(x/√2))` in place, timm's `Mlp` activation.
func geluInPlace(_ x: inout Tensor) {
    let invSqrt2: Float = 0.70710678118654752440
    x.withUnsafeMutableBufferPointer { buffer in
        for i in 0..<buffer.count {
            let v = buffer[i]
            buffer[i] = 0.5 * v * (1 + erf(v * invSqrt2))
        }
    }
}

/// `max(x, 0)` in place.
func reluInPlace(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { buffer in
        for i in 0..<buffer.count where buffer[i] < 0 { buffer[i] = 0 }
    }
}

/// `x += y` for tensors of equal element count (shape of `x` kept).
func addInPlace(_ x: inout Tensor, _ y: Tensor) {
    y.withUnsafeBufferPointer { py in
        x.withUnsafeMutableBufferPointer { px in
            for i in 0..<px.count { px[i] += py[i] }
        }
    }
}

/// Rows of `values` (width `width`) divided by `max(‖row‖₂, 1e-12)` (PyTorch
/// `F.normalize`), accumulated in Double.
func normalizeRows(_ values: inout [Float], width: Int) {
    values.withUnsafeMutableBufferPointer { buffer in
        for r in 0..<(buffer.count / max(width, 1)) {
            let row = buffer.baseAddress! + r * width
            var squares = 0.0
            for i in 0..<width { squares += Double(row[i]) * Double(row[i]) }
            let inverse = Float(1 / max(squares.squareRoot(), 1e-12))
            for i in 0..<width { row[i] *= inverse }
        }
    }
}
