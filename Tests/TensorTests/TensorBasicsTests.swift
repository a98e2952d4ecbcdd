import Foundation
import Testing
@testable import Tensor

@Suite("Tensor basics and errors")
struct TensorBasicsTests {
    @Test func shapeValidation() throws {
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 3], scalars: [1, 2, 3]) }
        #expect(throws: TensorError.self) { try Tensor(shape: [-1, 3]) }
        #expect(throws: TensorError.self) { try Tensor(shape: [Int.max, 3]) }
        let scalar = try Tensor(shape: [], scalars: [4.5])
        #expect(scalar.count == 1 && scalar.rank == 0)
        let t = try Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(try t.reshaped([3, -1]).shape == [3, 2])
        #expect(t[1, 2] == 5)
        #expect(throws: TensorError.self) { try t.reshaped([4, -1]) }
        #expect(throws: TensorError.self) { try t.reshaped([-1, -1]) }
    }

    @Test func errorsNameTheShapes() throws {
        let a = try Tensor(shape: [2, 3]), b = try Tensor(shape: [4, 5])
        do {
            _ = try Tensor.matmul(a, b)
            Issue.record("mismatched matmul did not throw")
        } catch {
            #expect(error.description.contains("[2, 3]") && error.description.contains("[4, 5]"))
        }
        #expect(throws: TensorError.self) { try Tensor.linear(a, weight: b) }
        let image = try Tensor(shape: [1, 4, 5, 5]), kernel = try Tensor(shape: [6, 2, 3, 3])
        #expect(throws: TensorError.invalidArgument(operation: "conv2d", detail: "groups = 3 must divide 4 input and 6 output channels")) {
            try Tensor.conv2d(image, weight: kernel, groups: 3)
        }
        #expect(throws: TensorError.self) { try image.groupNorm(groups: 3, weight: Tensor(shape: [4]), bias: Tensor(shape: [4])) }
        #expect(throws: TensorError.self) { try image.resized(to: .size(height: 0, width: 3), mode: .bilinear) }
        let x = try Tensor(shape: [1, 3, 8])
        #expect(throws: TensorError.self) {
            try Tensor.scaledDotProductAttention(query: x, key: x, value: x, heads: 3)
        }
    }

    @Test func blasDimensionsAreCheckedNotTruncated() {
        #expect(throws: TensorError.tooLargeForBLAS(dimension: "M", value: Int(Int32.max) + 1)) {
            try BLAS.validate([(Int(Int32.max) + 1, "M")])
        }
        #expect(TensorError.tooLargeForBLAS(dimension: "K", value: 1 << 33).description.contains("32-bit"))
    }

    @Test func emptyInnerDimensionGivesZerosOrBias() throws {
        let x = try Tensor(shape: [2, 0]), w = try Tensor(shape: [3, 0])
        let bias = try Tensor(shape: [3], scalars: [1, 2, 3])
        #expect(try Tensor.linear(x, weight: w, bias: bias).scalars == [1, 2, 3, 1, 2, 3])
        #expect(try Tensor.matmul(x, try Tensor(shape: [0, 4])).scalars == [Float](repeating: 0, count: 8))
    }

    /// Causal attention: changing a later token must not change earlier outputs.
    @Test func causalMaskIgnoresTheFuture() throws {
        var values = (0..<(1 * 5 * 8)).map { Float(sin(Double($0) * 0.37)) }
        let x1 = try Tensor(shape: [1, 5, 8], scalars: values)
        values[4 * 8 + 3] += 10
        let x2 = try Tensor(shape: [1, 5, 8], scalars: values)
        let y1 = try Tensor.scaledDotProductAttention(query: x1, key: x1, value: x1, heads: 2, causal: true)
        let y2 = try Tensor.scaledDotProductAttention(query: x2, key: x2, value: x2, heads: 2, causal: true)
        #expect(Array(y1.scalars[0..<32]) == Array(y2.scalars[0..<32]))
        #expect(Array(y1.scalars[32..<40]) != Array(y2.scalars[32..<40]))
    }

    /// Prints sgemm throughput for 1024³ (run with `OVSEG_BENCH=1`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["OVSEG_BENCH"] != nil))
    func gemmThroughput() throws {
        let n = 1024
        let a = try Tensor(shape: [n, n], scalars: (0..<(n * n)).map { Float($0 % 17) * 0.01 })
        _ = try Tensor.matmul(a, a)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try Tensor.matmul(a, a)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print("sgemm 1024×1024×1024: \(String(format: "%.1f", 2 * pow(Double(n), 3) / best / 1e9)) GFLOP/s (best of 5, \(BLAS.threadCount) threads, \(BLAS.configuration))")
    }
}
