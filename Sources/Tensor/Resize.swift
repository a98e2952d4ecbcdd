import Foundation

/// Interpolation kernel for `Tensor.resized`.
public enum InterpolationMode: Sendable {
    /// Separable linear interpolation (PyTorch `mode="bilinear"`).
    case bilinear
    /// Separable cubic convolution with `A = −0.75` (PyTorch `mode="bicubic"`).
    case bicubic
}

/// How the output size of `Tensor.resized` is given; the choice changes the
/// coordinate mapping exactly as in PyTorch's `F.interpolate`.
public enum ResizeTarget: Sendable, Equatable {
    /// `size=(height, width)`: source scale is `in/out` per axis.
    case size(height: Int, width: Int)
    /// `scale_factor=(sh, sw)` (with `recompute_scale_factor` unset): output is
    /// `⌊in·s⌋` and the source scale is `1/s`, not `in/out`.
    case scaleFactor(height: Double, width: Double)
}

extension Tensor {
    /// PyTorch `F.interpolate(x, size|scale_factor, mode, align_corners)` on
    /// `[N, C, H, W]`, without antialiasing (PyTorch's default).
    ///
    /// Coordinates follow ATen's `area_pixel_compute_scale` and
    /// `area_pixel_compute_source_index` in Float32: with `alignCorners` the
    /// source of output index `i` is `i·(in−1)/(out−1)`; otherwise
    /// `scale·(i+0.5)−0.5`, clamped at 0 for bilinear only. Border taps are
    /// clamped to the image.
    public func resized(
        to target: ResizeTarget, mode: InterpolationMode, alignCorners: Bool = false
    ) throws(TensorError) -> Tensor {
        let op = "resize"
        guard rank == 4 else { throw .shapeMismatch(operation: op, detail: "expected [N, C, H, W], got \(shape)") }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let outH: Int, outW: Int
        var factors: (Double, Double)? = nil
        switch target {
        case .size(let height, let width):
            outH = height
            outW = width
        case .scaleFactor(let sh, let sw):
            guard sh > 0, sw > 0, sh.isFinite, sw.isFinite else {
                throw .invalidArgument(operation: op, detail: "scale factors must be positive and finite, got \(sh), \(sw)")
            }
            let fh = (Double(h) * sh).rounded(.down), fw = (Double(w) * sw).rounded(.down)
            guard fh < 1e9, fw < 1e9 else {
                throw .invalidArgument(operation: op, detail: "scale factors \(sh), \(sw) give an output that is too large")
            }
            outH = Int(fh)
            outW = Int(fw)
            factors = (sh, sw)
        }
        guard outH > 0, outW > 0, h > 0, w > 0 else {
            throw .invalidArgument(operation: op, detail: "input \(h)×\(w) and output \(outH)×\(outW) must be non-empty")
        }
        let ys = Tensor.taps(input: h, output: outH, factor: factors?.0, alignCorners: alignCorners, mode: mode)
        let xs = Tensor.taps(input: w, output: outW, factor: factors?.1, alignCorners: alignCorners, mode: mode)
        let tapCount = mode == .bilinear ? 2 : 4
        if n * c == 0 { return Tensor(validShape: [n, c, outH, outW], scalars: []) }
        if mode == .bilinear {
            return bilinear(planes: n * c, height: h, width: w, ys: ys, xs: xs, outShape: [n, c, outH, outW])
        }
        return Tensor(validShape: [n, c, outH, outW], fill: { out in
            scalars.withUnsafeBufferPointer { src in
                for plane in 0..<(n * c) {
                    let input = src.baseAddress! + plane * h * w
                    let output = out.baseAddress! + plane * outH * outW
                    for oy in 0..<outH {
                        let ty = ys[oy]
                        for ox in 0..<outW {
                            let tx = xs[ox]
                            var total: Float = 0
                            for i in 0..<tapCount {
                                let row = input + ty.index[i] * w
                                var inner: Float = 0
                                for j in 0..<tapCount { inner += tx.weight[j] * row[tx.index[j]] }
                                total += ty.weight[i] * inner
                            }
                            output[oy * outW + ox] = total
                        }
                    }
                }
            }
        })
    }

    /// Bilinear resampling of `planes` planes with the arithmetic of the general loop (horizontal
    /// sums `(0 + w₀a) + w₁b` first, then the vertical one), but with flat tap tables, each
    /// source row interpolated once per output row, and the planes split over the BLAS thread budget.
    private func bilinear(planes: Int, height h: Int, width w: Int, ys: [Taps], xs: [Taps], outShape: [Int]) -> Tensor {
        let (outH, outW) = (outShape[2], outShape[3])
        let y0 = ys.map { $0.index[0] }, y1 = ys.map { $0.index[1] }
        let wy0 = ys.map { $0.weight[0] }, wy1 = ys.map { $0.weight[1] }
        let x0 = xs.map { $0.index[0] }, x1 = xs.map { $0.index[1] }
        let wx0 = xs.map { $0.weight[0] }, wx1 = xs.map { $0.weight[1] }
        let workers = max(1, min(BLAS.threadCount, planes, planes * outH * outW / 65_536))
        return Tensor(validShape: outShape, fill: { out in
            let source = UnsafeSendable(scalars)
            let target = UnsafeSendable(out)
            Parallel.forEach(workers) { worker in
                let first = planes * worker / workers, last = planes * (worker + 1) / workers
                guard last > first, let outBase = target.value.baseAddress else { return }
                var upper = [Float](repeating: 0, count: outW), lower = [Float](repeating: 0, count: outW)
                source.value.withUnsafeBufferPointer { src in
                    guard let srcBase = src.baseAddress else { return }
                    upper.withUnsafeMutableBufferPointer { upper in
                        lower.withUnsafeMutableBufferPointer { lower in
                            func interpolate(_ row: UnsafePointer<Float>, into line: UnsafeMutableBufferPointer<Float>) {
                                for ox in 0..<outW {
                                    var inner: Float = 0
                                    inner += wx0[ox] * row[x0[ox]]
                                    inner += wx1[ox] * row[x1[ox]]
                                    line[ox] = inner
                                }
                            }
                            for plane in first..<last {
                                let input = srcBase + plane * h * w
                                let output = outBase + plane * outH * outW
                                var upperRow = -1, lowerRow = -1
                                for oy in 0..<outH {
                                    if upperRow != y0[oy] {
                                        upperRow = y0[oy]
                                        interpolate(input + upperRow * w, into: upper)
                                    }
                                    if lowerRow != y1[oy] {
                                        lowerRow = y1[oy]
                                        interpolate(input + lowerRow * w, into: lower)
                                    }
                                    let (a, b) = (wy0[oy], wy1[oy])
                                    let line = output + oy * outW
                                    for ox in 0..<outW {
                                        var total: Float = 0
                                        total += a * upper[ox]
                                        total += b * lower[ox]
                                        line[ox] = total
                                    }
                                }
                            }
                        }
                    }
                }
            }
        })
    }

    /// Source indices and weights for one output position along one axis.
    struct Taps {
        var index: [Int]
        var weight: [Float]
    }

    /// Per-output-index taps along one axis, following ATen's index/weight
    /// computation (including `guard_index_and_lambda`).
    static func taps(input: Int, output: Int, factor: Double?, alignCorners: Bool, mode: InterpolationMode) -> [Taps] {
        let scale: Float
        if alignCorners {
            scale = output > 1 ? Float(input - 1) / Float(output - 1) : 0
        } else if let factor {
            scale = Float(1.0 / factor)
        } else {
            scale = Float(input) / Float(output)
        }
        return (0..<output).map { dst in
            var source: Float
            if alignCorners {
                source = scale * Float(dst)
            } else {
                source = scale * (Float(dst) + 0.5) - 0.5
                if mode == .bilinear && source < 0 { source = 0 }
            }
            let base = min(Int(source.rounded(.down)), input - 1)
            let lambda = min(max(source - Float(base), 0), 1)
            switch mode {
            case .bilinear:
                let next = base < input - 1 ? base + 1 : base
                return Taps(index: [base, next], weight: [1 - lambda, lambda])
            case .bicubic:
                let a: Float = -0.75
                func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
                func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
                let weights = [far(lambda + 1), near(lambda), near(1 - lambda), far(2 - lambda)]
                let indices = (0..<4).map { min(max(base - 1 + $0, 0), input - 1) }
                return Taps(index: indices, weight: weights)
            }
        }
    }
}

extension Tensor {
    /// The channel argmax of `resized(to: .size(height, width), mode: .bilinear, alignCorners:)`
    /// for a `[C, H, W]` tensor (per-class score maps), without materialising the `C×height×width`
    /// resized tensor: one output row is interpolated for every channel at a time.
    ///
    /// Each value is computed with exactly the arithmetic of `resized`, so the result equals
    /// resize-then-argmax. Ties go to the lowest channel, as `torch.argmax` does on CPU.
    public func bilinearResizedArgmax(height: Int, width: Int, alignCorners: Bool = false) throws(TensorError) -> [Int32] {
        let op = "bilinearResizedArgmax"
        guard rank == 3 else { throw .shapeMismatch(operation: op, detail: "expected [C, H, W], got \(shape)") }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        guard c > 0, h > 0, w > 0, height > 0, width > 0 else {
            throw .invalidArgument(operation: op, detail: "input \(shape) and output \(height)×\(width) must be non-empty")
        }
        let ys = Tensor.taps(input: h, output: height, factor: nil, alignCorners: alignCorners, mode: .bilinear)
        let xs = Tensor.taps(input: w, output: width, factor: nil, alignCorners: alignCorners, mode: .bilinear)
        var labels = [Int32](repeating: 0, count: height * width)
        var best = [Float](repeating: 0, count: width)
        scalars.withUnsafeBufferPointer { src in
            labels.withUnsafeMutableBufferPointer { out in
                for oy in 0..<height {
                    let ty = ys[oy]
                    for channel in 0..<c {
                        let plane = src.baseAddress! + channel * h * w
                        let row0 = plane + ty.index[0] * w
                        let row1 = plane + ty.index[1] * w
                        for ox in 0..<width {
                            let tx = xs[ox]
                            let inner0 = tx.weight[0] * row0[tx.index[0]] + tx.weight[1] * row0[tx.index[1]]
                            let inner1 = tx.weight[0] * row1[tx.index[0]] + tx.weight[1] * row1[tx.index[1]]
                            let value = ty.weight[0] * inner0 + ty.weight[1] * inner1
                            if channel == 0 || value > best[ox] || (value.isNaN && !best[ox].isNaN) {
                                best[ox] = value
                                out[oy * width + ox] = Int32(channel)
                            }
                        }
                    }
                }
            }
        }
        return labels
    }
}
