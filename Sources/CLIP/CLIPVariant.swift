import SafeTensors

/// The CLIP sizes the suite supports, recognised from tensor shapes
/// (docs/segmentation-core.md §2.1): OpenAI ViT-B/16 and ViT-L/14 (224 or 336).
///
/// Shapes fix every size except the attention head count and the activation.
/// For the supported towers heads = width / 64 (true of every OpenAI tower).
/// Any other shape is refused unless the checkpoint *declares* its head
/// count, which is how the tiny random test models load.
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

/// String keys of `__metadata__` that carry what shapes cannot tell.
///
/// The `sgseg.` namespace holds the project's keys (docs/checkpoint-format.md
/// §3); a plain HF `model.safetensors` has no metadata at all, so these three
/// flat string keys are optional for the supported variants (heads = width/64,
/// QuickGELU) and required for any other size:
///
/// * `sgseg.clip.text_heads`, `sgseg.clip.vision_heads`: decimal integers;
/// * `sgseg.clip.hidden_act`: `quick_gelu` (OpenAI) or `gelu` (OpenCLIP/LAION),
///   one value for both towers as in HF `CLIPConfig`.
public enum CLIPMetadataKey {
    public static let textHeads = "sgseg.clip.text_heads"
    public static let visionHeads = "sgseg.clip.vision_heads"
    public static let hiddenActivation = "sgseg.clip.hidden_act"
}

enum CLIPMetadata {
    static func int(_ file: SafeTensorsFile, _ key: String) throws(CLIPError) -> Int? {
        guard let text = file.metadata[key] else { return nil }
        guard let value = Int(text) else {
            throw .unsupportedConfiguration("__metadata__[\"\(key)\"] = '\(text)' is not an integer")
        }
        return value
    }

    static func activation(_ file: SafeTensorsFile, override: CLIPActivation?) throws(CLIPError) -> CLIPActivation {
        if let override { return override }
        guard let name = file.metadata[CLIPMetadataKey.hiddenActivation] else { return .quickGELU }
        guard let parsed = CLIPActivation(rawValue: name) else {
            throw .unsupportedConfiguration("unknown activation '\(name)' in __metadata__[\"\(CLIPMetadataKey.hiddenActivation)\"]")
        }
        return parsed
    }
}
