import CBLAS
import CGEMM
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How the matrix products of the encoders and the head are computed.
///
/// The choice decides the last bits of every product, hence (rarely) a
/// predicted label: see `docs/reproducibility.md`.
public enum GEMMArithmetic: String, Sendable, CaseIterable {
    /// ovseg's own kernels (`CGEMM`): every element is one chain of fused
    /// multiply-adds in a fixed order, so results are bit-identical on every
    /// x86-64 machine and at every thread count, whichever vector width runs.
    case reproducible
    /// OpenBLAS with the kernel it picks for this CPU: results can differ in
    /// the last bits from one CPU model to another (never with the thread
    /// count: products are cut at fixed boundaries).
    case openBLAS = "openblas"
}

/// What decides the last bits of the products: recorded in the provenance of model runs.
public struct NumericsDescription: Sendable, Equatable {
    public let arithmetic: GEMMArithmetic
    /// The reproducible kernels' instruction set, or OpenBLAS's kernel family.
    public let kernel: String
    /// OpenBLAS's description of its build (linked in both modes).
    public let blas: String
    /// The CPU's model name ("" where it reports none).
    public let cpu: String
    /// `x86-64-v1` … `x86-64-v4`, or `unknown`.
    public let instructionSet: String
    public let threads: Int
}

/// The only place the package talks to a BLAS.
///
/// Products run either on ovseg's reproducible kernels (the default) or on
/// OpenBLAS (`arithmetic`). Both run single-threaded per call: a large
/// product is cut into blocks whose boundaries depend only on its shape, never
/// on the thread count, and `Parallel.forEach` shares the blocks out to
/// `threadCount` threads. The products of the encoders are short and many,
/// and OpenBLAS's own threads synchronise inside every call and spin between
/// calls, competing with the element-wise kernels for the same cores;
/// independent blocks need neither.
///
/// OpenBLAS as built by Debian uses 32-bit `blasint`, so every dimension and
/// leading dimension is checked with `Int32(exactly:)` in both modes; a value
/// that does not fit becomes `TensorError.tooLargeForBLAS`.
public enum BLAS {
    /// Workers one product, one attention or one element-wise kernel may use:
    /// the budget of the innermost `withSettings(threads:)` around the caller,
    /// else the process default (OpenBLAS's own default: the core count or
    /// `OPENBLAS_NUM_THREADS`; an executable may set it once). Results never
    /// depend on it.
    public static var threadCount: Int {
        get { scopedThreads ?? budget.load(ordering: .relaxed) }
        set { budget.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Runs `body` with a thread budget and an arithmetic of its own: every
    /// product, attention and element-wise kernel it starts (on its thread and
    /// on the workers of `Parallel.forEach`) uses them, while code running
    /// concurrently elsewhere keeps its own. nil keeps the enclosing value.
    /// This is how a library or a test chooses threads and arithmetic without
    /// changing them for the rest of the process.
    public static func withSettings<Result>(
        threads: Int? = nil, arithmetic: GEMMArithmetic? = nil, _ body: () throws -> Result
    ) rethrows -> Result {
        try $scopedThreads.withValue(threads.map { max(1, $0) } ?? scopedThreads) {
            try $scopedArithmetic.withValue(arithmetic ?? scopedArithmetic, operation: body)
        }
    }

    /// The settings of the innermost `withSettings` around the caller (nil: the process default).
    @TaskLocal static var scopedThreads: Int?
    @TaskLocal static var scopedArithmetic: GEMMArithmetic?

    private static let budget = Atomic<Int>(openBLASDefaultThreads)

    /// OpenBLAS's default thread count, read once before OpenBLAS is switched
    /// to one thread for good.
    private static let openBLASDefaultThreads: Int = {
        let threads = Int(openblas_get_num_threads())
        openblas_set_num_threads(1)
        return max(1, threads)
    }()

    /// Which kernels compute products: the arithmetic of the innermost
    /// `withSettings(arithmetic:)` around the caller, else the process default
    /// (`.reproducible` unless an executable sets it).
    public static var arithmetic: GEMMArithmetic {
        get { scopedArithmetic ?? (arithmeticSetting.load(ordering: .relaxed) == 0 ? .reproducible : .openBLAS) }
        set { arithmeticSetting.store(newValue == .reproducible ? 0 : 1, ordering: .relaxed) }
    }

    private static let arithmeticSetting = Atomic<Int>(0)

    /// The instruction set the reproducible kernels run with. Every choice
    /// gives the same bits; only the speed differs. Defaults to the widest the
    /// CPU supports; tests set narrower ones to compare them.
    public static var reproducibleKernel: ReproducibleKernel {
        get { ReproducibleKernel(rawValue: kernelSetting.load(ordering: .relaxed)) ?? .portable }
        set {
            let usable = newValue.isSupported ? newValue : ReproducibleKernel.best
            kernelSetting.store(usable.rawValue, ordering: .relaxed)
        }
    }

    private static let kernelSetting = Atomic<Int>(ReproducibleKernel.initial.rawValue)

    /// The vector width of the reproducible kernels.
    public enum ReproducibleKernel: Int, Sendable, CaseIterable, CustomStringConvertible {
        /// Scalar C with `fmaf` (any CPU).
        case portable = 0
        /// 256-bit AVX2 and FMA.
        case avx2 = 1
        /// 512-bit AVX-512F.
        case avx512 = 2

        /// The widest kernel this CPU and operating system support.
        public static let best = ReproducibleKernel(rawValue: Int(cgemm_best_path().rawValue)) ?? .portable

        /// `OVSEG_GEMM_KERNEL` (`portable`, `avx2` or `avx512`) when set and supported, so that a
        /// user can check on one machine that every kernel gives the same bits; else `best`.
        static var initial: ReproducibleKernel {
            let names: [String: ReproducibleKernel] = ["portable": .portable, "avx2": .avx2, "avx512": .avx512]
            guard let value = getenv("OVSEG_GEMM_KERNEL"), let kernel = names[String(cString: value)],
                  kernel.isSupported else { return best }
            return kernel
        }

        public var isSupported: Bool { cgemm_path_supported(cgemm_path(rawValue: UInt32(rawValue))) != 0 }

        public var description: String {
            switch self {
            case .portable: "portable (scalar fmaf)"
            case .avx2: "AVX2+FMA"
            case .avx512: "AVX-512F"
            }
        }
    }

    /// What decides the bits of products on this machine now.
    public static var numerics: NumericsDescription {
        var brand = [CChar](repeating: 0, count: 64)
        cgemm_cpu_brand(&brand)
        let level = Int(cgemm_isa_level())
        return NumericsDescription(
            arithmetic: arithmetic,
            kernel: arithmetic == .reproducible ? reproducibleKernel.description : "OpenBLAS \(openBLASCore)",
            blas: configuration,
            cpu: String(decoding: brand.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            instructionSet: level > 0 ? "x86-64-v\(level)" : "unknown",
            threads: threadCount)
    }

    /// A short description of the BLAS build (e.g. "OpenBLAS 0.3.21 … Zen").
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// The OpenBLAS kernel family chosen for this CPU (e.g. "Haswell",
    /// "SkylakeX", "Cooperlake"), as OpenBLAS reports it.
    public static var openBLASCore: String {
        guard let text = openblas_get_corename() else { return "unknown" }
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
    /// `arithmetic` overrides the process-wide setting for this product (tests
    /// compare the two without changing what concurrently running code uses).
    static func sgemmUnchecked(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        arithmetic: GEMMArithmetic? = nil,
        prepare: ((Range<Int>, Range<Int>) -> Void)? = nil
    ) {
        let arithmetic = arithmetic ?? self.arithmetic
        let split = Split(m: m, n: n, k: k)
        if split.blocks < 2 {
            prepare?(0..<m, 0..<n)
            serialSGEMM(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, arithmetic: arithmetic)
            return
        }
        Parallel.forEach(split.blocks) { block in
            let (rows, columns) = split.block(block)
            prepare?(rows, columns)
            let aOffset = transposeA ? rows.lowerBound : rows.lowerBound * lda
            let bOffset = transposeB ? columns.lowerBound * ldb : columns.lowerBound
            serialSGEMM(
                transposeA: transposeA, transposeB: transposeB, m: rows.count, n: columns.count, k: k,
                alpha: alpha, a: a + aOffset, lda: lda, b: b + bOffset, ldb: ldb,
                beta: beta, c: c + rows.lowerBound * ldc + columns.lowerBound, ldc: ldc, arithmetic: arithmetic)
        }
    }

    /// One single-threaded product with the current `arithmetic` (for callers
    /// that are already running on a worker, e.g. one attention head).
    static func serialSGEMM(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        arithmetic: GEMMArithmetic? = nil
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            scaleRows(c, m: m, n: n, ldc: ldc, beta: beta)
            return
        }
        if (arithmetic ?? self.arithmetic) == .reproducible {
            let status = cgemm_sgemm(
                cgemm_path(rawValue: UInt32(reproducibleKernel.rawValue)), transposeA ? 1 : 0, transposeB ? 1 : 0,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            // The kernels' packing buffers (about 0.8 MB per thread) are allocated once per thread.
            precondition(status == 0, "out of memory: could not allocate the GEMM packing buffers")
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

    /// How one product is cut into independent blocks. The cut depends only
    /// on the shape, never on the thread count, so every block is the same
    /// call whatever thread runs it (OpenBLAS's result for a block can depend
    /// on the block's size: it switches kernels for small products).
    ///
    /// Blocks are a grid of at most `rowsPerBlock` rows by `columnsPerBlock`
    /// columns of `C`, cut at multiples of `granule`, and there are at most as
    /// many as the work pays for (`minimumWork` multiply-adds each).
    struct Split {
        /// Multiply-adds below which one call is cheaper than waking a worker.
        static let minimumWork = 1 << 20
        /// Blocks are cut at multiples of this many rows or columns (whole
        /// micro-kernel tiles of both kernels).
        static let granule = 32
        static let rowsPerBlock = 384
        static let columnsPerBlock = 256

        let rowBlocks: Int
        let columnBlocks: Int
        let m: Int
        let n: Int

        var blocks: Int { rowBlocks * columnBlocks }

        init(m: Int, n: Int, k: Int) {
            self.m = m
            self.n = n
            let work = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k)
            let affordable = work.overflow ? Int.max : max(1, work.partialValue / Self.minimumWork)
            func pieces(_ length: Int, _ size: Int) -> Int {
                max(1, min((length + size - 1) / size, (length + Self.granule - 1) / Self.granule))
            }
            var rows = pieces(m, Self.rowsPerBlock)
            var columns = pieces(n, Self.columnsPerBlock)
            // Fewer blocks when they would be too small to pay for a worker: columns first
            // (each column block packs all of A, each row block all of B).
            while rows * columns > affordable && (rows > 1 || columns > 1) {
                if columns >= rows { columns = max(1, columns / 2) } else { rows = max(1, rows / 2) }
            }
            rowBlocks = rows
            columnBlocks = columns
        }

        /// The rows and columns of `C` in block `index` (row-major over the grid).
        func block(_ index: Int) -> (Range<Int>, Range<Int>) {
            (Self.cut(m, into: rowBlocks, index / columnBlocks), Self.cut(n, into: columnBlocks, index % columnBlocks))
        }

        /// Piece `piece` of `length` cut into `pieces` nearly equal runs of whole granules.
        static func cut(_ length: Int, into pieces: Int, _ piece: Int) -> Range<Int> {
            let granules = (length + granule - 1) / granule
            func bound(_ p: Int) -> Int { min(length, granules * p / pieces * granule) }
            return bound(piece)..<bound(piece + 1)
        }
    }
}
