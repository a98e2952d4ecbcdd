import CLIP
import CLIPTokenizer
import Foundation
import LabelMaps
import Tensor

/// One class of a zero-shot scene classifier: the label it is reported under and every name its
/// prompts use (the label itself first, then its synonyms).
public struct ZeroShotClass: Sendable, Equatable {
    public let label: String
    public let promptNames: [String]

    /// `label` plus `synonyms`, repeated or empty names dropped (the first occurrence is kept).
    public init(label: String, synonyms: [String] = []) {
        self.label = label
        var seen: Set<String> = []
        promptNames = ([label] + synonyms).filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}

/// The scores of one image: one cosine similarity per class, in class order.
public struct ZeroShotPrediction: Sendable, Equatable {
    /// The image's path relative to the image folder, `/`-separated.
    public let image: String
    public let scores: [Double]

    public init(image: String, scores: [Double]) {
        self.image = image
        self.scores = scores
    }

    /// Class indices from the highest score to the lowest, ties to the lower index.
    public var ranking: [Int] {
        scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    }
}

/// Zero-shot scene classification with a CLIP checkpoint (docs/zero-shot-classification.md §1–§3):
/// a text classifier built once from the classes and prompt templates, then for each image the
/// pooled, projected, L2-normalised image embedding and its cosine similarity to every class.
public struct ZeroShotClassifier {
    public let classes: [ZeroShotClass]
    public let templates: [String]
    /// `[K, E]`, one L2-normalised row per class.
    public let classifier: Tensor
    /// The square side images are cropped to: the vision tower's native input size.
    public let imageSize: Int
    let vision: CLIPVisionEncoder

    /// Prompts encoded per text-tower call (bounds activation memory for long class lists).
    static let promptsPerBatch = 256

    /// Loads the checkpoint's towers under `prefix` and builds the text classifier with CLIP's
    /// BPE tokenizer.
    public init(checkpoint: ModelCheckpoint, prefix: String = "", classes: [ZeroShotClass], templates: [String])
        throws(EvaluationError)
    {
        let model: CLIPModel
        let tokenizer: CLIPTokenizer
        do {
            model = checkpoint.isPyTorch
                ? try CLIPModel(file: checkpoint.open(), prefix: prefix)
                : try CLIPModel(checkpoint: CLIPCheckpoint(path: checkpoint.path), prefix: prefix)
            tokenizer = try CLIPTokenizer()
        } catch {
            throw EvaluationError.wrapping(error)
        }
        try self.init(model: model, source: checkpoint.path, prefix: prefix, classes: classes, templates: templates,
                      tokenizer: tokenizer)
    }

    /// Builds the classifier from a loaded model (`source` names it in errors) with any tokenizer
    /// (tests use a word-level stand-in with a tiny vocabulary).
    public init(
        model: CLIPModel, source: String, prefix: String = "", classes: [ZeroShotClass], templates: [String],
        tokenizer: some CLIPTextTokenizing
    ) throws(EvaluationError) {
        guard !classes.isEmpty else { throw EvaluationError(.run, "no classes to classify into") }
        if let bad = classes.first(where: { $0.promptNames.isEmpty }) {
            throw EvaluationError(.run, "class '\(bad.label)' has no name to put in a prompt")
        }
        var labels: Set<String> = []
        if let twice = classes.first(where: { !labels.insert($0.label).inserted }) {
            throw EvaluationError(.run, "class '\(twice.label)' is listed twice")
        }
        guard !templates.isEmpty else { throw EvaluationError(.run, "no prompt templates") }
        if let bad = templates.first(where: { !$0.contains("{}") }) {
            throw EvaluationError(.run, "prompt template '\(bad)' has no '{}' placeholder for the class name")
        }
        guard let text = model.text else {
            throw EvaluationError(.checkpoint, "\(source) has no text tower under '\(prefix)text_model.'")
        }
        guard let vision = model.vision else {
            throw EvaluationError(.checkpoint, "\(source) has no vision tower under '\(prefix)vision_model.'")
        }
        guard let imageProjection = vision.configuration.projectionSize else {
            throw EvaluationError(.checkpoint, "\(source) has no vision projection (\(prefix)visual_projection.weight): "
                                  + "zero-shot classification compares projected image and text embeddings")
        }
        self.classes = classes
        self.templates = templates
        self.vision = vision
        imageSize = vision.configuration.nativeImageSize
        do {
            classifier = try Self.textClassifier(classes: classes, templates: templates, encoder: text, tokenizer: tokenizer)
        } catch {
            throw EvaluationError.wrapping(error)
        }
        guard classifier.shape[1] == imageProjection else {
            throw EvaluationError(.checkpoint, "\(source): the text projection has \(classifier.shape[1]) dimensions "
                                  + "but the vision projection \(imageProjection)")
        }
    }

    /// One row per class: every template filled with every prompt name of the class, each prompt
    /// embedded and L2-normalised, the T·N rows averaged with equal weight, the mean normalised
    /// again (docs/zero-shot-classification.md §2).
    static func textClassifier(
        classes: [ZeroShotClass], templates: [String], encoder: CLIPTextEncoder, tokenizer: some CLIPTextTokenizing
    ) throws -> Tensor {
        var prompts: [String] = []
        var owner: [Int] = []
        for (index, item) in classes.enumerated() {
            for name in item.promptNames {
                for template in templates {
                    prompts.append(template.replacingOccurrences(of: "{}", with: name))
                    owner.append(index)
                }
            }
        }
        var width = 0
        var sums: [Float] = []
        var counts = [Int](repeating: 0, count: classes.count)
        for start in stride(from: 0, to: prompts.count, by: promptsPerBatch) {
            let end = min(start + promptsPerBatch, prompts.count)
            let rows = try encoder.embed(texts: Array(prompts[start..<end]), tokenizer: tokenizer)
            if sums.isEmpty {
                width = rows.shape[1]
                sums = [Float](repeating: 0, count: classes.count * width)
            }
            rows.withUnsafeBufferPointer { source in
                for row in 0..<(end - start) {
                    let k = owner[start + row]
                    counts[k] += 1
                    for i in 0..<width { sums[k * width + i] += source[row * width + i] }
                }
            }
        }
        for k in 0..<classes.count {
            let scale = 1 / Float(counts[k])
            for i in 0..<width { sums[k * width + i] *= scale }
        }
        return try Tensor(shape: [classes.count, width], scalars: sums).l2Normalized()
    }

    /// `[1, 3, S, S]` normalised pixels (docs/zero-shot-classification.md §1): the shorter edge
    /// resized to `S` (the longer to ⌊S·long/short⌋), bilinear without antialiasing, then the
    /// centre `S×S` crop (offset ⌊(L − S)/2⌋), normalised with CLIP's mean and std in 0–255.
    public static func pixels(rgb: [UInt8], width: Int, height: Int, side: Int) throws(CLIPError) -> Tensor {
        guard width > 0, height > 0, side > 0 else { throw .invalidInput("image \(width)×\(height) or side \(side) is empty") }
        let short = min(width, height), long = max(width, height)
        let scaledLong = max(side, side * long / short)
        let (h, w) = height <= width ? (side, scaledLong) : (scaledLong, side)
        let resized = try CLIPImagePreprocessing.pixels(rgb: rgb, sourceWidth: width, sourceHeight: height, height: h, width: w)
        if h == side && w == side { return resized }
        let top = (h - side) / 2, left = (w - side) / 2
        var crop = [Float](repeating: 0, count: 3 * side * side)
        resized.withUnsafeBufferPointer { source in
            for c in 0..<3 {
                for y in 0..<side {
                    let from = (c * h + top + y) * w + left
                    let to = (c * side + y) * side
                    for x in 0..<side { crop[to + x] = source[from + x] }
                }
            }
        }
        do {
            return try Tensor(shape: [1, 3, side, side], scalars: crop)
        } catch {
            throw .computation(error)
        }
    }

    /// The L2-normalised image embedding `[E]` of interleaved 8-bit RGB pixels.
    public func imageEmbedding(rgb: [UInt8], width: Int, height: Int) throws(EvaluationError) -> [Float] {
        do {
            let input = try Self.pixels(rgb: rgb, width: width, height: height, side: imageSize)
            guard let embedding = try vision.encode(input).embeddings else {
                throw EvaluationError(.checkpoint, "the checkpoint has no vision projection")
            }
            return try embedding.l2Normalized().scalars
        } catch {
            throw EvaluationError.wrapping(error)
        }
    }

    /// Cosine similarity of a normalised image embedding to every class, summed in `Double` in a
    /// fixed order (the same value on every machine for the same embedding).
    public func scores(imageEmbedding: [Float]) -> [Double] {
        let width = classifier.shape[1]
        return classifier.withUnsafeBufferPointer { rows in
            (0..<classes.count).map { k in
                var dot = 0.0
                for i in 0..<width { dot += Double(rows[k * width + i]) * Double(imageEmbedding[i]) }
                return dot
            }
        }
    }

    /// Classifies one image file (PNG, JPEG or TIFF through `RasterImage.readRGB`); `id` is what
    /// the prediction is reported under. Errors name the file.
    public func classify(path: String, id: String) throws(EvaluationError) -> ZeroShotPrediction {
        let image: RasterImage
        do {
            image = try RasterImage.readRGB(path: path)
        } catch {
            throw EvaluationError(.run, "\(error)", underlying: error)
        }
        let embedding: [Float]
        do {
            embedding = try imageEmbedding(rgb: image.pixels, width: image.width, height: image.height)
        } catch {
            throw EvaluationError(error.kind, "\(path): \(error.message)", underlying: error)
        }
        return ZeroShotPrediction(image: id, scores: scores(imageEmbedding: embedding))
    }

    /// The images under `folder`, recursively, in byte order of their relative paths: files whose
    /// extension `RasterImage` reads; hidden files and folders skipped. Each entry is the full path
    /// and the `/`-separated path relative to `folder` (the image's id).
    /// SHA-256 of the checkpoint as a run's provenance records it (`ModelRun`): of its file, or of
    /// the `sha256sum`-style listing of a Hugging Face folder's or a shard index's files.
    public static func checkpointSHA256(_ checkpoint: ModelCheckpoint) throws(EvaluationError) -> String {
        do {
            let files = checkpoint.isPyTorch ? [checkpoint.path] : try CLIPCheckpoint(path: checkpoint.path).files
            return try ModelRun.checkpointSHA256(files: files)
        } catch {
            throw EvaluationError.wrapping(error)
        }
    }

    public static func listImages(folder: String) throws(EvaluationError) -> [(path: String, id: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError(.run, "\(folder) is not a folder of images")
        }
        let extensions = Set(RasterImage.extensions.map { $0.lowercased() })
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw EvaluationError(.run, "cannot list \(folder)")
        }
        var found: [(path: String, id: String)] = []
        while let relative = walker.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            let ext = (relative as NSString).pathExtension.lowercased()
            guard extensions.contains(ext) else { continue }
            let path = (folder as NSString).appendingPathComponent(relative)
            var directory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &directory), !directory.boolValue else { continue }
            found.append((path, relative))
        }
        guard !found.isEmpty else {
            throw EvaluationError(.run, "\(folder) holds no images (\(RasterImage.extensions.joined(separator: ", ")))")
        }
        return found.sorted { Array($0.id.utf8).lexicographicallyPrecedes(Array($1.id.utf8)) }
    }
}
