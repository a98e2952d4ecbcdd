import Foundation

/// Weights of one multi-head self-attention block in PyTorch / Hugging Face
/// layout: each projection is an `nn.Linear` (`weight [D, D]`, `bias [D]`).
public struct AttentionWeights: Sendable {
    public var query: (weight: Tensor, bias: Tensor)
    public var key: (weight: Tensor, bias: Tensor)
    public var value: (weight: Tensor, bias: Tensor)
    public var output: (weight: Tensor, bias: Tensor)

    public init(
        query: (weight: Tensor, bias: Tensor), key: (weight: Tensor, bias: Tensor),
        value: (weight: Tensor, bias: Tensor), output: (weight: Tensor, bias: Tensor)
    ) {
        self.query = query
        self.key = key
        self.value = value
        self.output = output
    }
}

extension Tensor {
    /// Scaled dot-product attention with `heads` heads on already projected
    /// queries, keys and values.
    ///
    /// `query` is `[B, S, D]`, `key` and `value` `[B, T, D]`; head `h` uses the
    /// feature slice `h·D/heads ..< (h+1)·D/heads` (the Hugging Face
    /// `view(B, S, heads, d)` split). Per head: `softmax(Q·Kᵀ·scale)·V` with the
    /// softmax in Float32 and `scale = d^(-1/2)` unless given. With `causal`,
    /// query `i` sees keys `0…i` only (requires `S == T`), which equals adding
    /// the usual `-∞` mask above the diagonal. Heads are read and written in
    /// place through BLAS leading dimensions, without reshuffling copies.
    public static func scaledDotProductAttention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, causal: Bool = false, scale: Float? = nil
    ) throws(TensorError) -> Tensor {
        let op = "attention"
        guard query.rank == 3, key.rank == 3, value.rank == 3 else {
            throw .shapeMismatch(operation: op, detail: "expected [B, S, D] operands, got \(query.shape), \(key.shape), \(value.shape)")
        }
        let b = query.shape[0], s = query.shape[1], d = query.shape[2], t = key.shape[1]
        guard key.shape == [b, t, d], value.shape == [b, t, d] else {
            throw .shapeMismatch(operation: op, detail: "query \(query.shape), key \(key.shape), value \(value.shape)")
        }
        guard heads > 0, d % heads == 0 else {
            throw .invalidArgument(operation: op, detail: "width \(d) is not divisible by \(heads) heads")
        }
        if causal && s != t {
            throw .shapeMismatch(operation: op, detail: "a causal mask needs as many queries as keys (\(s) vs \(t))")
        }
        if t == 0 && s > 0 {
            throw .invalidArgument(operation: op, detail: "no keys to attend to")
        }
        let headWidth = d / heads
        let factor = scale ?? 1 / Float(headWidth).squareRoot()
        try BLAS.validate([(s, "M"), (t, "N"), (headWidth, "K"), (d, "lda"), (s * t, "scores")])
        if b * s * d == 0 { return Tensor(validShape: [b, s, d], scalars: []) }
        return query.scalars.withUnsafeBufferPointer { pq in
            key.scalars.withUnsafeBufferPointer { pk in
                value.scalars.withUnsafeBufferPointer { pv in
                    attentionCore(
                        q: pq.baseAddress!, k: pk.baseAddress!, v: pv.baseAddress!, rowStride: d, batchStrideQ: s * d,
                        batchStrideKV: t * d, batch: b, queries: s, keys: t, width: d, heads: heads, causal: causal, factor: factor)
                }
            }
        }
    }

    /// Self-attention on packed projections `qkv [B, S, 3D]` — the query, key
    /// and value column blocks that one GEMM with the three weights stacked
    /// (`[3D, D]`) produces. Same maths as `scaledDotProductAttention`; the
    /// heads are read in place with leading dimension `3D`.
    public static func packedSelfAttention(
        _ qkv: Tensor, heads: Int, causal: Bool = false, scale: Float? = nil
    ) throws(TensorError) -> Tensor {
        let layout = try PackedHeads(qkv, heads: heads, scale: scale, operation: "attention")
        let (b, s, d, factor) = (layout.batch, layout.tokens, layout.width, layout.scale)
        if layout.isEmpty { return Tensor(validShape: [b, s, d], scalars: []) }
        try layout.validateGEMMs()
        return qkv.scalars.withUnsafeBufferPointer { p in
            attentionCore(
                q: p.baseAddress!, k: p.baseAddress! + d, v: p.baseAddress! + 2 * d, rowStride: 3 * d,
                batchStrideQ: s * 3 * d, batchStrideKV: s * 3 * d, batch: b, queries: s, keys: s, width: d,
                heads: heads, causal: causal, factor: factor)
        }
    }

    /// Self-attention of one query row per batch entry on packed projections
    /// `qkv [B, S, 3D]`: entry `b`'s query at row `queryRows[b]` attends to the
    /// keys and values of rows `0..<keyCounts[b]`. Returns `[B, 1, D]`.
    ///
    /// This is all a pooled output needs from the last layer (the class token,
    /// or a causal sequence's end of text with `keyCounts[b] = row + 1`).
    public static func packedSelfAttention(
        _ qkv: Tensor, heads: Int, queryRows: [Int], keyCounts: [Int], scale: Float? = nil
    ) throws(TensorError) -> Tensor {
        let op = "attention"
        let layout = try PackedHeads(qkv, heads: heads, scale: scale, operation: op)
        let (b, s, d) = (layout.batch, layout.tokens, layout.width)
        guard queryRows.count == b, keyCounts.count == b else {
            throw .shapeMismatch(operation: op, detail: "\(queryRows.count) query rows and \(keyCounts.count) key counts for a batch of \(b)")
        }
        for (row, keys) in zip(queryRows, keyCounts) where !(0..<s).contains(row) || !(1...max(s, 1)).contains(keys) {
            throw .invalidArgument(operation: op, detail: "query row \(row) with \(keys) keys in sequences of \(s)")
        }
        if layout.isEmpty { return Tensor(validShape: [b, 1, d], scalars: []) }
        try layout.validateGEMMs()
        var rows: [Float] = []
        rows.reserveCapacity(b * d)
        qkv.scalars.withUnsafeBufferPointer { p in
            for entry in 0..<b {
                let base = p.baseAddress! + entry * s * 3 * d
                let one = attentionCore(
                    q: base + queryRows[entry] * 3 * d, k: base + d, v: base + 2 * d, rowStride: 3 * d,
                    batchStrideQ: 0, batchStrideKV: 0, batch: 1, queries: 1, keys: keyCounts[entry], width: d,
                    heads: heads, causal: false, factor: layout.scale)
                rows += one.scalars
            }
        }
        return Tensor(validShape: [b, 1, d], scalars: rows)
    }

    /// Per batch entry and head: `softmax(Q·Kᵀ·factor)·V` into `[B, S, D]`.
    /// `q`, `k`, `v` point at column 0 of head 0 of batch 0; rows are
    /// `rowStride` apart, batch entries `batchStride*` apart.
    ///
    /// The work is cut into tasks of one head and a block of queries whose
    /// scores fit `scoreBlockFloats`, shared out to the threads; each task runs two
    /// single-threaded products and the softmax on a score block that stays
    /// in the worker's cache.
    static func attentionCore(
        q pqBase: UnsafePointer<Float>, k pkBase: UnsafePointer<Float>, v pvBase: UnsafePointer<Float>,
        rowStride: Int, batchStrideQ: Int, batchStrideKV: Int,
        batch b: Int, queries s: Int, keys t: Int, width d: Int, heads: Int, causal: Bool, factor: Float
    ) -> Tensor {
        let headWidth = d / heads
        let blocksPerHead = (s + max(16, scoreBlockFloats / t) - 1) / max(16, scoreBlockFloats / t)
        let blockRows = (s + blocksPerHead - 1) / blocksPerHead
        let tasks = b * heads * blocksPerHead
        let work = 2 * b * s * t * d
        // A few pieces per thread, so a thread slowed by other work does not hold the rest up.
        let pieces = max(1, min(4 * BLAS.threadCount, tasks, work / BLAS.Split.minimumWork))
        let (pq, pk, pv) = (pqBase, pkBase, pvBase)
        return Tensor(validShape: [b, s, d], fill: { out in
            let target = out.baseAddress!
            Parallel.forEach(pieces) { piece in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * t)
                defer { scores.deallocate() }
                for task in (tasks * piece / pieces)..<(tasks * (piece + 1) / pieces) {
                    let block = task % blocksPerHead, h = task / blocksPerHead % heads, batch = task / (blocksPerHead * heads)
                    let first = block * blockRows, rows = min(s, first + blockRows) - first
                    // Causal: the block's last query sees keys 0…first+rows−1 only.
                    let visibleKeys = causal ? first + rows : t
                    let query = pq + batch * batchStrideQ + first * rowStride + h * headWidth
                    let offsetKV = batch * batchStrideKV + h * headWidth
                    // scores = factor · Q_block · K_hᵀ   (rows × visibleKeys)
                    BLAS.serialSGEMM(
                        transposeA: false, transposeB: true, m: rows, n: visibleKeys, k: headWidth, alpha: factor,
                        a: query, lda: rowStride, b: pk + offsetKV, ldb: rowStride, c: scores, ldc: visibleKeys)
                    for i in 0..<rows {
                        let row = scores + i * visibleKeys
                        let visible = causal ? first + i + 1 : visibleKeys
                        Tensor.softmaxRow(row, count: visible)
                        for j in visible..<visibleKeys { row[j] = 0 }
                    }
                    // out_block,h = P · V_h   (rows × headWidth), into the head's columns.
                    BLAS.serialSGEMM(
                        transposeA: false, transposeB: false, m: rows, n: headWidth, k: visibleKeys,
                        a: scores, lda: visibleKeys, b: pv + offsetKV, ldb: rowStride,
                        c: target + (batch * s + first) * d + h * headWidth, ldc: d)
                }
            }
        })
    }

    /// Scores per attention task (256 KB): the block stays in a core's L2
    /// cache between its softmax and its product with `V`.
    static let scoreBlockFloats = 65_536

    /// Multi-head self-attention as in `nn.MultiheadAttention` / HF
    /// `CLIPAttention`: `out_proj(attention(q_proj(x), k_proj(x), v_proj(x)))`
    /// on `x [B, S, D]`. Each projection is one GEMM over all `B·S` tokens.
    public static func multiHeadAttention(
        _ x: Tensor, weights: AttentionWeights, heads: Int, causal: Bool = false
    ) throws(TensorError) -> Tensor {
        guard x.rank == 3 else {
            throw .shapeMismatch(operation: "multiHeadAttention", detail: "expected [B, S, D], got \(x.shape)")
        }
        let q = try linear(x, weight: weights.query.weight, bias: weights.query.bias)
        let k = try linear(x, weight: weights.key.weight, bias: weights.key.bias)
        let v = try linear(x, weight: weights.value.weight, bias: weights.value.bias)
        let attended = try scaledDotProductAttention(query: q, key: k, value: v, heads: heads, causal: causal)
        return try linear(attended, weight: weights.output.weight, bias: weights.output.bias)
    }
}

/// The layout of packed `[B, S, 3D]` query/key/value projections split into heads, validated
/// once for every attention that reads heads in place.
struct PackedHeads {
    let batch: Int
    let tokens: Int
    /// D, the width of each of q, k and v.
    let width: Int
    let headWidth: Int
    /// The score scale: the one given, else `headWidth^(-1/2)`.
    let scale: Float

    init(_ qkv: Tensor, heads: Int, scale: Float?, operation op: String) throws(TensorError) {
        guard qkv.rank == 3, qkv.shape[2] % 3 == 0 else {
            throw .shapeMismatch(operation: op, detail: "expected packed [B, S, 3D] projections, got \(qkv.shape)")
        }
        batch = qkv.shape[0]
        tokens = qkv.shape[1]
        width = qkv.shape[2] / 3
        guard heads > 0, width % heads == 0 else {
            throw .invalidArgument(operation: op, detail: "width \(width) is not divisible by \(heads) heads")
        }
        headWidth = width / heads
        self.scale = scale ?? 1 / Float(max(headWidth, 1)).squareRoot()
    }

    var isEmpty: Bool { tokens == 0 || batch == 0 || width == 0 }

    /// The sizes of the per-head `S×S` products, checked against BLAS's 32-bit limits.
    func validateGEMMs() throws(TensorError) {
        try BLAS.validate([(tokens, "M"), (tokens, "N"), (headWidth, "K"), (3 * width, "lda"), (tokens * tokens, "scores")])
    }
}
