import Testing
@testable import Tensor

/// The reproducible GEMM promises one exact sequence of roundings per element
/// (a chain of fused multiply-adds over k in order, then the alpha/beta step),
/// so its output is compared bit for bit with that sequence written out here in
/// Swift (`addingProduct` is a fused multiply-add), for every kernel this CPU
/// can run and at several thread counts.
@Suite("Reproducible GEMM", .serialized)
struct ReproducibleGEMMTests {
    func values(_ count: Int, _ seed: Float) -> [Float] {
        // Mixed signs and magnitudes, so that rounding differences would show.
        (0..<count).map { i in
            let x = Float(i)
            return (x * seed).truncatingRemainder(dividingBy: 1.7) * (i % 3 == 0 ? 1e-3 : 1) - 0.6 + seed / (x + 1)
        }
    }

    /// The promised arithmetic, one element at a time.
    func oracle(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: [Float], lda: Int, b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int
    ) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    s = s.addingProduct(x, y)
                }
                let t = alpha == 1 ? s : alpha * s
                let old = c[i * ldc + j]
                out[i * ldc + j] = beta == 0 ? t : beta == 1 ? old + t : beta * old + t
            }
        }
        return out
    }

    func product(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: [Float], lda: Int, b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int
    ) throws -> [Float] {
        var out = c
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try out.withUnsafeMutableBufferPointer { pc in
                    try BLAS.sgemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                        c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        return out
    }

    /// Restores the process-wide kernel a test changes (which changes no result).
    func withSettings<T>(_ body: () throws -> T) rethrows -> T {
        let kernel = BLAS.reproducibleKernel
        defer { BLAS.reproducibleKernel = kernel }
        return try body()
    }

    /// Shapes around every block edge: one row or column, k across several
    /// 256-deep blocks, m past a 384-row group and n past a 256-column panel,
    /// sizes that are not multiples of either kernel's 6×16 or 12×32 tile, and
    /// a leading dimension wider than the matrix.
    @Test(arguments: [
        (1, 1, 1), (5, 17, 3), (13, 33, 257), (385, 9, 40), (40, 520, 70), (97, 300, 600), (2, 3, 0),
    ])
    func everyKernelComputesThePromisedRoundings(sizes: (Int, Int, Int)) throws {
        let (m, n, k) = sizes
        try withSettings {
            #expect(BLAS.arithmetic == .reproducible, "the default; no test changes it")
            for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (1.25, 0.75)] {
                    let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 1, ldc = n + 2
                    let a = values(max(transposeA ? k : m, 1) * lda, 0.37)
                    let b = values(max(transposeB ? n : k, 1) * ldb, 0.11)
                    let c = values(m * ldc, 0.05)
                    let expected = oracle(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                    for kernel in BLAS.ReproducibleKernel.allCases where kernel.isSupported {
                        for threads in [1, 2, 3] {
                            BLAS.reproducibleKernel = kernel
                            let got = try BLAS.withSettings(threads: threads) {
                                try product(
                                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                            }
                            let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                            #expect(
                                differing == 0,
                                "\(sizes) transposes \(transposeA) \(transposeB) α \(alpha) β \(beta), \(kernel), \(threads) threads: \(differing) elements differ")
                        }
                    }
                }
            }
        }
    }

    /// The portable kernel always runs, so at least one kernel was checked; the
    /// widest one is the default.
    @Test func theWidestSupportedKernelIsTheDefault() {
        #expect(BLAS.ReproducibleKernel.portable.isSupported)
        #expect(BLAS.ReproducibleKernel.best.isSupported)
        let wider = BLAS.ReproducibleKernel.allCases.filter { $0.rawValue > BLAS.ReproducibleKernel.best.rawValue }
        #expect(wider.allSatisfy { !$0.isSupported })
    }

    /// OpenBLAS mode: the blocks are cut by shape only, so one, two and three
    /// threads run the same calls and agree bit for bit. (The arithmetic is
    /// passed per product: switching the process-wide setting would change
    /// what tests of other suites, running at the same time, compute.)
    @Test func openBLASResultsDoNotDependOnTheThreadCount() throws {
        try withSettings {
            for (m, n, k) in [(700, 900, 200), (1, 3000, 500), (2000, 24, 700)] {
                let a = values(m * k, 0.3), b = values(n * k, 0.7), c = values(m * n, 0.2)
                var results: [[UInt32]] = []
                for threads in [1, 2, 3] {
                    var got = c
                    BLAS.withSettings(threads: threads) {
                        a.withUnsafeBufferPointer { pa in
                            b.withUnsafeBufferPointer { pb in
                                got.withUnsafeMutableBufferPointer { pc in
                                    BLAS.sgemmUnchecked(
                                        transposeA: false, transposeB: true, m: m, n: n, k: k,
                                        a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: k, beta: 1,
                                        c: pc.baseAddress!, ldc: n, arithmetic: .openBLAS)
                                }
                            }
                        }
                    }
                    results.append(got.map(\.bitPattern))
                }
                #expect(results[0] == results[1] && results[1] == results[2], "\(m)×\(n)×\(k)")
            }
        }
    }

    /// The cut depends on the shape alone and covers C exactly once.
    @Test func blocksTileTheProductExactlyOnce() {
        for (m, n, k) in [(2305, 2304, 768), (1, 3000, 500), (577, 577, 64), (10, 10, 10), (1000, 33, 4096)] {
            let split = BLAS.Split(m: m, n: n, k: k)
            var covered = [Int](repeating: 0, count: m * n)
            for index in 0..<split.blocks {
                let (rows, columns) = split.block(index)
                #expect(!rows.isEmpty && !columns.isEmpty)
                for i in rows { for j in columns { covered[i * n + j] += 1 } }
            }
            #expect(covered.allSatisfy { $0 == 1 }, "\(m)×\(n)×\(k)")
        }
    }
}
