import Foundation

/// One tower's settings from a Hugging Face `config.json`, read as
/// transformers reads it: a key that is absent takes the default of
/// `CLIPTextConfig`/`CLIPVisionConfig` (so an absent `hidden_act` is
/// `quick_gelu`, exactly what transformers would run).
public struct CLIPTowerSettings: Sendable, Equatable {
    /// The `config.json` these settings come from (named in errors).
    public var file: String
    /// Where the tower's keys live, for messages: `text_config.`, `vision_config.` or empty.
    public var keyPrefix: String
    public var width: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var activation: CLIPActivation
    public var layerNormEpsilon: Float
    /// Rows of the tower's projection: the top-level `projection_dim` (for
    /// model_type `clip` the sub-configs' own `projection_dim` is unused, as in
    /// transformers' `CLIPModel`).
    public var projectionSize: Int
    /// Text only: `vocab_size`, `max_position_embeddings`.
    public var vocabularySize: Int?
    public var maxPositions: Int?
    /// Vision only: `image_size`, `patch_size`.
    public var imageSize: Int?
    public var patchSize: Int?
}

/// A CLIP `config.json` (docs/checkpoint-format.md §6): `model_type` `clip`
/// (both towers under `text_config`/`vision_config`, the projection size at
/// the top level), `clip_text_model` or `clip_vision_model` (one tower at the
/// top level). Legacy `text_config_dict`/`vision_config_dict` entries override
/// `text_config`/`vision_config` as in transformers 4.
public struct CLIPHubConfiguration: Sendable, Equatable {
    /// The `config.json` path (named in every error).
    public let file: String
    public let text: CLIPTowerSettings?
    public let vision: CLIPTowerSettings?

    /// Reads and checks `config.json` at `path`.
    public init(path: String) throws(CLIPError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .configuration(file: path, key: "", detail: "cannot read the file: \(error.localizedDescription)")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .configuration(file: path, key: "", detail: "not a JSON object")
        }
        try self.init(root: root, file: path)
    }

    init(root: [String: Any], file: String) throws(CLIPError) {
        self.file = file
        let modelType: String
        if let value = root["model_type"] {
            guard let name = value as? String else {
                throw .configuration(file: file, key: "model_type", detail: "not a string")
            }
            modelType = name
        } else if root["text_config"] != nil || root["vision_config"] != nil {
            modelType = "clip"
        } else {
            throw .configuration(file: file, key: "model_type", detail: "missing (expected clip, clip_text_model or clip_vision_model)")
        }
        let reader = Reader(file: file)
        switch modelType {
        case "clip":
            let projection = try reader.int(root, "projection_dim", "", default: 512)
            let textDict = try reader.section(root, "text_config", legacy: "text_config_dict")
            let visionDict = try reader.section(root, "vision_config", legacy: "vision_config_dict")
            text = try reader.text(textDict, prefix: "text_config.", projection: projection)
            vision = try reader.vision(visionDict, prefix: "vision_config.", projection: projection)
        case "clip_text_model":
            text = try reader.text(root, prefix: "", projection: try reader.int(root, "projection_dim", "", default: 512))
            vision = nil
        case "clip_vision_model":
            text = nil
            vision = try reader.vision(root, prefix: "", projection: try reader.int(root, "projection_dim", "", default: 512))
        default:
            throw .configuration(file: file, key: "model_type",
                                 detail: "'\(modelType)' is not a CLIP configuration (clip, clip_text_model or clip_vision_model)")
        }
    }

    /// Typed reads with transformers' defaults; a wrong type is an error naming the key.
    private struct Reader {
        let file: String

        func section(_ root: [String: Any], _ key: String, legacy: String) throws(CLIPError) -> [String: Any] {
            var merged: [String: Any] = [:]
            for name in [key, legacy] {
                guard let value = root[name], !(value is NSNull) else { continue }
                guard let dict = value as? [String: Any] else {
                    throw .configuration(file: file, key: name, detail: "not an object")
                }
                merged.merge(dict) { _, new in new }
            }
            return merged
        }

        /// A JSON number as a Double (Foundation's JSON values differ by platform).
        func number(_ value: Any) -> Double? {
            if let value = value as? Int { return Double(value) }
            if let value = value as? Double { return value }
            return (value as? NSNumber)?.doubleValue
        }

        func int(_ dict: [String: Any], _ key: String, _ prefix: String, default fallback: Int) throws(CLIPError) -> Int {
            guard let value = dict[key], !(value is NSNull) else { return fallback }
            guard let double = number(value), let exact = Int(exactly: double), exact > 0 else {
                throw .configuration(file: file, key: prefix + key, detail: "'\(value)' is not a positive integer")
            }
            return exact
        }

        func float(_ dict: [String: Any], _ key: String, _ prefix: String, default fallback: Float) throws(CLIPError) -> Float {
            guard let value = dict[key], !(value is NSNull) else { return fallback }
            guard let double = number(value), double > 0, double < 1 else {
                throw .configuration(file: file, key: prefix + key, detail: "'\(value)' is not a number in (0, 1)")
            }
            return Float(double)
        }

        func activation(_ dict: [String: Any], _ prefix: String) throws(CLIPError) -> CLIPActivation {
            guard let value = dict["hidden_act"], !(value is NSNull) else { return .quickGELU }
            guard let name = value as? String, let activation = CLIPActivation(rawValue: name) else {
                throw .configuration(file: file, key: prefix + "hidden_act",
                                     detail: "'\(value)' is not supported (quick_gelu or gelu)")
            }
            return activation
        }

        func text(_ d: [String: Any], prefix p: String, projection: Int) throws(CLIPError) -> CLIPTowerSettings {
            CLIPTowerSettings(
                file: file, keyPrefix: p, width: try int(d, "hidden_size", p, default: 512),
                intermediateSize: try int(d, "intermediate_size", p, default: 2048),
                layers: try int(d, "num_hidden_layers", p, default: 12), heads: try int(d, "num_attention_heads", p, default: 8),
                activation: try activation(d, p), layerNormEpsilon: try float(d, "layer_norm_eps", p, default: 1e-5),
                projectionSize: projection, vocabularySize: try int(d, "vocab_size", p, default: 49408),
                maxPositions: try int(d, "max_position_embeddings", p, default: 77), imageSize: nil, patchSize: nil)
        }

        func vision(_ d: [String: Any], prefix p: String, projection: Int) throws(CLIPError) -> CLIPTowerSettings {
            CLIPTowerSettings(
                file: file, keyPrefix: p, width: try int(d, "hidden_size", p, default: 768),
                intermediateSize: try int(d, "intermediate_size", p, default: 3072),
                layers: try int(d, "num_hidden_layers", p, default: 12), heads: try int(d, "num_attention_heads", p, default: 12),
                activation: try activation(d, p), layerNormEpsilon: try float(d, "layer_norm_eps", p, default: 1e-5),
                projectionSize: projection, vocabularySize: nil, maxPositions: nil,
                imageSize: try int(d, "image_size", p, default: 224), patchSize: try int(d, "patch_size", p, default: 32))
        }
    }
}

extension CLIPTowerSettings {
    /// Throws unless the config value `key` equals what the tensors show.
    /// `key` is relative to the tower's section unless `topLevel`.
    func expect(_ key: String, _ stated: Int?, equals actual: Int, shownBy tensor: String,
                topLevel: Bool = false) throws(CLIPError) {
        guard let stated, stated != actual else { return }
        throw .configuration(file: file, key: topLevel ? key : keyPrefix + key,
                             detail: "says \(stated) but the checkpoint has \(actual) (\(tensor))")
    }

    /// The checks both towers share: the layer count, the MLP width and the projection size.
    func expectTower(
        layers: Int, layersShownBy: String, intermediate: Int, intermediateShownBy: String,
        projection: Int?, projectionShownBy: String
    ) throws(CLIPError) {
        try expect("num_hidden_layers", self.layers, equals: layers, shownBy: layersShownBy)
        try expect("intermediate_size", intermediateSize, equals: intermediate, shownBy: intermediateShownBy)
        if let projection {
            try expect("projection_dim", projectionSize, equals: projection, shownBy: projectionShownBy, topLevel: true)
        }
    }
}
