import Foundation
import Tensor

/// SGSeg's image-independent scene bias (docs/sgseg-released.md §3.1–§3.2, §7.2
/// step 0): the memory vector `R = Mᵀ softmax_rows(ReLU(M·w + β))`, its unit
/// vector `b̂`, and the two projected maps `G1 = bilinear_{2H}(ReLU(conv3×3(G0)))`,
/// `G2 = bilinear_{4H}(ReLU(conv3×3(G0)))` of the constant map `G0 = b̂`.
///
/// A 3×3 convolution with zero padding of a constant map only depends on which
/// kernel taps fall inside the map, so each projection keeps its nine per-tap
/// vectors `W[:, :, ky, kx]·b̂`; a map of any size is the sum of the valid taps
/// plus the bias at each pixel. The maps for the model's feature resolution are
/// built once at load.
struct SceneBias: Sendable {
    /// `R` (unnormalised), `[E]`.
    let memoryVector: [Float]
    /// `b̂ = R / max(‖R‖, 1e-12)`, `[E]`.
    let unitVector: [Float]
    let projection1: ConstantMapProjection
    let projection2: ConstantMapProjection
    /// Resolution the maps below were built for.
    let resolution: Int
    /// `G1` channel-last `[(2H)², C1]` and `G2` `[(4H)², C2]` at `resolution`.
    let firstMap: [Float]
    let secondMap: [Float]

    init(memory: [Float], rows: Int, width: Int, scorer: [Float], scorerBias: Float,
         projection1 weight1: Tensor, bias1: Tensor, projection2 weight2: Tensor, bias2: Tensor, resolution: Int) {
        // Scores ReLU(M·w + β), softmax over the rows, R = Σ_k p_k·m_k.
        var scores = [Double](repeating: 0, count: rows)
        for k in 0..<rows {
            var dot = 0.0
            for e in 0..<width { dot += Double(memory[k * width + e]) * Double(scorer[e]) }
            scores[k] = max(dot + Double(scorerBias), 0)
        }
        let top = scores.max() ?? 0
        let exps = scores.map { PortableMath.exp($0 - top) }
        let total = exps.reduce(0, +)
        var vector = [Double](repeating: 0, count: width)
        for k in 0..<rows {
            let p = exps[k] / total
            for e in 0..<width { vector[e] += p * Double(memory[k * width + e]) }
        }
        memoryVector = vector.map { Float($0) }
        let norm = max(vector.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        unitVector = vector.map { Float($0 / norm) }
        projection1 = ConstantMapProjection(weight: weight1, bias: bias1, vector: unitVector)
        projection2 = ConstantMapProjection(weight: weight2, bias: bias2, vector: unitVector)
        self.resolution = resolution
        firstMap = projection1.map(resolution: resolution, scale: 2)
        secondMap = projection2.map(resolution: resolution, scale: 4)
    }

    /// `(G1, G2)` channel-last for a `resolution`² dense map (cached size or computed now).
    func maps(resolution h: Int) -> (first: [Float], second: [Float]) {
        if h == resolution { return (firstMap, secondMap) }
        return (projection1.map(resolution: h, scale: 2), projection2.map(resolution: h, scale: 4))
    }
}

/// `ReLU(Conv3×3(constant map))` followed by a bilinear (align_corners=False)
/// resize, from the nine per-tap contributions of the constant vector.
struct ConstantMapProjection: Sendable {
    let outputs: Int
    /// `[9][O]`: `taps[ky·3+kx][o] = Σ_e W[o, e, ky, kx]·v[e]`.
    let taps: [[Float]]
    let bias: [Float]

    init(weight: Tensor, bias: Tensor, vector: [Float]) {
        let (o, e) = (weight.shape[0], weight.shape[1])
        var taps = [[Float]](repeating: [Float](repeating: 0, count: o), count: 9)
        weight.withUnsafeBufferPointer { w in
            for oc in 0..<o {
                for tap in 0..<9 {
                    var sum: Float = 0
                    for ic in 0..<e { sum += w[(oc * e + ic) * 9 + tap] * vector[ic] }
                    taps[tap][oc] = sum
                }
            }
        }
        outputs = o
        self.taps = taps
        self.bias = bias.scalars
    }

    /// Channel-last `[(scale·h)², O]`.
    func map(resolution h: Int, scale: Int) -> [Float] {
        var small = [Float](repeating: 0, count: h * h * outputs)
        for y in 0..<h {
            for x in 0..<h {
                let dst = (y * h + x) * outputs
                for o in 0..<outputs { small[dst + o] = bias[o] }
                for ky in 0..<3 where y + ky - 1 >= 0 && y + ky - 1 < h {
                    for kx in 0..<3 where x + kx - 1 >= 0 && x + kx - 1 < h {
                        let tap = taps[ky * 3 + kx]
                        for o in 0..<outputs { small[dst + o] += tap[o] }
                    }
                }
                for o in 0..<outputs { small[dst + o] = max(small[dst + o], 0) }
            }
        }
        let size = scale * h
        var large = [Float](repeating: 0, count: size * size * outputs)
        small.withUnsafeBufferPointer { src in
            large.withUnsafeMutableBufferPointer { dst in
                resizeChannelLast(src.baseAddress!, maps: 1, height: h, width: h, channels: outputs,
                                  toHeight: size, toWidth: size, alignCorners: false, into: dst.baseAddress!)
            }
        }
        return large
    }
}

/// NOT IN THE RELEASED MODEL: the paper-described "bias-guided text" (the
/// GroundingDINO `BiAttentionBlock`, `feature_fusion_layer.*`, with its text
/// output kept), as `reference/ovseg_reference/head.py` `Aggregator.live_text`
/// defines it. The image side of the block is the memory vector `R` repeated
/// once per text row, so every image token is identical: each text row's
/// softmax over them is uniform and its attention output is exactly the
/// (shared) image value `values_v_proj(LN_v(R))`. The text update is therefore
/// `l' = LN_l(t) + γ_l ⊙ c` with the constant `c = out_l_proj(values_v_proj(LN_v(R)))`,
/// computed once at load; the biased text is `normalize(l')`. (`v_proj`,
/// `l_proj`, `values_l_proj`, `out_v_proj` and `gamma_v` only shape the
/// discarded image output and are not read.)
struct LiveTextBias: Sendable {
    let textNorm: (weight: Tensor, bias: Tensor)
    let gamma: [Float]
    /// `c`, `[E]`.
    let update: [Float]

    init(imageNorm: (weight: Tensor, bias: Tensor), textNorm: (weight: Tensor, bias: Tensor),
         valueProjection: (weight: Tensor, bias: Tensor), outputProjection: (weight: Tensor, bias: Tensor),
         gamma: Tensor, memoryVector: [Float]) throws(TensorError) {
        let r = try Tensor(shape: [1, memoryVector.count], scalars: memoryVector)
        let normed = try r.layerNorm(weight: imageNorm.weight, bias: imageNorm.bias)
        let values = try Tensor.linear(normed, weight: valueProjection.weight, bias: valueProjection.bias)
        let out = try Tensor.linear(values, weight: outputProjection.weight, bias: outputProjection.bias)
        self.textNorm = textNorm
        self.gamma = gamma.scalars
        update = out.scalars
    }

    /// `normalize(LN_l(t) + γ ⊙ c)` for text rows `[n, E]`.
    func apply(_ text: Tensor) throws(TensorError) -> [Float] {
        var rows = try text.layerNorm(weight: textNorm.weight, bias: textNorm.bias).scalars
        let width = gamma.count
        for r in 0..<(rows.count / width) {
            for e in 0..<width { rows[r * width + e] += gamma[e] * update[e] }
        }
        normalizeRows(&rows, width: width)
        return rows
    }
}
