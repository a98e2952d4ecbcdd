import Foundation
import Testing
@testable import Tensor

@Suite("self-similarity attention")
struct SelfSimilarityAttentionTests {
    /// Straightforward Double evaluation of Σ softmax(X_h X_hᵀ s) · V_h.
    func naive(_ qkv: Tensor, heads: Int, sources: SelfSimilaritySources) -> [Double] {
        let (b, s, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3), hw = d / heads
        let scale = 1 / Double(hw).squareRoot()
        var out = [Double](repeating: 0, count: b * s * d)
        func value(_ batch: Int, _ token: Int, _ block: Int, _ column: Int) -> Double {
            Double(qkv.scalars[(batch * s + token) * 3 * d + block * d + column])
        }
        let blocks = [(SelfSimilaritySources.query, 0), (.key, 1), (.value, 2)].filter { sources.contains($0.0) }.map(\.1)
        for batch in 0..<b {
            for h in 0..<heads {
                var weights = [Double](repeating: 0, count: s * s)
                for block in blocks {
                    for i in 0..<s {
                        let scores = (0..<s).map { j in
                            (0..<hw).reduce(0.0) { $0 + value(batch, i, block, h * hw + $1) * value(batch, j, block, h * hw + $1) } * scale
                        }
                        let top = scores.max() ?? 0
                        let exps = scores.map { Foundation.exp($0 - top) }
                        let total = exps.reduce(0, +)
                        for j in 0..<s { weights[i * s + j] += exps[j] / total }
                    }
                }
                for i in 0..<s {
                    for c in 0..<hw {
                        out[(batch * s + i) * d + h * hw + c] = (0..<s).reduce(0.0) { $0 + weights[i * s + $1] * value(batch, $1, 2, h * hw + c) }
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: [SelfSimilaritySources.query, [.query, .key], [.query, .key, .value], .value])
    func matchesTheDefinition(_ sources: SelfSimilaritySources) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let values: [Float] = (0..<(2 * 5 * 3 * 8)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2001 - 1000) / 400
        }
        let qkv = try Tensor(shape: [2, 5, 24], scalars: values)
        let result = try Tensor.selfSimilarityAttention(qkv, heads: 2, sources: sources)
        #expect(result.shape == [2, 5, 8])
        let expected = naive(qkv, heads: 2, sources: sources)
        let worst = zip(result.scalars, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "max |Δ| = \(worst)")
    }

    @Test func refusesBadInput() {
        #expect(throws: TensorError.self) { try Tensor.selfSimilarityAttention(Tensor(shape: [1, 2, 6], repeating: 0), heads: 1, sources: []) }
        #expect(throws: TensorError.self) { try Tensor.selfSimilarityAttention(Tensor(shape: [1, 2, 7], repeating: 0), heads: 1, sources: .query) }
        #expect(throws: TensorError.self) { try Tensor.selfSimilarityAttention(Tensor(shape: [1, 2, 6], repeating: 0), heads: 4, sources: .query) }
    }
}
