import ParityTestSupport
import Testing
@testable import Tensor

/// Every op against PyTorch outputs (fixtures from make_tensor_fixtures.py).
/// Tolerance: `max|Δ| ≤ 1e-5·max|expected| + 1e-6` (float32, §11.3).
@Suite("PyTorch parity")
struct ParityTests {
    let fixtures = FixtureSet.shared

    @Test func fixturesCoverEveryOp() {
        let ops = Set(fixtures.cases.map(\.op))
        #expect(ops == ["matmul", "linear", "gelu", "quickGELU", "softmax", "layerNorm", "groupNorm", "l2Normalized",
                        "multiHeadAttention", "conv2d", "convTranspose2d", "resize"])
    }

    @Test func matmul() throws {
        for c in fixtures.cases(op: "matmul") {
            let y = try Tensor.matmul(fixtures.tensor(c, "a"), fixtures.tensor(c, "b"),
                                      transposeA: c.params["transposeA"]?.bool ?? false,
                                      transposeB: c.params["transposeB"]?.bool ?? false)
            expectClose(y, try fixtures.tensor(c, "expected"), c.name)
        }
    }

    @Test func linear() throws {
        for c in fixtures.cases(op: "linear") {
            let bias = c.tensors["bias"] == nil ? nil : try fixtures.tensor(c, "bias")
            let y = try Tensor.linear(fixtures.tensor(c, "x"), weight: fixtures.tensor(c, "weight"), bias: bias)
            expectClose(y, try fixtures.tensor(c, "expected"), c.name)
        }
    }

    @Test func activationsAndSoftmax() throws {
        for c in fixtures.cases(op: "gelu") {
            expectClose(try fixtures.tensor(c, "x").gelu(), try fixtures.tensor(c, "expected"), c.name)
        }
        for c in fixtures.cases(op: "quickGELU") {
            expectClose(try fixtures.tensor(c, "x").quickGELU(), try fixtures.tensor(c, "expected"), c.name)
        }
        for c in fixtures.cases(op: "softmax") {
            expectClose(try fixtures.tensor(c, "x").softmax(), try fixtures.tensor(c, "expected"), c.name)
        }
        for c in fixtures.cases(op: "l2Normalized") {
            expectClose(try fixtures.tensor(c, "x").l2Normalized(), try fixtures.tensor(c, "expected"), c.name)
        }
    }

    @Test func norms() throws {
        for c in fixtures.cases(op: "layerNorm") {
            let y = try fixtures.tensor(c, "x").layerNorm(weight: fixtures.tensor(c, "weight"), bias: fixtures.tensor(c, "bias"))
            expectClose(y, try fixtures.tensor(c, "expected"), c.name)
        }
        for c in fixtures.cases(op: "groupNorm") {
            let groups = try #require(c.params["groups"]?.int)
            let y = try fixtures.tensor(c, "x").groupNorm(
                groups: groups, weight: fixtures.tensor(c, "weight"), bias: fixtures.tensor(c, "bias"))
            expectClose(y, try fixtures.tensor(c, "expected"), c.name)
        }
    }

    @Test func multiHeadAttention() throws {
        let cases = fixtures.cases(op: "multiHeadAttention")
        #expect(cases.count == 2)
        for c in cases {
            let t = { (role: String) throws -> Tensor in try fixtures.tensor(c, role) }
            let weights = AttentionWeights(
                query: (try t("wq"), try t("bq")), key: (try t("wk"), try t("bk")),
                value: (try t("wv"), try t("bv")), output: (try t("wo"), try t("bo")))
            let y = try Tensor.multiHeadAttention(
                try t("x"), weights: weights, heads: try #require(c.params["heads"]?.int),
                causal: try #require(c.params["causal"]?.bool))
            expectClose(y, try t("expected"), c.name)
        }
    }

    @Test func convolutions() throws {
        for c in fixtures.cases(op: "conv2d") {
            let stride = try #require(c.params["stride"]?.ints), padding = try #require(c.params["padding"]?.ints)
            let dilation = try #require(c.params["dilation"]?.ints)
            let bias = c.tensors["bias"] == nil ? nil : try fixtures.tensor(c, "bias")
            let y = try Tensor.conv2d(
                fixtures.tensor(c, "x"), weight: fixtures.tensor(c, "weight"), bias: bias,
                stride: Pair(stride[0], stride[1]), padding: Pair(padding[0], padding[1]),
                dilation: Pair(dilation[0], dilation[1]), groups: try #require(c.params["groups"]?.int))
            expectClose(y, try fixtures.tensor(c, "expected"), c.name)
        }
        for c in fixtures.cases(op: "convTranspose2d") {
            let y = try Tensor.convTranspose2dNonOverlapping(
                fixtures.tensor(c, "x"), weight: fixtures.tensor(c, "weight"), bias: fixtures.tensor(c, "bias"))
            expectClose(y, try fixtures.tensor(c, "expected"), c.name)
        }
    }

    /// Interpolation on unit-scale inputs: ≤ 1e-6 absolute plus 1e-6 relative
    /// (§11.3 "interpolation / conv / norm primitives").
    @Test func resize() throws {
        let cases = fixtures.cases(op: "resize")
        #expect(cases.count == 17)
        for c in cases {
            let mode: InterpolationMode = c.params["mode"]?.string == "bicubic" ? .bicubic : .bilinear
            let target: ResizeTarget
            if let size = c.params["size"]?.ints {
                target = .size(height: size[0], width: size[1])
            } else {
                let factors = try #require(c.params["scaleFactor"]?.doubles)
                target = .scaleFactor(height: factors[0], width: factors[1])
            }
            let y = try fixtures.tensor(c, "x").resized(
                to: target, mode: mode, alignCorners: try #require(c.params["alignCorners"]?.bool))
            expectClose(y, try fixtures.tensor(c, "expected"), relative: 1e-6, absolute: 1e-6, c.name)
        }
    }
}
