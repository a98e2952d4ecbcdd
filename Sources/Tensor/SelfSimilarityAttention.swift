import Foundation

/// Which projections contribute a self-similarity term to
/// `Tensor.selfSimilarityAttention` (the training-free attention modes of
/// docs/segmentation-core.md §2.6: SCLIP uses query and key, ClearCLIP the query,
/// SegEarth-OV all three).
public struct SelfSimilaritySources: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let query = SelfSimilaritySources(rawValue: 1)
    public static let key = SelfSimilaritySources(rawValue: 2)
    public static let value = SelfSimilaritySources(rawValue: 4)
}

extension Tensor {
    /// "Self-self" attention on packed projections `qkv [B, S, 3D]` (query,
    /// key and value column blocks, as `packedSelfAttention` takes them):
    /// per batch entry and head `h`,
    /// `A = Σ_{X ∈ sources} softmax(X_h·X_hᵀ·scale)` (row softmax in Float32,
    /// `scale = d^(-1/2)` unless given) and the output is `A·V_h`, written to
    /// the head's columns of `[B, S, D]`.
    ///
    /// The rows of `A` sum to the number of sources (SegEarth-OV adds the
    /// softmaxes without renormalising). Heads are read in place through BLAS
    /// leading dimensions; one `S×S` score and one accumulator buffer are
    /// reused for every head.
    public static func selfSimilarityAttention(
        _ qkv: Tensor, heads: Int, sources: SelfSimilaritySources, scale: Float? = nil
    ) throws(TensorError) -> Tensor {
        let op = "selfSimilarityAttention"
        let layout = try PackedHeads(qkv, heads: heads, scale: scale, operation: op)
        guard !sources.isEmpty else {
            throw .invalidArgument(operation: op, detail: "at least one of query, key or value must be a source")
        }
        let (b, s, d, headWidth, factor) = (layout.batch, layout.tokens, layout.width, layout.headWidth, layout.scale)
        if layout.isEmpty { return Tensor(validShape: [b, s, d], scalars: []) }
        try layout.validateGEMMs()
        let offsets = [(SelfSimilaritySources.query, 0), (.key, d), (.value, 2 * d)]
            .filter { sources.contains($0.0) }.map(\.1)
        var scores = [Float](repeating: 0, count: s * s)
        var weights = [Float](repeating: 0, count: s * s)
        return qkv.scalars.withUnsafeBufferPointer { packed in
            Tensor(validShape: [b, s, d], fill: { out in
                out.initialize(repeating: 0)
                scores.withUnsafeMutableBufferPointer { scoreBuffer in
                    weights.withUnsafeMutableBufferPointer { weightBuffer in
                        let sc = scoreBuffer.baseAddress!, acc = weightBuffer.baseAddress!
                        for batch in 0..<b {
                            for h in 0..<heads {
                                let head = packed.baseAddress! + batch * s * 3 * d + h * headWidth
                                for (index, offset) in offsets.enumerated() {
                                    let target = index == 0 ? acc : sc
                                    // target = scale · X_h · X_hᵀ   (S × S)
                                    BLAS.sgemmUnchecked(
                                        transposeA: false, transposeB: true, m: s, n: s, k: headWidth, alpha: factor,
                                        a: head + offset, lda: 3 * d, b: head + offset, ldb: 3 * d, c: target, ldc: s)
                                    softmaxRows(target, rows: s, width: s)
                                    if index > 0 {
                                        for i in 0..<(s * s) { acc[i] += sc[i] }
                                    }
                                }
                                // out_h = A · V_h   (S × headWidth)
                                BLAS.sgemmUnchecked(
                                    transposeA: false, transposeB: false, m: s, n: headWidth, k: s,
                                    a: acc, lda: s, b: head + 2 * d, ldb: 3 * d,
                                    c: out.baseAddress! + batch * s * d + h * headWidth, ldc: d)
                            }
                        }
                    }
                }
            })
        }
    }

    /// In-place row softmax of a `rows × width` matrix, split over the BLAS
    /// thread budget when it is large (values do not depend on the split).
    static func softmaxRows(_ base: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let workers = min(BLAS.threadCount, rows * width / 16_384)
        if workers < 2 {
            for i in 0..<rows { softmaxRow(base + i * width, count: width) }
            return
        }
        let shared = UnsafeSendable(base)
        Parallel.forEach(workers) { w in
            for i in (rows * w / workers)..<(rows * (w + 1) / workers) {
                Tensor.softmaxRow(shared.value + i * width, count: width)
            }
        }
    }
}
