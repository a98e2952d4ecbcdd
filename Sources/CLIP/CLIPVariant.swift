import SafeTensors

/// The OpenAI CLIP sizes recognised from tensor shapes alone
/// (docs/segmentation-core.md §2.1, docs/checkpoint-format.md §6): ViT-B/16
/// and ViT-L/14 (224 or 336).
///
/// Shapes fix every size except the attention head count and the activation.
/// A checkpoint with a `config.json` takes both from it, whatever its size
/// (B/32, H/14, LAION's gelu towers, …). Without one, a file whose towers
/// are *exactly* one of these OpenAI shapes is read as OpenAI's (heads =
/// width / 64, QuickGELU), as ovseg always documented; any other file must
/// declare what it lacks in `__metadata__` (`CheckpointMetadataKey.CLIP`) or is refused.
public enum CLIPVariant: String, Sendable, Equatable, CaseIterable {
    case vitB16 = "ViT-B/16"
    case vitL14 = "ViT-L/14"
    case vitL14At336 = "ViT-L/14-336"

    /// Vision (width, patch, layers, native grid) of each variant.
    var vision: (width: Int, patch: Int, layers: Int, grid: Int) {
        switch self {
        case .vitB16: return (768, 16, 12, 14)
        case .vitL14: return (1024, 14, 24, 16)
        case .vitL14At336: return (1024, 14, 24, 24)
        }
    }

    /// Text (width, layers) of each variant.
    var text: (width: Int, layers: Int) {
        switch self {
        case .vitB16: return (512, 12)
        case .vitL14, .vitL14At336: return (768, 12)
        }
    }

    /// Rows of both projections.
    var projectionSize: Int { self == .vitB16 ? 512 : 768 }

    /// Whether a vision tower of this variant's sizes also has OpenAI's MLP
    /// (4 × width) and projection (absent, or this variant's size).
    func isOpenAIVision(intermediate: Int, projection: Int?) -> Bool {
        intermediate == 4 * vision.width && (projection ?? projectionSize) == projectionSize
    }

    /// Whether a text tower is exactly an OpenAI one: a variant's width and
    /// depth, MLP 4 × width, the 49408-token vocabulary, 77 positions and the
    /// variant's projection size (or none).
    public static func isOpenAIText(
        width: Int, layers: Int, intermediate: Int, vocabulary: Int, positions: Int, projection: Int?
    ) -> Bool {
        allCases.contains { v in
            v.text == (width, layers) && (projection ?? v.projectionSize) == v.projectionSize
        } && intermediate == 4 * width && vocabulary == 49408 && positions == 77
    }

    /// The variant whose vision tower has these sizes, if any.
    public static func matchingVision(width: Int, patch: Int, layers: Int, grid: Int) -> CLIPVariant? {
        allCases.first { $0.vision == (width, patch, layers, grid) }
    }

    /// Whether a text tower of this width and depth belongs to a supported variant.
    public static func isSupportedText(width: Int, layers: Int) -> Bool {
        allCases.contains { $0.text == (width, layers) }
    }

    static var supportedSummary: String {
        allCases.map { v in
            "\(v.rawValue) (vision width \(v.vision.width), patch \(v.vision.patch), \(v.vision.layers) layers, grid \(v.vision.grid); text width \(v.text.width), \(v.text.layers) layers)"
        }.joined(separator: "; ")
    }
}

enum CLIPMetadata {
    static func int(_ file: SafeTensorsFile, _ key: String) throws(CLIPError) -> Int? {
        guard let text = file.metadata[key] else { return nil }
        guard let value = Int(text) else {
            throw .unsupportedConfiguration("\(file.file): __metadata__[\"\(key)\"] = '\(text)' is not an integer")
        }
        return value
    }

    static func activation(_ file: SafeTensorsFile) throws(CLIPError) -> CLIPActivation? {
        guard let name = file.metadata[CheckpointMetadataKey.CLIP.hiddenActivation] else { return nil }
        guard let parsed = CLIPActivation(rawValue: name) else {
            throw .unsupportedConfiguration(
                "\(file.file): unknown activation '\(name)' in __metadata__[\"\(CheckpointMetadataKey.CLIP.hiddenActivation)\"] (quick_gelu or gelu)")
        }
        return parsed
    }

    /// A tower's head count and activation, in order: the caller's explicit
    /// values, the `config.json` (metadata present beside it must agree), the
    /// metadata, OpenAI's values for an exact OpenAI shape; else an error.
    static func resolve(
        _ file: SafeTensorsFile, tower: String, headsKey: String, explicitHeads: Int?,
        explicitActivation: CLIPActivation?, configuration: CLIPTowerSettings?, openAIShape: Bool, width: Int
    ) throws(CLIPError) -> (heads: Int, activation: CLIPActivation) {
        let declaredHeads = try int(file, headsKey)
        let declaredActivation = try activation(file)
        var heads: Int?
        var activation: CLIPActivation?
        if let config = configuration {
            if let declaredHeads, declaredHeads != config.heads {
                throw .configuration(
                    file: config.file, key: config.keyPrefix + "num_attention_heads",
                    detail: "says \(config.heads) but \(file.file) declares __metadata__[\"\(headsKey)\"] = \(declaredHeads)")
            }
            if let declaredActivation, declaredActivation != config.activation {
                throw .configuration(
                    file: config.file, key: config.keyPrefix + "hidden_act",
                    detail: "says \(config.activation.rawValue) but \(file.file) declares __metadata__[\"\(CheckpointMetadataKey.CLIP.hiddenActivation)\"] = \(declaredActivation.rawValue)")
            }
            heads = config.heads
            activation = config.activation
        } else {
            heads = declaredHeads ?? (openAIShape ? width / 64 : nil)
            activation = declaredActivation ?? (openAIShape ? .quickGELU : nil)
        }
        guard let heads = explicitHeads ?? heads else {
            throw .unsupportedConfiguration(
                "\(file.file): the \(tower) tower (width \(width)) is not an OpenAI CLIP (\(CLIPVariant.supportedSummary)), so its head count must be stated: put the model's config.json beside the file or declare __metadata__[\"\(headsKey)\"]")
        }
        guard heads > 0, width % heads == 0 else {
            throw .unsupportedConfiguration("\(file.file): \(tower) width \(width) cannot be split into \(heads) heads")
        }
        guard let activation = explicitActivation ?? activation else {
            throw .unsupportedConfiguration(
                "\(file.file): the \(tower) tower's activation is stated nowhere (no config.json beside the file, no __metadata__[\"\(CheckpointMetadataKey.CLIP.hiddenActivation)\"]) and its shapes are not exactly an OpenAI CLIP's, whose activation is QuickGELU; put the model's config.json beside it or declare the key (quick_gelu for OpenAI weights, gelu for OpenCLIP/LAION ones)")
        }
        return (heads, activation)
    }
}
