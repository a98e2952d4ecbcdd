import CLIP
import CLIPTokenizer
import Harness
import LabelMaps
import SafeTensors
import TrainingFree
import Vocabulary

/// Changes to the training-free settings a dataset's preset gives; nil keeps the preset's value.
public struct TrainingFreeOverrides: Sendable, Equatable {
    /// Last-block attention: segearth, sclip, clearclip, maskclip or vanilla (not catseg).
    public var attention: CLIPDenseMode?
    /// Pixels whose best class probability is below it get the background class.
    public var threshold: Float?
    /// The background class, by id or by one of its names.
    public var background: String?
    /// Resize so the long side has this length first; `.some(nil)` for no resize.
    public var longSide: Int??
    /// Sliding-window side and step.
    public var crop: Int?
    public var stride: Int?

    public init(
        attention: CLIPDenseMode? = nil, threshold: Float? = nil, background: String? = nil, longSide: Int?? = nil,
        crop: Int? = nil, stride: Int? = nil
    ) {
        self.attention = attention
        self.threshold = threshold
        self.background = background
        self.longSide = longSide
        self.crop = crop
        self.stride = stride
    }

    /// True when no setting is changed.
    public var isEmpty: Bool { self == TrainingFreeOverrides() }

    func apply(to settings: inout TrainingFreeSettings, vocabulary: Vocabulary) throws(EvaluationError) {
        if let attention {
            let usable: [CLIPDenseMode] = [.segEarth, .sclip, .clearCLIP, .maskCLIP, .vanilla]
            guard usable.contains(attention) else {
                throw EvaluationError(
                    .setting(.attention),
                    "attention \(attention.rawValue) is not a training-free mode (segearth, sclip, clearclip, maskclip or vanilla)")
            }
            settings.attention = attention
        }
        if let threshold { settings.probabilityThreshold = threshold }
        if let background {
            if let id = Int(background), vocabulary.classes.contains(where: { $0.id == id }) {
                settings.backgroundIndex = id
            } else if let match = vocabulary.classes.first(where: { $0.allNames.contains(background) }) {
                settings.backgroundIndex = match.id
            } else {
                throw EvaluationError(
                    .setting(.background),
                    "\(background) is neither a class id nor a class name of \(vocabulary.key)")
            }
        }
        if let longSide {
            if let value = longSide, value <= 0 {
                throw EvaluationError(.setting(.longSide), "the long side must be a positive number of pixels, not \(value)")
            }
            settings.longSide = longSide
        }
        if let crop { settings.crop = crop }
        if let stride { settings.stride = stride }
        do {
            try settings.validate()
        } catch {
            throw EvaluationError(.run, "\(error)", underlying: error)
        }
    }
}

/// A frozen Hugging Face CLIP set up with SegEarth-OV's recipe: settings, towers and the
/// embedded queries of every class name and synonym.
struct TrainingFreeSetup {
    let settings: TrainingFreeSettings
    let segmenter: TrainingFreeSegmenter
    let queries: TrainingFreeQueries
    let templates: [String]
    let queryNames: [[String]]
    let presetKey: String?
    /// The files that define the model (`CLIPCheckpoint.files`), hashed for provenance.
    let checkpointFiles: [String]

    /// Loads the towers, resolves the settings (the vocabulary's preset, then the overrides) and
    /// embeds every class name and synonym with every template.
    init(checkpoint: ModelCheckpoint, vocabulary: Vocabulary, overrides: TrainingFreeOverrides, templates: [String]) throws {
        // A torch.save file is converted in memory (ModelCheckpoint); anything else is a safetensors
        // file, a shard index or a Hugging Face folder with its config.json (CLIPCheckpoint).
        let clip = checkpoint.isPyTorch ? nil : try CLIPCheckpoint(path: checkpoint.path)
        let file = try clip?.file ?? checkpoint.open()
        if case .segmenter(let architecture?) = CheckpointKind(file: file) {
            throw EvaluationError(
                .checkpoint,
                "training-free evaluation needs a plain CLIP checkpoint (Hugging Face key names); "
                    + "\(checkpoint.path) is a \(architecture) checkpoint")
        }
        let preset = TrainingFreeSettings.preset(vocabulary: vocabulary.key)
        presetKey = preset == nil ? nil : vocabulary.key
        var settings = preset ?? TrainingFreeSettings()
        try overrides.apply(to: &settings, vocabulary: vocabulary)
        let model = try clip.map { try CLIPModel(checkpoint: $0) } ?? CLIPModel(file: file)
        checkpointFiles = clip?.files ?? [checkpoint.path]
        segmenter = try TrainingFreeSegmenter(model: model, settings: settings)
        self.settings = settings
        self.templates = templates.isEmpty ? TrainingFreePrompts.openAIImageNetTemplates : templates
        queryNames = vocabulary.classes.map(\.allNames)
        queries = try segmenter.queries(synonyms: queryNames, templates: self.templates, tokenizer: try CLIPTokenizer())
    }

    /// The settings recorded in the results file's provenance.
    func configuration(vocabulary: Vocabulary) -> [(String, String)] {
        let s = settings
        let background = vocabulary.classes.first { $0.id == s.backgroundIndex }?.name ?? String(s.backgroundIndex)
        return [
            ("architecture", "training-free CLIP (SegEarth-OV recipe)"),
            ("preset", presetKey.map { "SegEarth-OV \($0)" } ?? "none (defaults)"),
            ("attention", s.attention.rawValue), ("keeps_residual", String(s.keepsResidual)),
            ("position_interpolation", s.positionInterpolation.rawValue),
            ("long_side", s.longSide.map(String.init) ?? "none"), ("crop", String(s.crop)), ("stride", String(s.stride)),
            ("cls_lambda", String(s.clsLambda)), ("logit_scale", String(s.logitScale)),
            ("probability_threshold", String(s.probabilityThreshold)), ("background", background),
            ("pixel_mean", s.pixelMean.map { String($0) }.joined(separator: ",")),
            ("pixel_std", s.pixelStd.map { String($0) }.joined(separator: ",")),
            ("queries", queryNames.map { $0.joined(separator: "/") }.joined(separator: " | ")),
            ("templates", templates.count == TrainingFreePrompts.openAIImageNetTemplates.count
                && templates == TrainingFreePrompts.openAIImageNetTemplates
                ? "OpenAI ImageNet (80)" : templates.joined(separator: " | ")),
            ("output", "softmax over queries, max per class, argmax; below the threshold → background"),
        ]
    }
}

/// Hands each image to the training-free segmenter.
struct TrainingFreePredictor: ImagePredictor {
    let setup: TrainingFreeSetup

    mutating func predict(_ request: PredictionRequest) throws -> LabelMap {
        let image = try request.readImage()
        let labels = try setup.segmenter.predict(
            image: image.pixels, height: image.height, width: image.width, queries: setup.queries)
        return LabelMap(width: image.width, height: image.height, values: labels)
    }
}
