import CLIP
import Tensor

/// One sliding window on the resized image (top-left corner and size).
public struct TrainingFreeWindow: Sendable, Equatable {
    public var y: Int
    public var x: Int
    public var height: Int
    public var width: Int

    public init(y: Int, x: Int, height: Int, width: Int) {
        self.y = y
        self.x = x
        self.height = height
        self.width = width
    }
}

/// Zero padding that brings a window to multiples of the patch size, the odd
/// pixel on the right/bottom (SegEarth-OV `compute_padsize`).
public struct TrainingFreePadding: Sendable, Equatable {
    public var left: Int
    public var right: Int
    public var top: Int
    public var bottom: Int

    /// Padding for a `height × width` window and patch side `patch`.
    public init(height: Int, width: Int, patch: Int) {
        let extraX = (patch - width % patch) % patch, extraY = (patch - height % patch) % patch
        left = extraX / 2
        right = extraX - extraX / 2
        top = extraY / 2
        bottom = extraY - extraY / 2
    }
}

/// Every intermediate of one image, in the order the pipeline computes them
/// (Q queries, K classes, N windows, T = 1 + rows·columns tokens).
struct TrainingFreeTrace {
    /// Normalised pixels of the resized image `[1, 3, h, w]`.
    var pixels: Tensor
    var windows: [TrainingFreeWindow]
    var padding: TrainingFreePadding
    var grid: (rows: Int, columns: Int)
    /// `visual_projection(post_layernorm(z))` per window `[N, T, E]`, CLS row first.
    var dense: Tensor
    /// cos(patch, q) + λ·cos(CLS, q) on the patch grid `[N, Q, rows, columns]`.
    var cropGridLogits: Tensor
    /// Window logits resized, cut back and averaged over overlaps `[Q, h, w]`.
    var averagedLogits: Tensor
    /// `averagedLogits` resized to the input image `[Q, H, W]` (before the scale).
    var logits: Tensor
    /// Softmax over the queries of `logitScale · logits` `[Q, H, W]`.
    var probabilities: Tensor
    /// Maximum over each class's queries `[K, H, W]`.
    var classProbabilities: Tensor
}

/// Training-free open-vocabulary segmentation with a frozen CLIP, as
/// SegEarth-OV does it (docs/segmentation-core.md §5.1; SimFeatUp, §5.3, is not
/// included): long-side resize, sliding windows, a training-free last block
/// (self-self attention, §3.6) with DINO position interpolation (§3.7), cosine
/// logits minus a share of the CLS logits (global-bias removal), averaging of
/// overlapping windows, softmax over the queries, maximum over each class's
/// synonyms, argmax, and a probability threshold for the background class.
///
/// All windows of an image go through the vision tower in one call (every
/// projection is one GEMM with M = windows × tokens), and the cosine logits
/// of all windows are one more GEMM. Arithmetic is Float32 throughout
/// (SegEarth-OV runs in float16, so its outputs differ at the 1e-3 level).
public struct TrainingFreeSegmenter: Sendable {
    public let settings: TrainingFreeSettings
    let vision: CLIPVisionEncoder
    let text: CLIPTextEncoder?

    /// Uses the towers of `model` (the vision tower is required; the text tower
    /// only for `queries`). The vision tower's position interpolation is
    /// switched to `settings.positionInterpolation`.
    ///
    /// - Throws: `.invalidSettings` for unusable settings, `.model` without a
    ///   vision tower.
    public init(model: CLIPModel, settings: TrainingFreeSettings = TrainingFreeSettings()) throws(TrainingFreeError) {
        try settings.validate()
        guard let vision = model.vision else {
            throw .model(.unsupportedConfiguration("the checkpoint has no vision tower (vision_model.*)"))
        }
        self.vision = vision.withPositionInterpolation(settings.positionInterpolation)
        text = model.text
        self.settings = settings
    }

    /// Width of the dense features (the visual projection, else the tower width).
    public var featureWidth: Int { vision.configuration.projectionSize ?? vision.configuration.width }

    /// Size of the image after the long-side resize, as mmcv's
    /// `rescale_size` with scale (L, L): factor L / max(H, W), each side
    /// `⌊side · factor + 0.5⌋` (at least 1).
    public func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard let longSide = settings.longSide, height > 0, width > 0 else { return (height, width) }
        let factor = Double(longSide) / Double(max(height, width))
        return (max(1, Int(Double(height) * factor + 0.5)), max(1, Int(Double(width) * factor + 0.5)))
    }

    /// Windows of mmseg's slide inference on a `height × width` (resized)
    /// image, rows outer: `n = max(side − crop + stride − 1, 0) / stride + 1`
    /// per axis, the last window aligned to the border, windows as large as
    /// the image when it is smaller than the crop.
    public func windows(height: Int, width: Int) -> [TrainingFreeWindow] {
        let crop = settings.crop, stride = settings.stride
        let rows = max(height - crop + stride - 1, 0) / stride + 1
        let columns = max(width - crop + stride - 1, 0) / stride + 1
        var result: [TrainingFreeWindow] = []
        result.reserveCapacity(rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let bottom = min(r * stride + crop, height), right = min(c * stride + crop, width)
                let top = max(bottom - crop, 0), left = max(right - crop, 0)
                result.append(TrainingFreeWindow(y: top, x: left, height: bottom - top, width: right - left))
            }
        }
        return result
    }

    /// Class probabilities `[K, H, W]` of an interleaved 8-bit RGB image
    /// (`image.count == height · width · 3`): for each class the highest
    /// query probability of the pixel.
    public func classProbabilities(
        image: [UInt8], height: Int, width: Int, queries: TrainingFreeQueries
    ) throws(TrainingFreeError) -> Tensor {
        try trace(image: image, height: height, width: width, queries: queries).classProbabilities
    }

    /// The label map (row-major, `height · width` class ids) of an
    /// interleaved 8-bit RGB image: argmax of `classProbabilities`, pixels
    /// under the threshold set to the background index.
    public func predict(
        image: [UInt8], height: Int, width: Int, queries: TrainingFreeQueries
    ) throws(TrainingFreeError) -> [UInt16] {
        try labels(classProbabilities: classProbabilities(image: image, height: height, width: width, queries: queries))
    }

    /// The decision rule on class probabilities `[K, H, W]`: the first class
    /// with the highest probability, or `backgroundIndex` where that
    /// probability is below `probabilityThreshold`.
    public func labels(classProbabilities: Tensor) throws(TrainingFreeError) -> [UInt16] {
        guard classProbabilities.rank == 3, (1...Int(UInt16.max) + 1).contains(classProbabilities.shape[0]) else {
            throw .invalidQueries("class probabilities must be [K, H, W] with 1 ≤ K ≤ 65536, got \(classProbabilities.shape)")
        }
        let classes = classProbabilities.shape[0]
        let plane = classProbabilities.shape[1] * classProbabilities.shape[2]
        let threshold = settings.probabilityThreshold, background = UInt16(settings.backgroundIndex)
        var labels = [UInt16](repeating: 0, count: plane)
        classProbabilities.withUnsafeBufferPointer { p in
            labels.withUnsafeMutableBufferPointer { out in
                for pixel in 0..<plane {
                    var best = p[pixel], index = 0
                    for k in 1..<classes where p[k * plane + pixel] > best {
                        best = p[k * plane + pixel]
                        index = k
                    }
                    out[pixel] = best < threshold ? background : UInt16(index)
                }
            }
        }
        return labels
    }

    /// Runs the pipeline and keeps every stage.
    func trace(
        image: [UInt8], height: Int, width: Int, queries: TrainingFreeQueries
    ) throws(TrainingFreeError) -> TrainingFreeTrace {
        guard height > 0, width > 0 else { throw .invalidImage("size \(height)×\(width) must be positive") }
        let (area, overflow) = height.multipliedReportingOverflow(by: width)
        guard !overflow, area <= Int.max / 3, image.count == 3 * area else {
            throw .invalidImage("expected \(height)×\(width)×3 = \(overflow ? "too many" : String(3 * area)) RGB samples, got \(image.count)")
        }
        guard queries.embeddings.shape[1] == featureWidth else {
            throw .invalidQueries(
                "query embeddings are \(queries.embeddings.shape[1]) wide but the dense features are \(featureWidth) wide")
        }
        let q = queries.embeddings.shape[0], patch = vision.configuration.patchSize
        let size = resizedSize(height: height, width: width)
        let (h, w) = size
        do {
            let pixels = try normalizedPixels(image, height: height, width: width, to: size)
            let windows = windows(height: h, width: w)
            let cropH = windows[0].height, cropW = windows[0].width
            let padding = TrainingFreePadding(height: cropH, width: cropW, patch: patch)
            let paddedH = cropH + padding.top + padding.bottom, paddedW = cropW + padding.left + padding.right
            // All windows, zero-padded, as one batch [N, 3, paddedH, paddedW].
            let n = windows.count
            var batch = [Float](repeating: 0, count: n * 3 * paddedH * paddedW)
            pixels.withUnsafeBufferPointer { src in
                batch.withUnsafeMutableBufferPointer { dst in
                    for (index, window) in windows.enumerated() {
                        for c in 0..<3 {
                            for y in 0..<cropH {
                                let from = (c * h + window.y + y) * w + window.x
                                let to = ((index * 3 + c) * paddedH + padding.top + y) * paddedW + padding.left
                                for x in 0..<cropW { dst[to + x] = src[from + x] }
                            }
                        }
                    }
                }
            }
            let request = CLIPVisionRequest(dense: settings.attention, pooled: false, denseResidual: settings.keepsResidual)
            let output = try vision.encode(Tensor(shape: [n, 3, paddedH, paddedW], scalars: batch), request: request)
            guard let dense = output.dense else {
                throw TrainingFreeError.model(.invalidInput("the vision tower returned no dense features"))
            }
            let (rows, columns) = output.grid
            let cells = rows * columns, tokens = cells + 1
            // Cosine logits of every token of every window: one GEMM [N·T, E]·[Q, E]ᵀ.
            let tokenLogits = try Tensor.matmul(dense.l2Normalized(), queries.embeddings, transposeB: true)
            let lambda = settings.clsLambda
            var gridValues = [Float](repeating: 0, count: n * q * cells)
            tokenLogits.withUnsafeBufferPointer { l in
                for window in 0..<n {
                    let cls = window * tokens * q
                    for cell in 0..<cells {
                        let row = (window * tokens + 1 + cell) * q
                        for query in 0..<q {
                            gridValues[(window * q + query) * cells + cell] = l[row + query] + lambda * l[cls + query]
                        }
                    }
                }
            }
            let gridLogits = try Tensor(shape: [n, q, rows, columns], scalars: gridValues)
            let upsampled = try gridLogits.resized(to: .size(height: paddedH, width: paddedW), mode: .bilinear)
            let averaged = try averageWindows(upsampled, windows: windows, padding: padding, queries: q, height: h, width: w)
            var logits = try averaged.reshaped([1, q, h, w])
            if h != height || w != width {
                logits = try logits.resized(to: .size(height: height, width: width), mode: .bilinear)
            }
            logits = try logits.reshaped([q, height, width])
            let probabilities = try querySoftmax(logits)
            let classProbabilities = try classMaximum(probabilities, queries: queries)
            return TrainingFreeTrace(
                pixels: pixels, windows: windows, padding: padding, grid: (rows, columns), dense: dense,
                cropGridLogits: gridLogits, averagedLogits: averaged, logits: logits, probabilities: probabilities,
                classProbabilities: classProbabilities)
        } catch {
            throw TrainingFreeError.wrapping(error)
        }
    }

    /// `[1, 3, h, w]`: 0–255 floats, resized bilinearly (no antialiasing) to
    /// `size` if it differs, then normalised with the settings' mean/std.
    func normalizedPixels(
        _ image: [UInt8], height: Int, width: Int, to size: (height: Int, width: Int)
    ) throws(TensorError) -> Tensor {
        let plane = height * width
        var planar = [Float](repeating: 0, count: 3 * plane)
        image.withUnsafeBufferPointer { rgb in
            planar.withUnsafeMutableBufferPointer { out in
                for i in 0..<plane {
                    for c in 0..<3 { out[c * plane + i] = Float(rgb[3 * i + c]) }
                }
            }
        }
        var pixels = try Tensor(shape: [1, 3, height, width], scalars: planar)
        if size.height != height || size.width != width {
            pixels = try pixels.resized(to: .size(height: size.height, width: size.width), mode: .bilinear)
        }
        let mean = settings.pixelMean, std = settings.pixelStd
        let resizedPlane = size.height * size.width
        pixels.withUnsafeMutableBufferPointer { p in
            for c in 0..<3 {
                for i in (c * resizedPlane)..<((c + 1) * resizedPlane) { p[i] = (p[i] - mean[c]) / std[c] }
            }
        }
        return pixels
    }

    /// Window logits `[N, Q, paddedH, paddedW]` cut back to their windows,
    /// summed into the image in window order and divided by the overlap count.
    func averageWindows(
        _ upsampled: Tensor, windows: [TrainingFreeWindow], padding: TrainingFreePadding,
        queries q: Int, height h: Int, width w: Int
    ) throws(TensorError) -> Tensor {
        let paddedH = upsampled.shape[2], paddedW = upsampled.shape[3]
        var sums = [Float](repeating: 0, count: q * h * w)
        var counts = [Float](repeating: 0, count: h * w)
        upsampled.withUnsafeBufferPointer { up in
            sums.withUnsafeMutableBufferPointer { sum in
                for (index, window) in windows.enumerated() {
                    for query in 0..<q {
                        for y in 0..<window.height {
                            let from = ((index * q + query) * paddedH + padding.top + y) * paddedW + padding.left
                            let to = (query * h + window.y + y) * w + window.x
                            for x in 0..<window.width { sum[to + x] += up[from + x] }
                        }
                    }
                    for y in 0..<window.height {
                        for x in 0..<window.width { counts[(window.y + y) * w + window.x + x] += 1 }
                    }
                }
                for query in 0..<q {
                    for i in 0..<(h * w) { sum[query * h * w + i] /= counts[i] }
                }
            }
        }
        return try Tensor(shape: [q, h, w], scalars: sums)
    }

    /// Softmax over the queries (dimension 0) of `logitScale · logits [Q, H, W]`.
    func querySoftmax(_ logits: Tensor) throws(TensorError) -> Tensor {
        let q = logits.shape[0], plane = logits.shape[1] * logits.shape[2]
        let scale = settings.logitScale
        // Pixel-major [H·W, Q] so the softmax runs over contiguous rows.
        var pixelMajor = [Float](repeating: 0, count: q * plane)
        logits.withUnsafeBufferPointer { src in
            for query in 0..<q {
                for pixel in 0..<plane { pixelMajor[pixel * q + query] = src[query * plane + pixel] * scale }
            }
        }
        let softened = try Tensor(shape: [plane, q], scalars: pixelMajor).softmax()
        var queryMajor = [Float](repeating: 0, count: q * plane)
        softened.withUnsafeBufferPointer { src in
            for pixel in 0..<plane {
                for query in 0..<q { queryMajor[query * plane + pixel] = src[pixel * q + query] }
            }
        }
        return try Tensor(shape: logits.shape, scalars: queryMajor)
    }

    /// `[K, H, W]`: per class, the maximum of its queries' probabilities.
    func classMaximum(_ probabilities: Tensor, queries: TrainingFreeQueries) throws(TensorError) -> Tensor {
        let plane = probabilities.shape[1] * probabilities.shape[2]
        var result = [Float](repeating: -.infinity, count: queries.classCount * plane)
        probabilities.withUnsafeBufferPointer { p in
            result.withUnsafeMutableBufferPointer { out in
                for (query, k) in queries.queryToClass.enumerated() {
                    for pixel in 0..<plane { out[k * plane + pixel] = max(out[k * plane + pixel], p[query * plane + pixel]) }
                }
            }
        }
        return try Tensor(shape: [queries.classCount, probabilities.shape[1], probabilities.shape[2]], scalars: result)
    }
}
