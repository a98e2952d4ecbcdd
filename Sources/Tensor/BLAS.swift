import CBLAS

/// The only place the package talks to the BLAS library.
///
/// OpenBLAS as built by Debian uses 32-bit `blasint`, so every dimension and
/// leading dimension is converted with `Int32(exactly:)`; a value that does not
/// fit becomes `TensorError.tooLargeForBLAS` instead of a trap or a silent
/// truncation.
public enum BLAS {
    /// Number of threads OpenBLAS uses for one call. Process-wide: set it once,
    /// from the command-line layer, never from concurrent tasks.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(clamping: max(1, newValue))) }
    }

    /// A short description of the BLAS build (e.g. "OpenBLAS 0.3.21 … Zen").
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    static func checked(_ value: Int, _ name: String) throws(TensorError) -> Int32 {
        guard let narrow = Int32(exactly: value) else {
            throw .tooLargeForBLAS(dimension: name, value: value)
        }
        return narrow
    }

    /// `C = alpha · op(A) · op(B) + beta · C`, row-major, where `op(A)` is
    /// `m×k` and `op(B)` is `k×n`. Leading dimensions are the row strides of
    /// the stored (untransposed) matrices.
    ///
    /// Public for modules that run many small products on strided views of
    /// their own buffers (window attention, per-class sequences); prefer the
    /// `Tensor` operations elsewhere. The caller guarantees that the pointers
    /// cover the described matrices.
    public static func sgemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) throws(TensorError) {
        try validate([(m, "M"), (n, "N"), (k, "K"), (lda, "lda"), (ldb, "ldb"), (ldc, "ldc")])
        sgemmUnchecked(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// Validates GEMM sizes without running anything (used before entering
    /// loops that call `sgemmUnchecked`).
    static func validate(_ values: [(Int, String)]) throws(TensorError) {
        for (value, name) in values { _ = try checked(value, name) }
    }

    /// `sgemm` for sizes already validated with `validate`.
    static func sgemmUnchecked(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            scaleRows(c, m: m, n: n, ldc: ldc, beta: beta)
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(truncatingIfNeeded: m), Int32(truncatingIfNeeded: n), Int32(truncatingIfNeeded: k),
            alpha, a, Int32(truncatingIfNeeded: lda), b, Int32(truncatingIfNeeded: ldb),
            beta, c, Int32(truncatingIfNeeded: ldc))
    }

    /// `C = beta · C` (the result of an empty inner product), avoiding BLAS,
    /// which rejects leading dimensions of 0.
    private static func scaleRows(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, beta: Float) {
        for row in 0..<m {
            for col in 0..<n { c[row * ldc + col] = beta == 0 ? 0 : beta * c[row * ldc + col] }
        }
    }
}
