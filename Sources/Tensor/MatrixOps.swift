extension Tensor {
    /// Matrix product with PyTorch `matmul` semantics for the cases the core
    /// needs.
    ///
    /// * `a [..., M, K] · b [K, N]` → `[..., M, N]`: the leading dimensions of
    ///   `a` are folded into M and the whole product is **one GEMM** (this is
    ///   how several windows or prompts share a weight matrix).
    /// * `a [B..., M, K] · b [B..., K, N]` with identical batch dimensions: one
    ///   GEMM per batch entry (BLAS has no batched call in this build).
    ///
    /// `transposeA` / `transposeB` use the last two dimensions of each operand
    /// transposed (as `a.mT`, `b.mT`), without copying.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) throws(TensorError) -> Tensor {
        let op = "matmul"
        guard a.rank >= 2, b.rank >= 2 else {
            throw .shapeMismatch(operation: op, detail: "operands need rank ≥ 2, got \(a.shape) and \(b.shape)")
        }
        let aRows = a.shape[a.rank - 2], aCols = a.shape[a.rank - 1]
        let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
        let m = transposeA ? aCols : aRows, k = transposeA ? aRows : aCols
        let kB = transposeB ? bCols : bRows, n = transposeB ? bRows : bCols
        guard k == kB else {
            throw .shapeMismatch(
                operation: op,
                detail: "inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        if b.rank == 2 && !transposeA {
            // Fold every leading dimension of `a` into M: one GEMM.
            let foldedRows = aBatch.reduce(1, *) * aRows
            if foldedRows * n == 0 || k == 0 {
                return Tensor(validShape: aBatch + [m, n], scalars: [Float](repeating: 0, count: foldedRows * n))
            }
            try BLAS.validate([(foldedRows, "M"), (n, "N"), (k, "K")])
            return Tensor(validShape: aBatch + [m, n], fill: { out in
                out.initialize(repeating: 0)
                a.scalars.withUnsafeBufferPointer { pa in
                    b.scalars.withUnsafeBufferPointer { pb in
                        BLAS.sgemmUnchecked(
                            transposeA: false, transposeB: transposeB, m: foldedRows, n: n, k: k,
                            a: pa.baseAddress!, lda: max(aCols, 1),
                            b: pb.baseAddress!, ldb: max(bCols, 1),
                            c: out.baseAddress!, ldc: max(n, 1))
                    }
                }
            })
        }
        guard aBatch == bBatch else {
            throw .shapeMismatch(
                operation: op, detail: "batch dimensions differ: \(a.shape) and \(b.shape) (broadcasting is not supported)")
        }
        let batch = aBatch.reduce(1, *)
        if batch * m * n == 0 || k == 0 {
            return Tensor(validShape: aBatch + [m, n], scalars: [Float](repeating: 0, count: batch * m * n))
        }
        try BLAS.validate([(m, "M"), (n, "N"), (k, "K"), (aCols, "lda"), (bCols, "ldb")])
        return Tensor(validShape: aBatch + [m, n], fill: { out in
            out.initialize(repeating: 0)
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    for i in 0..<batch {
                        BLAS.sgemmUnchecked(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                            a: pa.baseAddress! + i * aRows * aCols, lda: max(aCols, 1),
                            b: pb.baseAddress! + i * bRows * bCols, ldb: max(bCols, 1),
                            c: out.baseAddress! + i * m * n, ldc: max(n, 1))
                    }
                }
            }
        })
    }

    /// PyTorch `nn.Linear`: `y = x · Wᵀ + b` over the last dimension, plus
    /// `residual` if given (`residual + linear(x)`, the transformer's skip
    /// connection, without a separate pass or tensor).
    ///
    /// `x` is `[..., in]`, `weight` `[out, in]`, `bias` `[out]`, `residual`
    /// `[..., out]`. All leading dimensions are folded into one GEMM
    /// (M = product of leading dims), so a batch of windows or prompts costs a
    /// single product.
    public static func linear(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, adding residual: Tensor? = nil
    ) throws(TensorError) -> Tensor {
        let op = "linear"
        guard x.rank >= 1, weight.rank == 2 else {
            throw .shapeMismatch(operation: op, detail: "input \(x.shape), weight \(weight.shape) (expected [..., in] and [out, in])")
        }
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        guard x.shape[x.rank - 1] == inFeatures else {
            throw .shapeMismatch(operation: op, detail: "input \(x.shape) has \(x.shape[x.rank - 1]) features, weight \(weight.shape) expects \(inFeatures)")
        }
        if let bias, bias.shape != [outFeatures] {
            throw .shapeMismatch(operation: op, detail: "bias \(bias.shape) does not match \(outFeatures) outputs")
        }
        let outputShape = Array(x.shape.dropLast()) + [outFeatures]
        if let residual, residual.shape != outputShape {
            throw .shapeMismatch(operation: op, detail: "residual \(residual.shape) does not match the output \(outputShape)")
        }
        let rows = x.shape.dropLast().reduce(1, *)
        try BLAS.validate([(rows, "M"), (outFeatures, "N"), (inFeatures, "K")])
        return Tensor(validShape: outputShape, fill: { out in
            let target = UnsafeSendable(out.baseAddress)
            withStartingValues(bias: bias, residual: residual) { bias, residual in
                // C starts as residual + bias, block by block on the worker that owns it.
                let prepare = { (rowRange: Range<Int>, columns: Range<Int>) in
                    guard let base = target.value else { return }
                    for r in rowRange {
                        let row = base + r * outFeatures
                        switch (bias, residual) {
                        case let (b?, x?):
                            let skip = x + r * outFeatures
                            for j in columns { row[j] = skip[j] + b[j] }
                        case let (b?, nil):
                            for j in columns { row[j] = b[j] }
                        case let (nil, x?):
                            let skip = x + r * outFeatures
                            for j in columns { row[j] = skip[j] }
                        case (nil, nil):
                            for j in columns { row[j] = 0 }
                        }
                    }
                }
                guard let c = target.value else { return }
                if inFeatures == 0 {
                    prepare(0..<rows, 0..<outFeatures)
                    return
                }
                x.scalars.withUnsafeBufferPointer { px in
                    weight.scalars.withUnsafeBufferPointer { pw in
                        BLAS.sgemmUnchecked(
                            transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                            a: px.baseAddress!, lda: max(inFeatures, 1),
                            b: pw.baseAddress!, ldb: max(inFeatures, 1),
                            beta: 1, c: c, ldc: max(outFeatures, 1), prepare: prepare)
                    }
                }
            }
        })
    }

    /// Runs `body` with base pointers of the optional bias and residual
    /// (valid only inside `body`).
    private static func withStartingValues(
        bias: Tensor?, residual: Tensor?,
        _ body: (UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void
    ) {
        func withBase(_ t: Tensor?, _ inner: (UnsafePointer<Float>?) -> Void) {
            guard let t else { return inner(nil) }
            t.scalars.withUnsafeBufferPointer { inner($0.baseAddress) }
        }
        withBase(bias) { b in withBase(residual) { r in body(b, r) } }
    }
}
