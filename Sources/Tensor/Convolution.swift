/// A pair of per-axis integers (height, width) for convolution parameters.
public struct Pair: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }
    /// The same value on both axes.
    public init(_ both: Int) { self.init(both, both) }
}

extension Tensor {
    /// PyTorch `F.conv2d` (cross-correlation with zero padding) on
    /// `[N, C, H, W]` with `weight [O, C/groups, kh, kw]` and optional
    /// `bias [O]`.
    ///
    /// Implemented as im2col + GEMM: for each sample and group the receptive
    /// fields are unrolled into a `(C/groups·kh·kw) × (Ho·Wo)` matrix and
    /// multiplied by the group's weight rows. Output size per axis is
    /// `⌊(in + 2·pad − dilation·(k−1) − 1) / stride⌋ + 1`. The ViT patch
    /// embedding is the case `kernel = stride = patch`, `padding = 0`.
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: Pair = Pair(1), padding: Pair = Pair(0), dilation: Pair = Pair(1), groups: Int = 1
    ) throws(TensorError) -> Tensor {
        let op = "conv2d"
        guard input.rank == 4, weight.rank == 4 else {
            throw .shapeMismatch(operation: op, detail: "input \(input.shape) and weight \(weight.shape) must be rank 4")
        }
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        guard groups > 0, c % groups == 0, o % groups == 0 else {
            throw .invalidArgument(operation: op, detail: "groups = \(groups) must divide \(c) input and \(o) output channels")
        }
        guard cg == c / groups else {
            throw .shapeMismatch(operation: op, detail: "weight \(weight.shape) expects \(cg * groups) input channels, input \(input.shape) has \(c)")
        }
        guard stride.height > 0, stride.width > 0, dilation.height > 0, dilation.width > 0,
              padding.height >= 0, padding.width >= 0, kh > 0, kw > 0 else {
            throw .invalidArgument(operation: op, detail: "stride and dilation must be positive, padding non-negative, kernel non-empty")
        }
        if let bias, bias.shape != [o] {
            throw .shapeMismatch(operation: op, detail: "bias \(bias.shape) does not match \(o) output channels")
        }
        let spanH = dilation.height * (kh - 1) + 1, spanW = dilation.width * (kw - 1) + 1
        guard h + 2 * padding.height >= spanH, w + 2 * padding.width >= spanW else {
            throw .shapeMismatch(operation: op, detail: "kernel \(kh)×\(kw) (dilated \(spanH)×\(spanW)) is larger than the padded input \(h + 2 * padding.height)×\(w + 2 * padding.width)")
        }
        let ho = (h + 2 * padding.height - spanH) / stride.height + 1
        let wo = (w + 2 * padding.width - spanW) / stride.width + 1
        let og = o / groups
        let columns = ho * wo
        let patch = cg * kh * kw
        try BLAS.validate([(og, "M"), (columns, "N"), (patch, "K")])
        let outShape = [n, o, ho, wo]
        if n * o * columns == 0 { return Tensor(validShape: outShape, scalars: []) }

        // 1×1, stride 1, no padding: the input already is the column matrix.
        let pointwise = kh == 1 && kw == 1 && stride == Pair(1) && padding == Pair(0)
        var cols = [Float](repeating: 0, count: pointwise ? 0 : patch * columns)
        return Tensor(validShape: outShape, fill: { out in
            for sample in 0..<n {
                for channel in 0..<o {
                    let value = bias?.scalars[channel] ?? 0
                    (out.baseAddress! + (sample * o + channel) * columns).initialize(repeating: value, count: columns)
                }
            }
            input.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
            cols.withUnsafeMutableBufferPointer { pc in
                for sample in 0..<n {
                    for g in 0..<groups {
                        let groupInput = px.baseAddress! + (sample * c + g * cg) * h * w
                        let matrix: UnsafePointer<Float>
                        if pointwise {
                            matrix = groupInput
                        } else {
                            let col = pc.baseAddress!
                            var row = 0
                            for ci in 0..<cg {
                                let plane = groupInput + ci * h * w
                                for ky in 0..<kh {
                                    for kx in 0..<kw {
                                        let dst = col + row * columns
                                        for oy in 0..<ho {
                                            let iy = oy * stride.height - padding.height + ky * dilation.height
                                            let dstRow = dst + oy * wo
                                            if iy < 0 || iy >= h {
                                                dstRow.update(repeating: 0, count: wo)
                                                continue
                                            }
                                            let srcRow = plane + iy * w
                                            for ox in 0..<wo {
                                                let ix = ox * stride.width - padding.width + kx * dilation.width
                                                dstRow[ox] = (ix >= 0 && ix < w) ? srcRow[ix] : 0
                                            }
                                        }
                                        row += 1
                                    }
                                }
                            }
                            matrix = UnsafePointer(col)
                        }
                        BLAS.sgemmUnchecked(
                            transposeA: false, transposeB: false, m: og, n: columns, k: patch,
                            a: pw.baseAddress! + g * og * patch, lda: patch,
                            b: matrix, ldb: columns,
                            beta: 1,
                            c: out.baseAddress! + (sample * o + g * og) * columns, ldc: columns)
                    }
                }
            }
            }
            }
        })
    }

    /// PyTorch `ConvTranspose2d(ci, co, k, stride=k)` without padding on
    /// `[N, ci, H, W]` with `weight [ci, co, k, k]` (input channels first) and
    /// optional `bias [co]`: the windows do not overlap, so
    /// `y[o, i·k+a, j·k+b] = bias[o] + Σ_c x[c,i,j]·W[c,o,a,b]` is one GEMM
    /// `(co·k·k × ci)·(ci × H·W)` per sample followed by a scatter.
    public static func convTranspose2dNonOverlapping(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil
    ) throws(TensorError) -> Tensor {
        let op = "convTranspose2d"
        guard input.rank == 4, weight.rank == 4, weight.shape[2] == weight.shape[3] else {
            throw .shapeMismatch(operation: op, detail: "input \(input.shape) and square weight \(weight.shape) must be rank 4")
        }
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (ci, co, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        guard ci == c, k > 0 else {
            throw .shapeMismatch(operation: op, detail: "weight \(weight.shape) expects \(ci) input channels, input \(input.shape) has \(c)")
        }
        if let bias, bias.shape != [co] {
            throw .shapeMismatch(operation: op, detail: "bias \(bias.shape) does not match \(co) output channels")
        }
        let rows = co * k * k, pixels = h * w
        try BLAS.validate([(rows, "M"), (pixels, "N"), (c, "K")])
        let outShape = [n, co, h * k, w * k]
        if n * co * pixels == 0 || c == 0 {
            return try Tensor(shape: outShape).addingChannelBias(bias)
        }
        var products = [Float](repeating: 0, count: rows * pixels)
        return Tensor(validShape: outShape, fill: { out in
            input.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
            products.withUnsafeMutableBufferPointer { pp in
                for sample in 0..<n {
                    // products[(o,a,b), (i,j)] = Σ_c W[c, (o,a,b)] · x[c, (i,j)]
                    BLAS.sgemmUnchecked(
                        transposeA: true, transposeB: false, m: rows, n: pixels, k: c,
                        a: pw.baseAddress!, lda: rows,
                        b: px.baseAddress! + sample * c * pixels, ldb: pixels,
                        c: pp.baseAddress!, ldc: pixels)
                    for o in 0..<co {
                        let value = bias?.scalars[o] ?? 0
                        let plane = out.baseAddress! + (sample * co + o) * pixels * k * k
                        for a in 0..<k {
                            for b in 0..<k {
                                let src = pp.baseAddress! + ((o * k + a) * k + b) * pixels
                                for i in 0..<h {
                                    let dstRow = plane + (i * k + a) * (w * k) + b
                                    for j in 0..<w { dstRow[j * k] = src[i * w + j] + value }
                                }
                            }
                        }
                    }
                }
            }
            }
            }
        })
    }

    /// Adds a per-channel bias on axis 1 of `[N, C, ...]` (no-op for `nil`).
    func addingChannelBias(_ bias: Tensor?) throws(TensorError) -> Tensor {
        guard let bias else { return self }
        guard rank >= 2, bias.shape == [shape[1]] else {
            throw .shapeMismatch(operation: "bias", detail: "bias \(bias.shape) for input \(shape)")
        }
        let spatial = shape.dropFirst(2).reduce(1, *)
        var result = self
        for index in 0..<result.scalars.count {
            result.scalars[index] += bias.scalars[(index / spatial) % shape[1]]
        }
        return result
    }
}

extension Tensor {
    /// PyTorch `F.conv_transpose2d` on `[N, C_in, H, W]` with
    /// `weight [C_in, C_out/groups, kh, kw]` (input channels first) and
    /// optional `bias [C_out]`.
    ///
    /// Output size per axis is
    /// `(in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1`.
    /// Implemented as GEMM + col2im: per sample and group, one GEMM
    /// `(C_out/g·kh·kw × C_in/g)·(C_in/g × H·W)` gives every kernel tap's
    /// contribution, which is then scattered (summed) into the output at
    /// `y·stride − padding + tap·dilation`. When the windows cannot overlap
    /// (`stride == kernel`, no padding, output padding or dilation, one group,
    /// square kernel) the faster `convTranspose2dNonOverlapping` runs instead.
    ///
    /// - Throws: `TensorError` naming the operand shapes when ranks, channel
    ///   counts or the bias do not fit, and `invalidArgument` for non-positive
    ///   stride/dilation/groups, negative padding, an output padding not
    ///   smaller than the stride or the dilation (PyTorch's rule), or an empty
    ///   output.
    public static func convTranspose2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: Pair = Pair(1), padding: Pair = Pair(0), outputPadding: Pair = Pair(0),
        dilation: Pair = Pair(1), groups: Int = 1
    ) throws(TensorError) -> Tensor {
        let op = "convTranspose2d"
        guard input.rank == 4, weight.rank == 4 else {
            throw .shapeMismatch(operation: op, detail: "input \(input.shape) and weight \(weight.shape) must be rank 4")
        }
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (ci, cog, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        guard groups > 0 else {
            throw .invalidArgument(operation: op, detail: "groups = \(groups) must be positive")
        }
        guard ci == c else {
            throw .shapeMismatch(operation: op, detail: "weight \(weight.shape) expects \(ci) input channels, input \(input.shape) has \(c)")
        }
        guard c % groups == 0 else {
            throw .invalidArgument(operation: op, detail: "groups = \(groups) must divide the \(c) input channels")
        }
        guard stride.height > 0, stride.width > 0, dilation.height > 0, dilation.width > 0 else {
            throw .invalidArgument(operation: op, detail: "stride \(stride.height)×\(stride.width) and dilation \(dilation.height)×\(dilation.width) must be positive")
        }
        guard padding.height >= 0, padding.width >= 0, outputPadding.height >= 0, outputPadding.width >= 0 else {
            throw .invalidArgument(operation: op, detail: "padding \(padding.height)×\(padding.width) and output padding \(outputPadding.height)×\(outputPadding.width) must be non-negative")
        }
        guard outputPadding.height < max(stride.height, dilation.height),
              outputPadding.width < max(stride.width, dilation.width) else {
            throw .invalidArgument(operation: op, detail: "output padding \(outputPadding.height)×\(outputPadding.width) must be smaller than the stride or the dilation on each axis")
        }
        let o = cog * groups
        if let bias, bias.shape != [o] {
            throw .shapeMismatch(operation: op, detail: "bias \(bias.shape) does not match \(o) output channels")
        }
        let ho = (h - 1) * stride.height - 2 * padding.height + dilation.height * (kh - 1) + outputPadding.height + 1
        let wo = (w - 1) * stride.width - 2 * padding.width + dilation.width * (kw - 1) + outputPadding.width + 1
        guard h > 0, w > 0, kh > 0, kw > 0, ho > 0, wo > 0 else {
            throw .invalidArgument(operation: op, detail: "input \(input.shape) with kernel \(kh)×\(kw), stride, padding and dilation gives an empty \(ho)×\(wo) output")
        }
        if groups == 1, kh == kw, stride == Pair(kh), padding == Pair(0), outputPadding == Pair(0), dilation == Pair(1) {
            return try convTranspose2dNonOverlapping(input, weight: weight, bias: bias)
        }
        let cg = c / groups
        let rows = cog * kh * kw, pixels = h * w
        try BLAS.validate([(rows, "M"), (pixels, "N"), (cg, "K")])
        let outShape = [n, o, ho, wo]
        if n * o == 0 { return Tensor(validShape: outShape, scalars: []) }
        var columns = [Float](repeating: 0, count: rows * pixels)
        return Tensor(validShape: outShape, fill: { out in
            for sample in 0..<n {
                for channel in 0..<o {
                    let value = bias?.scalars[channel] ?? 0
                    (out.baseAddress! + (sample * o + channel) * ho * wo).initialize(repeating: value, count: ho * wo)
                }
            }
            if cg == 0 { return }
            input.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
            columns.withUnsafeMutableBufferPointer { pc in
                let col = pc.baseAddress!
                for sample in 0..<n {
                    for g in 0..<groups {
                        // columns[(o, ky, kx), (iy, ix)] = Σ_c W[c, (o, ky, kx)] · x[c, (iy, ix)]
                        BLAS.sgemmUnchecked(
                            transposeA: true, transposeB: false, m: rows, n: pixels, k: cg,
                            a: pw.baseAddress! + g * cg * rows, lda: rows,
                            b: px.baseAddress! + (sample * c + g * cg) * pixels, ldb: pixels,
                            c: col, ldc: pixels)
                        // col2im: sum each tap's contribution into the output plane.
                        for oc in 0..<cog {
                            let plane = out.baseAddress! + (sample * o + g * cog + oc) * ho * wo
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let src = col + ((oc * kh + ky) * kw + kx) * pixels
                                    let xOffset = kx * dilation.width - padding.width
                                    // Input columns whose output column lands inside [0, wo).
                                    let firstX = xOffset >= 0 ? 0 : (-xOffset + stride.width - 1) / stride.width
                                    let lastX = min(w - 1, (wo - 1 - xOffset) >= 0 ? (wo - 1 - xOffset) / stride.width : -1)
                                    if firstX > lastX { continue }
                                    for iy in 0..<h {
                                        let oy = iy * stride.height - padding.height + ky * dilation.height
                                        if oy < 0 || oy >= ho { continue }
                                        let dst = plane + oy * wo
                                        let srcRow = src + iy * w
                                        for ix in firstX...lastX { dst[ix * stride.width + xOffset] += srcRow[ix] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            }
            }
        })
    }
}
