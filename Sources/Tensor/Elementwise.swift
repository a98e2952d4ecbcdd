import Foundation

/// Lets a value that is only read (or written at disjoint indices) cross into
/// `Parallel.forEach` workers.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension Tensor {
    /// Applies `transform` to every element.
    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(validShape: shape, scalars: scalars.map(transform))
    }

    /// Element-wise sum of two tensors of the same shape (residual
    /// connections).
    public static func + (lhs: Tensor, rhs: Tensor) throws(TensorError) -> Tensor {
        guard lhs.shape == rhs.shape else {
            throw .shapeMismatch(operation: "add", detail: "\(lhs.shape) + \(rhs.shape)")
        }
        var result = lhs
        result.scalars.withUnsafeMutableBufferPointer { out in
            rhs.scalars.withUnsafeBufferPointer { r in
                for i in 0..<out.count { out[i] += r[i] }
            }
        }
        return result
    }

    /// Multiplies every element by `factor`.
    public static func * (lhs: Tensor, factor: Float) -> Tensor {
        lhs.map { $0 * factor }
    }

    /// Exact GELU, `0.5·x·(1 + erf(x/√2))` (PyTorch `nn.GELU()` default,
    /// OpenCLIP/LAION towers).
    public func gelu() -> Tensor {
        let invSqrt2: Float = 0.70710678118654752440
        return parallelMap { x in 0.5 * x * (1 + erf(x * invSqrt2)) }
    }

    /// QuickGELU, `x·σ(1.702·x)` (OpenAI CLIP's activation), with the
    /// vectorised `FastExp` and split over the BLAS thread budget.
    public func quickGELU() -> Tensor {
        parallelKernel(FastExp.quickGELU)
    }

    /// Runs a vectorised element-wise `kernel(input, output, count)` over contiguous chunks split
    /// over the BLAS thread budget (one chunk below 16 384 elements per worker).
    func parallelKernel(
        _ kernel: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        let count = scalars.count
        let workers = max(1, min(BLAS.threadCount, count / 16_384))
        return Tensor(validShape: shape, fill: { out in
            Parallel.forEach(workers) { worker in
                let start = count * worker / workers, end = count * (worker + 1) / workers
                guard end > start, let base = out.baseAddress else { return }
                scalars.withUnsafeBufferPointer { input in
                    kernel(input.baseAddress! + start, base + start, end - start)
                }
            }
        })
    }

    /// `map` split over `BLAS.threadCount` workers for large tensors (the
    /// transcendental activations of the MLPs would otherwise leave the other
    /// BLAS cores idle between GEMMs). Results are identical to `map`.
    func parallelMap(_ transform: @Sendable (Float) -> Float) -> Tensor {
        let count = scalars.count
        let workers = min(BLAS.threadCount, count / 16_384)
        if workers < 2 { return map(transform) }
        return Tensor(validShape: shape, fill: { out in
            Parallel.forEach(workers) { worker in
                let start = count * worker / workers, end = count * (worker + 1) / workers
                scalars.withUnsafeBufferPointer { input in
                    for i in start..<end { out[i] = transform(input[i]) }
                }
            }
        })
    }

    /// Softmax over the last dimension, stabilised by subtracting the row
    /// maximum (rows of `-∞` except at least one finite value are fine).
    public func softmax() throws(TensorError) -> Tensor {
        guard let width = shape.last, width > 0 else {
            throw .invalidArgument(operation: "softmax", detail: "needs a non-empty last dimension, got \(shape)")
        }
        var result = self
        result.scalars.withUnsafeMutableBufferPointer { buffer in
            let rows = buffer.count / width
            for r in 0..<rows {
                Tensor.softmaxRow(buffer.baseAddress! + r * width, count: width)
            }
        }
        return result
    }

    /// In-place stable softmax of `count` contiguous values (max subtraction,
    /// vectorised exp). Public for modules that run attention on their own
    /// buffers.
    public static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count where row[i] > maximum { maximum = row[i] }
        let sum = FastExp.expShiftedSum(row, count: count, shift: maximum)
        let inverse = 1 / sum
        for i in 0..<count { row[i] *= inverse }
    }

    /// PyTorch `nn.LayerNorm(d)`: normalises over the last dimension with the
    /// biased variance, then applies the per-feature affine `weight`/`bias`.
    /// Rows are split over the BLAS thread budget for large inputs (values do
    /// not depend on the split).
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws(TensorError) -> Tensor {
        guard let width = shape.last, width > 0 else {
            throw .invalidArgument(operation: "layerNorm", detail: "needs a non-empty last dimension, got \(shape)")
        }
        guard weight.shape == [width], bias.shape == [width] else {
            throw .shapeMismatch(operation: "layerNorm", detail: "input \(shape), weight \(weight.shape), bias \(bias.shape)")
        }
        let rows = count / width
        let workers = max(1, min(BLAS.threadCount, rows, count / 32_768))
        return Tensor(validShape: shape, fill: { out in
            guard let target = out.baseAddress else { return }
            Parallel.forEach(workers) { worker in
                scalars.withUnsafeBufferPointer { source in
                    weight.scalars.withUnsafeBufferPointer { gamma in
                        bias.scalars.withUnsafeBufferPointer { beta in
                            for r in (rows * worker / workers)..<(rows * (worker + 1) / workers) {
                                let row = source.baseAddress! + r * width, result = target + r * width
                                let (mean, inverseStd) = Tensor.moments(row, count: width, epsilon: epsilon)
                                for i in 0..<width {
                                    result[i] = (row[i] - mean) * inverseStd * gamma[i] + beta[i]
                                }
                            }
                        }
                    }
                }
            }
        })
    }

    /// Mean and `1/√(biased variance + eps)` of `count` values, accumulated in
    /// Double (two passes, eight partial sums) so the statistics are at least
    /// as accurate as PyTorch's.
    static func moments(_ values: UnsafePointer<Float>, count: Int, epsilon: Float) -> (Float, Float) {
        let mean = sumInDouble(values, count: count) { $0 } / Double(count)
        let variance = sumInDouble(values, count: count) { ($0 - mean) * ($0 - mean) } / Double(count)
        return (Float(mean), Float(1 / (variance + Double(epsilon)).squareRoot()))
    }

    /// `Σ term(Double(vᵢ))` over eight interleaved partial sums (independent
    /// chains the vector units can overlap), then the partials in order.
    @inline(__always)
    private static func sumInDouble(
        _ values: UnsafePointer<Float>, count: Int, _ term: (SIMD4<Double>) -> SIMD4<Double>
    ) -> Double {
        var low = SIMD4<Double>(), high = SIMD4<Double>()
        var i = 0
        while i + 8 <= count {
            low += term(SIMD4(Double(values[i]), Double(values[i + 1]), Double(values[i + 2]), Double(values[i + 3])))
            high += term(SIMD4(Double(values[i + 4]), Double(values[i + 5]), Double(values[i + 6]), Double(values[i + 7])))
            i += 8
        }
        var tail = SIMD4<Double>()
        while i < count {
            tail[0] += term(SIMD4(repeating: Double(values[i])))[0]
            i += 1
        }
        let total = low + high + tail
        return total[0] + total[1] + total[2] + total[3]
    }

    /// PyTorch `nn.GroupNorm(groups, C)` on `[N, C, *]`: statistics per sample
    /// over the `(C/groups)·spatial` values of each group (biased variance),
    /// then a per-channel affine.
    public func groupNorm(groups: Int, weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws(TensorError) -> Tensor {
        let op = "groupNorm"
        guard rank >= 2 else { throw .shapeMismatch(operation: op, detail: "input \(shape) needs [N, C, ...]") }
        let batch = shape[0], channels = shape[1]
        guard groups > 0, channels % groups == 0 else {
            throw .invalidArgument(operation: op, detail: "\(channels) channels cannot be split into \(groups) groups")
        }
        guard weight.shape == [channels], bias.shape == [channels] else {
            throw .shapeMismatch(operation: op, detail: "input \(shape), weight \(weight.shape), bias \(bias.shape)")
        }
        let spatial = shape.dropFirst(2).reduce(1, *)
        let perGroup = channels / groups * spatial
        if count == 0 || perGroup == 0 { return self }
        var result = self
        result.scalars.withUnsafeMutableBufferPointer { buffer in
            weight.scalars.withUnsafeBufferPointer { gamma in
                bias.scalars.withUnsafeBufferPointer { beta in
                    for n in 0..<batch {
                        for g in 0..<groups {
                            let start = buffer.baseAddress! + (n * groups + g) * perGroup
                            let (mean, inverseStd) = Tensor.moments(start, count: perGroup, epsilon: epsilon)
                            for c in 0..<(channels / groups) {
                                let channel = g * (channels / groups) + c
                                let scale = inverseStd * gamma[channel]
                                let row = start + c * spatial
                                for i in 0..<spatial {
                                    row[i] = (row[i] - mean) * scale + beta[channel]
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// PyTorch `F.normalize(x, dim=-1)`: each row divided by
    /// `max(‖row‖₂, 1e-12)`.
    public func l2Normalized() throws(TensorError) -> Tensor {
        guard let width = shape.last, width > 0 else {
            throw .invalidArgument(operation: "l2Normalized", detail: "needs a non-empty last dimension, got \(shape)")
        }
        var result = self
        result.scalars.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<(buffer.count / width) {
                let row = buffer.baseAddress! + r * width
                var squares = 0.0
                for i in 0..<width { squares += Double(row[i]) * Double(row[i]) }
                let inverse = Float(1 / max(squares.squareRoot(), 1e-12))
                for i in 0..<width { row[i] *= inverse }
            }
        }
        return result
    }
}
