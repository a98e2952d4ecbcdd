import ParityTestSupport
import Testing
@testable import Tensor

/// General `Tensor.convTranspose2d` against PyTorch `F.conv_transpose2d`
/// (fixtures from make_head_fixtures.py): stride, padding, output padding,
/// dilation, groups, with and without bias. Unit-scale inputs, so the
/// primitive tolerance of §11.3 applies: ≤ 1e-6 absolute (+ 1e-6 relative).
@Suite("General transposed convolution")
struct ConvTransposeTests {
    let fixtures = FixtureSet.convTranspose

    private func pair(_ c: FixtureSet.Case, _ key: String) throws -> Pair {
        let values = try #require(c.params[key]?.ints, "\(c.name): \(key)")
        return Pair(values[0], values[1])
    }

    @Test func matchesPyTorch() throws {
        let cases = fixtures.cases(op: "convTranspose2dGeneral")
        #expect(cases.count == 7)
        for c in cases {
            let bias = c.tensors["bias"] == nil ? nil : try fixtures.tensor(c, "bias")
            let y = try Tensor.convTranspose2d(
                fixtures.tensor(c, "x"), weight: fixtures.tensor(c, "weight"), bias: bias,
                stride: pair(c, "stride"), padding: pair(c, "padding"), outputPadding: pair(c, "outputPadding"),
                dilation: pair(c, "dilation"), groups: try #require(c.params["groups"]?.int))
            let expected = try fixtures.tensor(c, "expected")
            let worst = zip(y.scalars, expected.scalars).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            print("parity \(c.name): max|Δ| = \(worst)")
            expectClose(y, expected, relative: 1e-6, absolute: 1e-6, c.name)
        }
    }

    /// The non-overlapping fast path (stride = kernel) and the general GEMM +
    /// col2im path agree: an output padding of 1 forces the general path and
    /// only appends a last row and column that nothing but the bias reaches.
    @Test func fastPathAgreesWithGeneralPath() throws {
        let c = try #require(fixtures.cases.first { $0.name == "convT_k2_s2" })
        let x = try fixtures.tensor(c, "x"), w = try fixtures.tensor(c, "weight"), b = try fixtures.tensor(c, "bias")
        let fast = try Tensor.convTranspose2d(x, weight: w, bias: b, stride: Pair(2))
        let general = try Tensor.convTranspose2d(x, weight: w, bias: b, stride: Pair(2), outputPadding: Pair(1))
        #expect(general.shape == [fast.shape[0], fast.shape[1], fast.shape[2] + 1, fast.shape[3] + 1])
        var worst: Float = 0
        for n in 0..<fast.shape[0] {
            for o in 0..<fast.shape[1] {
                for y in 0..<fast.shape[2] {
                    for x in 0..<fast.shape[3] { worst = max(worst, abs(fast[n, o, y, x] - general[n, o, y, x])) }
                }
                #expect(general[n, o, fast.shape[2], 0] == b.scalars[o])
            }
        }
        #expect(worst <= 1e-6)
    }

    @Test func rejectsBadArguments() throws {
        let x = try Tensor(shape: [1, 4, 3, 3], repeating: 1)
        let w = try Tensor(shape: [4, 2, 3, 3], repeating: 1)
        func message(_ body: () throws(TensorError) -> Tensor) -> String? {
            do { _ = try body(); return nil } catch { return error.description }
        }
        let channels = message { () throws(TensorError) in
            try Tensor.convTranspose2d(x, weight: try Tensor(shape: [3, 2, 3, 3], repeating: 1)) }
        #expect(channels?.contains("[3, 2, 3, 3]") == true && channels?.contains("[1, 4, 3, 3]") == true)
        #expect(message { () throws(TensorError) in try Tensor.convTranspose2d(x, weight: w, groups: 3) }?.contains("groups") == true)
        #expect(message { () throws(TensorError) in try Tensor.convTranspose2d(x, weight: w, stride: Pair(0)) } != nil)
        #expect(message { () throws(TensorError) in try Tensor.convTranspose2d(x, weight: w, padding: Pair(-1)) } != nil)
        let outPad = message { () throws(TensorError) in
            try Tensor.convTranspose2d(x, weight: w, stride: Pair(2), outputPadding: Pair(2)) }
        #expect(outPad?.contains("output padding") == true)
        let bias = message { () throws(TensorError) in
            try Tensor.convTranspose2d(x, weight: w, bias: try Tensor(shape: [3], repeating: 0)) }
        #expect(bias?.contains("[3]") == true)
        let empty = message { () throws(TensorError) in try Tensor.convTranspose2d(x, weight: w, padding: Pair(3)) }
        #expect(empty?.contains("empty") == true)
        #expect(message { () throws(TensorError) in try Tensor.convTranspose2d(try Tensor(shape: [4, 3, 3], repeating: 0), weight: w) } != nil)
    }
}
