import SafeTensors

/// Both CLIP towers of one checkpoint, with the supported variant detected
/// from the vision shapes (§3.1). A tower whose keys are absent is nil; a
/// tower that is present but malformed, or whose head count or activation is
/// stated nowhere, is an error (docs/checkpoint-format.md §6).
public struct CLIPModel: Sendable {
    /// The supported variant of the vision tower (nil for a text-only file or
    /// declared test sizes).
    public let variant: CLIPVariant?
    public let text: CLIPTextEncoder?
    public let vision: CLIPVisionEncoder?

    /// Reads the towers under `prefix` (e.g. `"frozen."`) from `file`, with
    /// the sizes `configuration` (a `config.json`) states, checked against the shapes.
    public init(file: SafeTensorsFile, prefix: String = "",
                positionInterpolation: CLIPPositionInterpolation = .bySize,
                configuration: CLIPHubConfiguration? = nil) throws(CLIPError) {
        let hasText = file.contains(prefix + "text_model.embeddings.token_embedding.weight")
        let hasVision = file.contains(prefix + "vision_model.embeddings.patch_embedding.weight")
        guard hasText || hasVision else {
            throw .unsupportedConfiguration(
                "\(file.file) holds neither '\(prefix)text_model.embeddings.token_embedding.weight' nor '\(prefix)vision_model.embeddings.patch_embedding.weight'")
        }
        text = hasText ? try CLIPTextEncoder(file: file, options: CLIPTextLoadOptions(prefix: prefix, configuration: configuration?.text)) : nil
        vision = hasVision
            ? try CLIPVisionEncoder(file: file, options: CLIPVisionLoadOptions(
                prefix: prefix, positionInterpolation: positionInterpolation, configuration: configuration?.vision))
            : nil
        variant = vision?.configuration.variant
        // Without a config.json the towers must be one OpenAI variant; with one, any pairing it states.
        if configuration == nil, let variant, let text, text.configuration.width != variant.text.width {
            throw .unsupportedConfiguration(
                "vision tower is \(variant.rawValue) but the text tower has width \(text.configuration.width), expected \(variant.text.width)")
        }
        if let t = text?.configuration.projectionSize, let v = vision?.configuration.projectionSize, t != v {
            throw .unsupportedConfiguration("text projection size \(t) differs from visual projection size \(v)")
        }
    }
}

extension CLIPModel {
    /// Reads the towers of a resolved checkpoint (a file, a shard index or a
    /// Hugging Face folder, with its `config.json` if there is one).
    public init(checkpoint: CLIPCheckpoint, prefix: String = "",
                positionInterpolation: CLIPPositionInterpolation = .bySize) throws(CLIPError) {
        try self.init(file: checkpoint.file, prefix: prefix, positionInterpolation: positionInterpolation,
                      configuration: checkpoint.configuration)
    }
}
