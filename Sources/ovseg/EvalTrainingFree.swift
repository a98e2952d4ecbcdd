import ArgumentParser
import CLIP
import CLIPTokenizer
import Foundation
import Harness
import LabelMaps
import SafeTensors
import Segmenter
import TrainingFree
import Vocabulary

/// The training-free side of `ovseg eval`: a frozen Hugging Face CLIP with SegEarth-OV's recipe.
struct TrainingFreeEvaluation {
    let settings: TrainingFreeSettings
    let segmenter: TrainingFreeSegmenter
    let queries: TrainingFreeQueries
    let templates: [String]
    let queryNames: [[String]]
    let presetKey: String?

    /// Loads the towers, resolves the settings (the vocabulary's preset, then the overrides) and
    /// embeds every class name and synonym with every template.
    init(checkpoint: String, vocabulary: Vocabulary, overrides: TrainingFreeOverrides, templates: [String]) throws {
        let file = try SafeTensorsFile(path: checkpoint)
        if let architecture = file.metadata["sgseg.arch"] {
            throw ValidationError(
                "--mode training-free needs a plain CLIP checkpoint (Hugging Face key names); "
                    + "\(checkpoint) is a \(architecture) checkpoint (use --mode auto)")
        }
        let preset = TrainingFreeSettings.preset(vocabulary: vocabulary.key)
        presetKey = preset == nil ? nil : vocabulary.key
        var settings = preset ?? TrainingFreeSettings()
        try overrides.apply(to: &settings, vocabulary: vocabulary)
        let model = try CLIPModel(file: file)
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

/// Command-line overrides of the training-free settings; nil keeps the preset's value.
struct TrainingFreeOverrides {
    var attention: String?
    var threshold: Float?
    var background: String?
    var longSide: String?
    var crop: Int?
    var stride: Int?

    func apply(to settings: inout TrainingFreeSettings, vocabulary: Vocabulary) throws {
        if let attention {
            guard let mode = CLIPDenseMode(rawValue: attention),
                  [.segEarth, .sclip, .clearCLIP, .maskCLIP, .vanilla].contains(mode)
            else {
                throw ValidationError("--attention must be segearth, sclip, clearclip, maskclip or vanilla, not \(attention)")
            }
            settings.attention = mode
        }
        if let threshold { settings.probabilityThreshold = threshold }
        if let background {
            if let id = Int(background), vocabulary.classes.contains(where: { $0.id == id }) {
                settings.backgroundIndex = id
            } else if let match = vocabulary.classes.first(where: { $0.allNames.contains(background) }) {
                settings.backgroundIndex = match.id
            } else {
                throw ValidationError("--background \(background) is neither a class id nor a class name of \(vocabulary.key)")
            }
        }
        if let longSide {
            if longSide == "none" {
                settings.longSide = nil
            } else if let value = Int(longSide), value > 0 {
                settings.longSide = value
            } else {
                throw ValidationError("--long-side must be a positive integer or none, not \(longSide)")
            }
        }
        if let crop { settings.crop = crop }
        if let stride { settings.stride = stride }
        try settings.validate()
    }
}

/// Hands each image to the training-free segmenter.
struct TrainingFreePredictor: ImagePredictor {
    let evaluation: TrainingFreeEvaluation

    mutating func predict(_ request: PredictionRequest) throws -> LabelMap {
        let image = try request.readImage()
        let labels = try evaluation.segmenter.predict(
            image: image.pixels, height: image.height, width: image.width, queries: evaluation.queries)
        return LabelMap(width: image.width, height: image.height, values: labels)
    }
}
