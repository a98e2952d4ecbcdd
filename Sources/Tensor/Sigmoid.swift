import Foundation

extension Tensor {
    /// The logistic function `1 / (1 + e^(−x))` element-wise (per-class probabilities of the
    /// segmentation heads), with the vectorised `FastExp` and split over the BLAS thread budget.
    /// Relative difference from `1 / (1 + Foundation.exp(−x))` ≤ 4e-7.
    public func sigmoid() -> Tensor {
        parallelKernel(Tensor.sigmoid)
    }

    @Sendable static func sigmoid(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let src = UnsafeRawPointer(input), dst = UnsafeMutableRawPointer(output)
        while i + 8 <= count {
            let x = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            dst.storeBytes(of: 1 / (1 + FastExp.exp(-x)), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var x = SIMD8<Float>(repeating: 0)
            for j in i..<count { x[j - i] = input[j] }
            let y = 1 / (1 + FastExp.exp(-x))
            for j in i..<count { output[j] = y[j - i] }
        }
    }
}
