import CBLAS
import Synchronization

/// The only place the package talks to the BLAS library.
///
/// OpenBLAS as built by Debian uses 32-bit `blasint`, so every dimension and
/// leading dimension is converted with `Int32(exactly:)`; a value that does not
/// fit becomes `TensorError.tooLargeForBLAS` instead of a trap or a silent
/// truncation.
///
/// OpenBLAS always runs single-threaded here. A large product is split into
/// column (or row) blocks, each an independent OpenBLAS call on one of
/// `threadCount` threads (`Parallel.forEach`). The products of the encoders are short and
/// many, and OpenBLAS's own threads synchronise inside every call and spin
/// between calls, competing with the element-wise kernels for the same cores;
/// independent blocks need neither. (As with OpenBLAS's own threads, an
/// element's last bits can depend on the split, hence on the thread count.)
public enum BLAS {
    /// Workers one product, one attention or one element-wise kernel may use.
    /// Process-wide; the default is OpenBLAS's own default (the core count or
    /// `OPENBLAS_NUM_THREADS`).
    public static var threadCount: Int {
        get { budget.load(ordering: .relaxed) }
        set { budget.store(max(1, newValue), ordering: .relaxed) }
    }

    private static let budget = Atomic<Int>(openBLASDefaultThreads)

    /// OpenBLAS's default thread count, read once before OpenBLAS is switched
    /// to one thread for good.
    private static let openBLASDefaultThreads: Int = {
        let threads = Int(openblas_get_num_threads())
        openblas_set_num_threads(1)
        return max(1, threads)
    }()

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

    /// `sgemm` for sizes already validated with `validate`, split over the
    /// workers when it is large enough to pay for them.
    ///
    /// `prepare(rows, columns)`, if given, runs on the worker that owns that
    /// block of `C` just before its product (so a bias or residual written
    /// there is written in parallel and is still in cache for `beta = 1`).
    static func sgemmUnchecked(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        prepare: ((Range<Int>, Range<Int>) -> Void)? = nil
    ) {
        let split = Split(m: m, n: n, k: k, workers: threadCount)
        if split.pieces < 2 {
            prepare?(0..<m, 0..<n)
            serialSGEMM(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        Parallel.forEach(split.pieces) { piece in
            let range = split.range(piece)
            if split.byColumns {
                prepare?(0..<m, range)
                serialSGEMM(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: range.count, k: k, alpha: alpha,
                    a: a, lda: lda, b: transposeB ? b + range.lowerBound * ldb : b + range.lowerBound, ldb: ldb,
                    beta: beta, c: c + range.lowerBound, ldc: ldc)
            } else {
                prepare?(range, 0..<n)
                serialSGEMM(
                    transposeA: transposeA, transposeB: transposeB, m: range.count, n: n, k: k, alpha: alpha,
                    a: transposeA ? a + range.lowerBound : a + range.lowerBound * lda, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c + range.lowerBound * ldc, ldc: ldc)
            }
        }
    }

    /// One single-threaded OpenBLAS call (for callers that are already
    /// running on a worker, e.g. one attention head).
    static func serialSGEMM(
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
        _ = openBLASDefaultThreads
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

    /// How one product is cut into independent blocks: by columns of `C` when
    /// there are enough (each worker then packs only its part of `B`, the
    /// larger operand in the encoders), else by rows.
    struct Split {
        /// Multiply-adds below which one call is cheaper than waking a worker.
        static let minimumWork = 1 << 20
        /// Blocks are cut at multiples of this many rows or columns (whole
        /// micro-kernel tiles).
        static let granule = 16

        let pieces: Int
        let byColumns: Bool
        let length: Int

        init(m: Int, n: Int, k: Int, workers: Int) {
            let work = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k)
            let affordable = work.overflow ? workers : min(workers, work.partialValue / Self.minimumWork)
            byColumns = n >= m || n >= 8 * Self.granule * workers
            length = byColumns ? n : m
            pieces = max(1, min(affordable, length / Self.granule))
        }

        /// The rows or columns of block `piece`, boundaries on the granule.
        func range(_ piece: Int) -> Range<Int> {
            let granules = (length + Self.granule - 1) / Self.granule
            func bound(_ p: Int) -> Int { min(length, granules * p / pieces * Self.granule) }
            return bound(piece)..<bound(piece + 1)
        }
    }
}
