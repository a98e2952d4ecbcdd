import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Tensor

/// The products, attention and LayerNorm are cut into pieces for
/// `Parallel.forEach`; every piece must run exactly once, one thread and two
/// must agree bit for bit (the cut never depends on the thread count), and
/// both must match a double-precision reference written out here.
@Suite("Parallel products", .serialized)
struct ParallelProductsTests {
    /// The largest difference between two tensors or arrays, relative to max(1, |b|).
    func gap(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }

    /// Runs `body` with one thread and with two, and returns both results.
    func withOneAndTwoThreads<T>(_ body: () throws -> T) rethrows -> (one: T, two: T) {
        (try BLAS.withSettings(threads: 1, body), try BLAS.withSettings(threads: 2, body))
    }

    func values(_ count: Int, _ seed: Float) -> [Float] {
        (0..<count).map { sin(Float($0) * seed + seed) * 1.5 }
    }

    @Test func everyPieceRunsExactlyOnce() {
        for threads in [1, 2, 3] {
            BLAS.withSettings(threads: threads) {
                for pieces in [0, 1, 2, 3, 17, 1000] {
                    let counts = Mutex([Int](repeating: 0, count: pieces))
                    Parallel.forEach(pieces) { piece in counts.withLock { $0[piece] += 1 } }
                    let seen = counts.withLock { $0 }
                    #expect(seen == [Int](repeating: 1, count: pieces), "threads \(threads), pieces \(pieces)")
                }
            }
        }
    }

    /// A body that itself calls `forEach`, and callers on several threads at
    /// once: the busy pool runs the extra work on the calling thread.
    @Test func nestedAndConcurrentCallsComplete() {
        BLAS.withSettings(threads: 2) { nestedAndConcurrentCalls() }
    }

    func nestedAndConcurrentCalls() {
        let total = Atomic<Int>(0)
        Parallel.forEach(4) { _ in
            Parallel.forEach(5) { inner in total.add(inner + 1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 15)
        let sums = Mutex([Int](repeating: 0, count: 4))
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<500 {
                Parallel.forEach(7) { piece in sums.withLock { $0[caller] += piece } }
            }
        }
        #expect(sums.withLock { $0 } == [Int](repeating: 500 * 21, count: 4))
    }

    /// Products split by columns and by rows, with transposed operands and
    /// `beta = 1`, against a triple loop in Double; one and two threads agree exactly.
    @Test(arguments: [(300, 512, 64), (513, 40, 96), (7, 1000, 300), (2, 3, 4)])
    func productsMatchTheTripleLoop(sizes: (Int, Int, Int)) throws {
        let (m, n, k) = sizes
        for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
            let a = values(m * k, 0.37), b = values(k * n, 0.11), start = values(m * n, 0.05)
            let lda = transposeA ? m : k, ldb = transposeB ? k : n
            let (one, two) = try withOneAndTwoThreads { () throws -> [Float] in
                var c = start
                try a.withUnsafeBufferPointer { pa in
                    try b.withUnsafeBufferPointer { pb in
                        try c.withUnsafeMutableBufferPointer { pc in
                            try BLAS.sgemm(
                                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                                a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: 1,
                                c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
                return c
            }
            #expect(one == two, "\(sizes) transposes \(transposeA) \(transposeB): thread counts disagree")
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k {
                        let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                        let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                        sum += Double(x) * Double(y)
                    }
                    let expected = 0.5 * sum + Double(start[i * n + j])
                    worst = max(worst, abs(Double(two[i * n + j]) - expected) / max(1, abs(expected)))
                }
            }
            #expect(worst <= 1e-5, "\(sizes) transposes \(transposeA) \(transposeB): error \(worst)")
        }
    }

    /// `linear(x, W, b, adding: r)` is `r + x·Wᵀ + b` in one product.
    @Test func linearAddsTheResidual() throws {
        let rows = 150, inFeatures = 96, outFeatures = 700
        let x = try Tensor(shape: [3, rows / 3, inFeatures], scalars: values(rows * inFeatures, 0.23))
        let w = try Tensor(shape: [outFeatures, inFeatures], scalars: values(outFeatures * inFeatures, 0.71))
        let b = try Tensor(shape: [outFeatures], scalars: values(outFeatures, 0.9))
        let r = try Tensor(shape: [3, rows / 3, outFeatures], scalars: values(rows * outFeatures, 0.13))
        let (one, two) = try withOneAndTwoThreads { try Tensor.linear(x, weight: w, bias: b, adding: r) }
        #expect(one == two)
        #expect(two.shape == [3, rows / 3, outFeatures])
        let plain = try withOneAndTwoThreads { try Tensor.linear(x, weight: w, adding: r) }.two
        var worst = 0.0, worstPlain = 0.0
        for i in 0..<rows {
            for j in 0..<outFeatures {
                var sum = 0.0
                for p in 0..<inFeatures { sum += Double(x.scalars[i * inFeatures + p]) * Double(w.scalars[j * inFeatures + p]) }
                let skip = Double(r.scalars[i * outFeatures + j])
                worst = max(worst, abs(Double(two.scalars[i * outFeatures + j]) - (sum + Double(b.scalars[j]) + skip)))
                worstPlain = max(worstPlain, abs(Double(plain.scalars[i * outFeatures + j]) - (sum + skip)))
            }
        }
        #expect(worst <= 1e-4 && worstPlain <= 1e-4, "max |Δ| \(worst), without bias \(worstPlain)")
        #expect(throws: TensorError.self) { try Tensor.linear(x, weight: w, bias: b, adding: b) }
    }

    /// Long sequences are cut into query blocks (300² scores exceed one
    /// block): plain and causal attention against the formula in Double.
    @Test func blockedAttentionMatchesTheFormula() throws {
        let b = 2, s = 300, d = 64, heads = 2, hw = d / heads
        let q = try Tensor(shape: [b, s, d], scalars: values(b * s * d, 0.31))
        let k = try Tensor(shape: [b, s, d], scalars: values(b * s * d, 0.17))
        let v = try Tensor(shape: [b, s, d], scalars: values(b * s * d, 0.07))
        #expect(s * s > Tensor.scoreBlockFloats)
        for causal in [false, true] {
            let (one, two) = try withOneAndTwoThreads {
                try Tensor.scaledDotProductAttention(query: q, key: k, value: v, heads: heads, causal: causal)
            }
            #expect(one == two, "causal \(causal): thread counts disagree")
            var worst = 0.0
            for batch in 0..<b {
                for h in 0..<heads {
                    for i in stride(from: 0, to: s, by: 7) {
                        let visible = causal ? i + 1 : s
                        var logits = [Double](repeating: 0, count: visible)
                        for j in 0..<visible {
                            for c in 0..<hw {
                                logits[j] += Double(q.scalars[(batch * s + i) * d + h * hw + c]) * Double(k.scalars[(batch * s + j) * d + h * hw + c])
                            }
                            logits[j] /= Double(hw).squareRoot()
                        }
                        let top = logits.max()!
                        let weights = logits.map { Foundation.exp($0 - top) }
                        let total = weights.reduce(0, +)
                        for c in 0..<hw {
                            var expected = 0.0
                            for j in 0..<visible { expected += weights[j] / total * Double(v.scalars[(batch * s + j) * d + h * hw + c]) }
                            worst = max(worst, abs(Double(two.scalars[(batch * s + i) * d + h * hw + c]) - expected))
                        }
                    }
                }
            }
            #expect(worst <= 1e-5, "causal \(causal): max |Δ| \(worst)")
        }
    }

    /// One query row per entry (the pooled outputs' last layer) equals that
    /// row of full attention: plain with every key, causal with keys up to the row.
    @Test func selectedQueryRowsEqualFullAttentionRows() throws {
        let b = 3, s = 9, d = 12, heads = 3
        let qkv = try Tensor(shape: [b, s, 3 * d], scalars: values(b * s * 3 * d, 0.29))
        let rows = [0, 4, 8]
        for causal in [false, true] {
            let full = try Tensor.packedSelfAttention(qkv, heads: heads, causal: causal)
            let selected = try Tensor.packedSelfAttention(
                qkv, heads: heads, queryRows: rows, keyCounts: causal ? rows.map { $0 + 1 } : [s, s, s])
            #expect(selected.shape == [b, 1, d])
            var expected: [Float] = []
            for (entry, row) in rows.enumerated() { expected += full.scalars[((entry * s + row) * d)..<((entry * s + row + 1) * d)] }
            #expect(gap(selected.scalars, expected) <= 1e-6, "causal \(causal)")
        }
        #expect(throws: TensorError.self) { try Tensor.packedSelfAttention(qkv, heads: heads, queryRows: [0, 1], keyCounts: [1, 2]) }
        #expect(throws: TensorError.self) { try Tensor.packedSelfAttention(qkv, heads: heads, queryRows: [0, 1, 9], keyCounts: [1, 2, 9]) }
        #expect(throws: TensorError.self) { try Tensor.packedSelfAttention(qkv, heads: heads, queryRows: [0, 1, 2], keyCounts: [1, 0, 3]) }
    }

    /// The allocator settings take effect where the C library is glibc (a
    /// header guard once made them a silent no-op).
    @Test func allocatorSettingsApplyOnGlibc() {
        #if os(Linux)
        #expect(ActivationMemory.keepFreedBuffers())
        #endif
    }

    @Test func layerNormOverManyRowsMatchesTheFormula() throws {
        let rows = 100, width = 768
        let x = try Tensor(shape: [rows, width], scalars: values(rows * width, 0.019).enumerated().map { $1 * 3 + Float($0 % 5) })
        let gamma = try Tensor(shape: [width], scalars: values(width, 0.3))
        let beta = try Tensor(shape: [width], scalars: values(width, 0.8))
        // Rows are normalised independently: here the split cannot change a bit.
        let (one, two) = try withOneAndTwoThreads { try x.layerNorm(weight: gamma, bias: beta, epsilon: 1e-5) }
        #expect(one == two)
        var worst = 0.0
        for r in 0..<rows {
            let row = x.scalars[(r * width)..<((r + 1) * width)].map(Double.init)
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for i in 0..<width {
                let expected = (row[i] - mean) / (variance + 1e-5).squareRoot() * Double(gamma.scalars[i]) + Double(beta.scalars[i])
                worst = max(worst, abs(Double(two.scalars[r * width + i]) - expected))
            }
        }
        #expect(worst <= 2e-6, "max |Δ| \(worst)")
    }

    /// A thread budget and an arithmetic set with `BLAS.withSettings` hold for the caller and for
    /// the pieces it hands to helper threads, and not for code running at the same time elsewhere.
    @Test func scopedSettingsReachTheHelpersAndNothingElse() {
        let processDefault = (BLAS.threadCount, BLAS.arithmetic)
        let seen = Mutex([[String]](repeating: [], count: 2))
        let onHelpers = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            let threads = caller == 0 ? 2 : 3
            let arithmetic: GEMMArithmetic = caller == 0 ? .openBLAS : .reproducible
            let callerThread = pthread_self()
            BLAS.withSettings(threads: threads, arithmetic: arithmetic) {
                for _ in 0..<20 {
                    Parallel.forEach(8) { _ in
                        // Long enough pieces that the helper threads take some of them.
                        usleep(1000)
                        if pthread_equal(pthread_self(), callerThread) == 0 { onHelpers.add(1, ordering: .relaxed) }
                        let observed = "\(BLAS.threadCount) \(BLAS.arithmetic.rawValue)"
                        seen.withLock { $0[caller].append(observed) }
                    }
                }
            }
        }
        let observed = seen.withLock { $0 }
        #expect(onHelpers.load(ordering: .relaxed) > 0, "no piece ran on a helper thread: the test saw nothing")
        #expect(Set(observed[0]) == ["2 openblas"], "\(Set(observed[0]))")
        #expect(Set(observed[1]) == ["3 reproducible"], "\(Set(observed[1]))")
        #expect(observed[0].count == 160 && observed[1].count == 160)
        #expect(BLAS.threadCount == processDefault.0 && BLAS.arithmetic == processDefault.1)
        // Nested scopes: the inner value holds inside, nil keeps the outer one.
        BLAS.withSettings(threads: 2, arithmetic: .openBLAS) {
            BLAS.withSettings(threads: 1) {
                #expect(BLAS.threadCount == 1 && BLAS.arithmetic == .openBLAS)
            }
            #expect(BLAS.threadCount == 2)
        }
    }
}
