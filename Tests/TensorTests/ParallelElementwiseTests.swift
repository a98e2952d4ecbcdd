import Foundation
import Testing
@testable import Tensor

/// The activations and the attention softmax split large tensors over the
/// BLAS thread budget; the split must not change a single value.
@Suite("Parallel element-wise paths", .serialized)
struct ParallelElementwiseTests {
    @Test func activationsEqualTheScalarMap() throws {
        try BLAS.withSettings(threads: 2) {
            let values = (0..<100_003).map { Float($0 % 997) / 83 - 6 }
            let x = try Tensor(shape: [100_003], scalars: values)
            let reference = x.map { $0 / (1 + exp(-1.702 * $0)) }
            let worst = zip(x.quickGELU().scalars, reference.scalars).map { abs($0 - $1) / max(abs($1), 1e-30) }.max() ?? 0
            #expect(worst <= 1e-6, "quickGELU relative error \(worst)")
            #expect(x.gelu().scalars == x.map { 0.5 * $0 * (1 + erf($0 * 0.70710678118654752440)) }.scalars)
        }
    }

    @Test func sigmoidMatchesTheScalarFormula() throws {
        try BLAS.withSettings(threads: 2) {
            var values = (0..<70_001).map { Float($0 % 1201) / 40 - 15 }
            values += [0, -0.0, 30, -30, 80, -80, 1e-8]
            let x = try Tensor(shape: [values.count], scalars: values)
            let reference = x.map { 1 / (1 + exp(-$0)) }
            let worst = zip(x.sigmoid().scalars, reference.scalars).map { abs($0 - $1) / max(abs($1), 1e-30) }.max() ?? 0
            #expect(worst <= 4e-7, "sigmoid relative error \(worst)")
            #expect(x.sigmoid().shape == [values.count])
            try BLAS.withSettings(threads: 1) {
                let one = try Tensor(shape: [3, 5], scalars: (0..<15).map { Float($0) - 7 }).sigmoid()
                #expect(abs(one.scalars[7] - 0.5) == 0)
            }
        }
    }

    /// SwiGLU (EVA02's MLP) against the scalar formula with libm's exp, over
    /// rows split across threads and a row width that leaves a vector tail.
    @Test func swiGLUMatchesTheScalarFormula() throws {
        try BLAS.withSettings(threads: 2) {
            let rows = 300, hidden = 203
            let x = try Tensor(shape: [3, rows / 3, 2 * hidden], scalars: (0..<(rows * 2 * hidden)).map { Float($0 % 1009) / 50 - 10 })
            let y = try x.swiGLU(hidden: hidden)
            #expect(y.shape == [3, rows / 3, hidden])
            var worst: Float = 0
            for r in 0..<rows {
                for i in 0..<hidden {
                    let gate = x.scalars[r * 2 * hidden + i], value = x.scalars[r * 2 * hidden + hidden + i]
                    let expected = gate / (1 + exp(-gate)) * value
                    worst = max(worst, abs(y.scalars[r * hidden + i] - expected) / max(abs(expected), 1e-6))
                }
            }
            #expect(worst <= 1e-6, "relative error \(worst)")
            #expect(throws: TensorError.self) { try x.swiGLU(hidden: 202) }
        }
    }

    /// The bilinear fast path (flat taps, cached rows, planes over workers) keeps the arithmetic
    /// of the general interpolation loop, written out here: equal to the last bit.
    @Test(arguments: [(7, 9, 23, 5), (96, 96, 384, 384), (40, 30, 13, 41)])
    func bilinearResizeEqualsTheTapLoop(sizes: (Int, Int, Int, Int)) throws {
        try BLAS.withSettings(threads: 2) {
            let (h, w, outH, outW) = sizes
            let planes = 3
            let x = try Tensor(shape: [1, planes, h, w], scalars: (0..<(planes * h * w)).map { sin(Float($0) * 0.61) * 3 })
            for alignCorners in [false, true] {
                let fast = try x.resized(to: .size(height: outH, width: outW), mode: .bilinear, alignCorners: alignCorners)
                let ys = Tensor.taps(input: h, output: outH, factor: nil, alignCorners: alignCorners, mode: .bilinear)
                let xs = Tensor.taps(input: w, output: outW, factor: nil, alignCorners: alignCorners, mode: .bilinear)
                var expected = [Float]()
                for plane in 0..<planes {
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            var total: Float = 0
                            for i in 0..<2 {
                                var inner: Float = 0
                                for j in 0..<2 { inner += xs[ox].weight[j] * x.scalars[plane * h * w + ys[oy].index[i] * w + xs[ox].index[j]] }
                                total += ys[oy].weight[i] * inner
                            }
                            expected.append(total)
                        }
                    }
                }
                #expect(fast.shape == [1, planes, outH, outW])
                #expect(fast.scalars == expected, "\(sizes) alignCorners \(alignCorners)")
            }
        }
    }

    @Test func attentionSoftmaxSplitMatchesOneThread() throws {
        let s = 200, d = 16
        let q = try Tensor(shape: [1, s, d], scalars: (0..<(s * d)).map { sin(Float($0) * 0.37) })
        let k = try Tensor(shape: [1, s, d], scalars: (0..<(s * d)).map { cos(Float($0) * 0.11) })
        let v = try Tensor(shape: [1, s, d], scalars: (0..<(s * d)).map { sin(Float($0) * 0.05) })
        for causal in [false, true] {
            let one = try BLAS.withSettings(threads: 1) {
                try Tensor.scaledDotProductAttention(query: q, key: k, value: v, heads: 2, causal: causal)
            }
            let two = try BLAS.withSettings(threads: 2) {
                try Tensor.scaledDotProductAttention(query: q, key: k, value: v, heads: 2, causal: causal)
            }
            let worst = zip(one.scalars, two.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-6, "causal \(causal): max |Δ| = \(worst)")
        }
    }
}

/// Attention on packed `[B, S, 3D]` projections equals attention on the
/// three separate tensors.
@Test func packedSelfAttentionMatchesSeparateProjections() throws {
    let b = 2, s = 7, d = 12
    let packed = try Tensor(shape: [b, s, 3 * d], scalars: (0..<(b * s * 3 * d)).map { sin(Float($0) * 0.29) })
    func part(_ block: Int) throws -> Tensor {
        var values: [Float] = []
        for row in 0..<(b * s) {
            let start: Int = row * 3 * d + block * d
            values += packed.scalars[start..<(start + d)]
        }
        return try Tensor(shape: [b, s, d], scalars: values)
    }
    for causal in [false, true] {
        let expected = try Tensor.scaledDotProductAttention(query: part(0), key: part(1), value: part(2), heads: 3, causal: causal)
        let actual = try Tensor.packedSelfAttention(packed, heads: 3, causal: causal)
        #expect(actual.shape == [b, s, d])
        let worst = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-6, "causal \(causal): max |Δ| = \(worst)")
    }
    #expect(throws: TensorError.self) { try Tensor.packedSelfAttention(Tensor(shape: [1, 2, 10]), heads: 2) }
}

/// The vectorised exp is within a few ulp of libm's over the range that
/// matters, and saturates sensibly outside it.
@Test func fastExpMatchesLibm() {
    var worst: Float = 0
    var x: Float = -87
    while x < 87.5 {
        let lanes = SIMD8<Float>(x, x + 0.001, x + 0.013, x + 0.1, x + 0.25, x + 0.333, x + 0.5, x + 0.77)
        let fast = FastExp.exp(lanes)
        for i in 0..<8 {
            let exact = Float(Foundation.exp(Double(lanes[i])))
            worst = max(worst, abs(fast[i] - exact) / exact)
        }
        x += 0.0917
    }
    #expect(worst <= 4e-7, "max relative error \(worst)")
    let extremes = FastExp.exp(SIMD8<Float>(-.infinity, -1000, -88, 0, 1, 89, 1000, .infinity))
    #expect(extremes[0] >= 0 && extremes[0] < 1e-37 && extremes[1] < 1e-37)
    #expect(extremes[3] == 1)
    #expect(extremes[5].isFinite && extremes[7].isFinite && extremes[7] > 1e38)
}
