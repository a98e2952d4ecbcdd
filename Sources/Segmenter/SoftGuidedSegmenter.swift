import CLIP
import CLIPTokenizer
import CostAggregation
import Foundation
import SafeTensors
import Tensor

/// Everything one image's segmentation produced, for scoring and for parity tests.
public struct Segmentation: Sendable {
    /// Predicted class per pixel of the original image (row-major), an index into the text rows.
    public var labels: [Int32]
    public var width: Int
    public var height: Int
    /// Class probabilities before the final resize: `[T, R, R]` (sliding: the combined
    /// `resolution²` map; whole: the cropped sigmoid output).
    public var probabilities: Tensor
    /// Head logits per window `[B, T, 4g, 4g]` (sliding: local windows then the global view).
    public var windowLogits: Tensor
    /// The normalised CLIP input `[B, 3, S, S]`.
    public var windowPixels: Tensor
    /// Dense features of the tuned encoder `[B, E, g, g]` (after frozen compensation, if enabled).
    public var dense: Tensor
    /// Where the time went.
    public var timings: SegmentationTimings
}

/// The SGSeg / CAT-Seg segmenter of a checkpoint in the repository layout (docs/sgseg-released.md §7):
/// CLIP towers (EVA02 or OpenAI), cost-aggregation head with its scene bias precomputed at
/// load, CAT-Seg sliding-window or whole-image inference, per-class sigmoid, argmax.
public struct SoftGuidedSegmenter: Sendable {
    public let configuration: SegmenterConfiguration
    public let options: SegmenterOptions
    public let backbone: SegmenterBackbone
    public let head: CostAggregationHead
    /// Frozen tower for the inference-time compensation variant.
    public let frozen: SegmenterBackbone?
    public let inputSize: Int
    public let guidanceLayers: [Int]
    public let checkpointPath: String
    let tokenizer: CLIPTokenizer

    public init(checkpoint path: String, options: SegmenterOptions = SegmenterOptions()) throws(SegmenterError) {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(path: path)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
        try self.init(file: file, options: options)
    }

    public init(file: SafeTensorsFile, options: SegmenterOptions = SegmenterOptions()) throws(SegmenterError) {
        let configuration = try SegmenterConfiguration.read(file)
        guard [1, 2].contains(options.pooling) else {
            throw SegmenterError(.model, "class pooling must be 1 or 2, got \(options.pooling)")
        }
        self.configuration = configuration
        self.options = options
        checkpointPath = file.file
        backbone = try SegmenterBackbone.load(
            file: file, prefix: SegmenterConfiguration.clipPrefix, backbone: configuration.backbone, needsText: true)
        if options.frozenCompensation {
            guard configuration.frozenAlpha != nil else {
                throw SegmenterError(.model,
                    "\(file.file): frozen compensation needs metadata sgseg.frozen_alpha (this checkpoint was not trained with it)")
            }
            frozen = try SegmenterBackbone.load(
                file: file, prefix: SegmenterConfiguration.frozenClipPrefix, backbone: configuration.backbone, needsText: false)
        } else {
            frozen = nil
        }
        let native = backbone.nativeInputSize
        switch configuration.backbone {
        case .eva02: inputSize = configuration.inputSize ?? native
        case .openai: inputSize = configuration.inputSize ?? (native == 224 ? 384 : native)
        }
        if let layers = configuration.guidanceLayers.isEmpty ? nil : configuration.guidanceLayers {
            guidanceLayers = layers
        } else {
            switch backbone.depth {
            case 24: guidanceLayers = [7, 15]
            case 12: guidanceLayers = [3, 7]
            default:
                throw SegmenterError(.model,
                    "\(file.file): a \(backbone.depth)-block tower needs metadata sgseg.clip.guidance_layers (two block indices)")
            }
        }
        let patch: Int
        switch backbone {
        case .eva02(let vision, _): patch = vision.configuration.patchSize
        case .openai(let vision, _): patch = vision.configuration.patchSize
        }
        do {
            head = try CostAggregationHead(
                file: file, prefix: SegmenterConfiguration.headPrefix, upsamplePrefix: "",
                liveTextBias: options.liveTextBias, featureResolution: inputSize / patch, sceneBias: options.sceneBias)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
        let depth = backbone.depth
        let layers = guidanceLayers
        guard layers.allSatisfy({ $0 < depth - 1 }) else {
            throw SegmenterError(.model,
                "\(file.file): guidance layers \(layers) must be blocks before the last of \(depth)")
        }
        do {
            tokenizer = try CLIPTokenizer()
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    /// The shortest-edge length images are resized to first, if any.
    public var shortestEdge: Int? {
        switch options.shortestEdge {
        case .none: nil
        case .size(let size): size
        case .protocolDefault: configuration.shortestEdge ?? (configuration.outputResolution == 640 ? 640 : nil)
        }
    }

    /// The prompt templates in use.
    public var templates: [String] { options.templates ?? configuration.templates }

    /// The prompts for `classNames`, class-major: `[class][template]`.
    public func prompts(classNames: [String]) -> [[String]] {
        classNames.map { name in templates.map { CLIPPrompts.fill($0, with: name) } }
    }

    /// Normalised text embeddings `[T, P, E]` for `classNames`; compute once per vocabulary and reuse.
    public func textEmbeddings(classNames: [String]) throws(SegmenterError) -> Tensor {
        guard !classNames.isEmpty else { throw SegmenterError(.model, "the vocabulary has no classes") }
        let rows = prompts(classNames: classNames).flatMap { $0 }.map { tokenizer.tokenize($0).ids }
        return try textEmbeddings(tokenRows: rows, classes: classNames.count)
    }

    /// Normalised text embeddings `[T, P, E]` from token rows in class-major order.
    public func textEmbeddings(tokenRows: [[Int32]], classes: Int) throws(SegmenterError) -> Tensor {
        guard classes > 0, tokenRows.count % classes == 0, !tokenRows.isEmpty else {
            throw SegmenterError(.model, "\(tokenRows.count) token rows do not split into \(classes) classes")
        }
        let embeddings = try backbone.textEmbeddings(tokenRows: tokenRows)
        do {
            return try embeddings.reshaped([classes, tokenRows.count / classes, embeddings.shape[1]])
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    /// Segments one image with precomputed text embeddings `[T, P, E]`.
    public func segment(_ image: RGBImage, text: Tensor) throws(SegmenterError) -> Segmentation {
        var clock = StageClock()
        var timings = SegmentationTimings()
        var working = image
        if let short = shortestEdge {
            let size = PILResize.shortestEdgeSize(
                width: image.width, height: image.height, short: short, maximum: configuration.maximumSize)
            if size.width != image.width || size.height != image.height {
                working = try PILResize.resize(image, width: size.width, height: size.height)
            }
        }
        let pixels = try Self.planar(working)
        switch options.inference {
        case .sliding:
            let plan = try WindowPlan(
                resolution: configuration.outputResolution, window: configuration.window, stride: configuration.stride)
            let windows = try plan.windows(of: pixels)
            let (logits, clipPixels, dense) = try headLogits(windows, text: text, clock: &clock, timings: &timings)
            let probabilities = try Self.sigmoid(try Self.resize(logits, to: plan.window))
            let combined = try plan.combine(probabilities)
            let labels = try Self.argmax(combined, width: image.width, height: image.height)
            timings.postprocessing = clock.lap()
            return Segmentation(
                labels: labels, width: image.width, height: image.height, probabilities: combined,
                windowLogits: logits, windowPixels: clipPixels, dense: dense, timings: timings)
        case .whole:
            let divisor = configuration.sizeDivisibility
            let paddedH = (working.height + divisor - 1) / divisor * divisor
            let paddedW = (working.width + divisor - 1) / divisor * divisor
            let (logits, clipPixels, dense) = try headLogits(
                pixels, text: text, padTo: (paddedH, paddedW), clock: &clock, timings: &timings)
            let probabilities = try Self.sigmoid(logits)
            // sem_seg_postprocess crops the output to the unpadded size before the final resize.
            let cropped = try Self.crop(probabilities, height: min(working.height, logits.shape[2]), width: min(working.width, logits.shape[3]))
            let labels = try Self.argmax(cropped, width: image.width, height: image.height)
            timings.postprocessing = clock.lap()
            return Segmentation(
                labels: labels, width: image.width, height: image.height, probabilities: cropped,
                windowLogits: logits, windowPixels: clipPixels, dense: dense, timings: timings)
        }
    }

    /// Normalises 0–255 windows, resizes them to the CLIP input, runs the towers and the head.
    func headLogits(
        _ windows: Tensor, text: Tensor, padTo padded: (Int, Int)? = nil, clock: inout StageClock,
        timings: inout SegmentationTimings
    ) throws(SegmenterError) -> (logits: Tensor, pixels: Tensor, dense: Tensor) {
        do {
            var normalised = Self.normalise(windows)
            if let padded { normalised = try Self.padBottomRight(normalised, height: padded.0, width: padded.1) }
            let clipPixels = try normalised.resized(to: .size(height: inputSize, width: inputSize), mode: .bilinear)
            timings.preprocessing = clock.lap()
            var features = try backbone.features(clipPixels, taps: guidanceLayers)
            if let frozen, let alpha = configuration.frozenAlpha {
                let frozenDense = try frozen.features(clipPixels, taps: guidanceLayers).dense
                features.dense = try FrozenCompensation.fuse(tuned: features.dense, frozen: frozenDense, alpha: alpha)
            }
            timings.backbone = clock.lap()
            let logits = try head.logits(
                dense: features.dense, text: text, taps: features.taps, pooling: options.pooling)
            timings.head = clock.lap()
            return (logits, clipPixels, features.dense)
        } catch let error as SegmenterError {
            throw error
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    // MARK: tensor helpers

    /// `[1, 3, H, W]` float pixels in 0–255.
    static func planar(_ image: RGBImage) throws(SegmenterError) -> Tensor {
        let area = image.width * image.height
        var scalars = [Float](repeating: 0, count: 3 * area)
        image.pixels.withUnsafeBufferPointer { source in
            for p in 0..<area {
                scalars[p] = Float(source[p * 3])
                scalars[area + p] = Float(source[p * 3 + 1])
                scalars[2 * area + p] = Float(source[p * 3 + 2])
            }
        }
        do {
            return try Tensor(shape: [1, 3, image.height, image.width], scalars: scalars)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    /// `(x − mean) / std` per channel with the 0–255 CLIP constants.
    static func normalise(_ pixels: Tensor) -> Tensor {
        var out = pixels
        let (b, h, w) = (pixels.shape[0], pixels.shape[2], pixels.shape[3])
        let plane = h * w
        out.withUnsafeMutableBufferPointer { values in
            for batch in 0..<b {
                for channel in 0..<3 {
                    let mean = CLIPImagePreprocessing.pixelMean[channel]
                    let std = CLIPImagePreprocessing.pixelStd[channel]
                    let base = (batch * 3 + channel) * plane
                    for p in 0..<plane { values[base + p] = (values[base + p] - mean) / std }
                }
            }
        }
        return out
    }

    static func padBottomRight(_ x: Tensor, height: Int, width: Int) throws(TensorError) -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        if h == height && w == width { return x }
        var out = [Float](repeating: 0, count: b * c * height * width)
        let source = x.scalars
        for plane in 0..<(b * c) {
            for y in 0..<h {
                for xx in 0..<w { out[(plane * height + y) * width + xx] = source[(plane * h + y) * w + xx] }
            }
        }
        return try Tensor(shape: [b, c, height, width], scalars: out)
    }

    static func resize(_ x: Tensor, to size: Int) throws(SegmenterError) -> Tensor {
        do {
            return try x.resized(to: .size(height: size, width: size), mode: .bilinear)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    static func sigmoid(_ x: Tensor) throws(SegmenterError) -> Tensor {
        x.sigmoid()
    }

    /// `[1, T, H, W]` → `[T, height, width]` top-left crop.
    static func crop(_ x: Tensor, height: Int, width: Int) throws(SegmenterError) -> Tensor {
        let (t, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        var out = [Float](repeating: 0, count: t * height * width)
        let source = x.scalars
        for c in 0..<t {
            for y in 0..<height {
                for xx in 0..<width { out[(c * height + y) * width + xx] = source[(c * h + y) * w + xx] }
            }
        }
        do {
            return try Tensor(shape: [t, height, width], scalars: out)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    static func argmax(_ probabilities: Tensor, width: Int, height: Int) throws(SegmenterError) -> [Int32] {
        do {
            return try probabilities.bilinearResizedArgmax(height: height, width: width)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }
}

/// The paper-described inference-time compensation (docs/sgseg-released.md §9.1, `feature_add`), not
/// in the released model: the frozen encoder's dense features are added with weight α and the
/// sum is L2-normalised per position again.
public enum FrozenCompensation {
    public static func fuse(tuned: Tensor, frozen: Tensor, alpha: Float) throws(SegmenterError) -> Tensor {
        guard tuned.shape == frozen.shape, tuned.rank == 4 else {
            throw SegmenterError(.model, "frozen features \(frozen.shape) do not match tuned features \(tuned.shape)")
        }
        let (b, c, h, w) = (tuned.shape[0], tuned.shape[1], tuned.shape[2], tuned.shape[3])
        let plane = h * w
        var out = tuned.scalars
        let f = frozen.scalars
        for i in out.indices { out[i] += alpha * f[i] }
        for batch in 0..<b {
            for p in 0..<plane {
                var norm: Float = 0
                for channel in 0..<c {
                    let v = out[(batch * c + channel) * plane + p]
                    norm += v * v
                }
                let scale = 1 / max(norm.squareRoot(), 1e-12)
                for channel in 0..<c { out[(batch * c + channel) * plane + p] *= scale }
            }
        }
        do {
            return try Tensor(shape: tuned.shape, scalars: out)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }
}
