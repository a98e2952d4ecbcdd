import TorchCheckpoint

/// OpenAI / open_clip / CAT-Seg CLIP names → Hugging Face `CLIPModel` names
/// (docs/checkpoint-format.md §5), as the reference exporter's `openai_to_hf` maps them.
///
/// Splits and transposes are expressed as views of the same storage, so nothing is copied
/// until the file is written.
enum OpenAINames {
    static let simple: [String: String] = [
        "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
        "visual.class_embedding": "vision_model.embeddings.class_embedding",
        "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
        "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
        "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
        "visual.ln_post.weight": "vision_model.post_layernorm.weight",
        "visual.ln_post.bias": "vision_model.post_layernorm.bias",
        "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
        "positional_embedding": "text_model.embeddings.position_embedding.weight",
        "ln_final.weight": "text_model.final_layer_norm.weight",
        "ln_final.bias": "text_model.final_layer_norm.bias",
        "logit_scale": "logit_scale",
    ]

    static let block: [(String, String)] = [
        ("ln_1.", "layer_norm1."), ("ln_2.", "layer_norm2."), ("mlp.c_fc.", "mlp.fc1."), ("mlp.c_proj.", "mlp.fc2."),
        ("attn.out_proj.", "self_attn.out_proj."),
    ]

    /// Renames `tensors` (names without any prefix); `prefix` is only for messages. Each output
    /// keeps the name of the source tensor it views, for messages.
    static func toHuggingFace(
        _ tensors: [(String, TorchTensorReference)], prefix: String
    ) throws(ConversionProblem) -> [(String, TorchTensorReference, String)] {
        var renamed: [(String, TorchTensorReference)] = []
        var out: [(String, TorchTensorReference, String)] = []
        for (key, value) in tensors {
            renamed.removeAll(keepingCapacity: true)
            try rename(key, value, prefix: prefix, into: &renamed)
            out.append(contentsOf: renamed.map { ($0.0, $0.1, key) })
        }
        return out
    }

    private static func rename(
        _ key: String, _ value: TorchTensorReference, prefix: String, into out: inout [(String, TorchTensorReference)]
    ) throws(ConversionProblem) {
        if let name = simple[key] {
            out.append((name, value))
        } else if key == "visual.proj" {
            out.append(("visual_projection.weight", try transposed(value, key: prefix + key)))
        } else if key == "text_projection" {
            out.append(("text_projection.weight", try transposed(value, key: prefix + key)))
        } else if key.hasPrefix("visual.transformer.resblocks.") {
            try blockTensor(key, dropping: "visual.transformer.resblocks.", tower: "vision_model", value, prefix: prefix, into: &out)
        } else if key.hasPrefix("transformer.resblocks.") {
            try blockTensor(key, dropping: "transformer.resblocks.", tower: "text_model", value, prefix: prefix, into: &out)
        } else if key.hasSuffix("prompt_tokens") && value.elementCount == 0 {
            return
        } else {
            throw .unknownTensor(key: prefix + key, reason: "not an OpenAI CLIP tensor (visual prompt tuning is not supported)")
        }
    }

    private static func blockTensor(
        _ key: String, dropping head: String, tower: String, _ value: TorchTensorReference, prefix: String,
        into out: inout [(String, TorchTensorReference)]
    ) throws(ConversionProblem) {
        let rest = key.dropFirst(head.count)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]) else {
            throw .unknownTensor(key: prefix + key, reason: "no block number")
        }
        let tail = String(rest[rest.index(after: dot)...])
        let base = "\(tower).encoder.layers.\(layer)."
        switch tail {
        case "attn.in_proj_weight", "attn.in_proj_bias":
            let kind = tail.hasSuffix("weight") ? "weight" : "bias"
            for (index, name) in ["q", "k", "v"].enumerated() {
                out.append(("\(base)self_attn.\(name)_proj.\(kind)", try third(value, index, key: prefix + key)))
            }
        case "attn.q_proj_weight", "attn.k_proj_weight", "attn.v_proj_weight":
            out.append(("\(base)self_attn.\(tail.dropFirst(5).prefix(1))_proj.weight", value))
        default:
            for (old, new) in block where tail.hasPrefix(old) {
                out.append((base + new + tail.dropFirst(old.count), value))
                return
            }
            throw .unknownTensor(key: prefix + key, reason: "unknown OpenAI CLIP block tensor '\(tail)'")
        }
    }

    /// `value.chunk(3, dim=0)[index]`.
    static func third(_ value: TorchTensorReference, _ index: Int, key: String) throws(ConversionProblem) -> TorchTensorReference {
        guard let rows = value.shape.first, rows % 3 == 0 else {
            throw .unexpectedShape(key: key, shape: value.shape, expected: "a first dimension divisible by 3 (packed q, k, v)")
        }
        var shape = value.shape
        shape[0] = rows / 3
        return TorchTensorReference(
            storage: value.storage, storageOffset: value.storageOffset + index * (rows / 3) * value.strides[0],
            shape: shape, strides: value.strides)
    }

    /// `value.t()` of a matrix.
    static func transposed(_ value: TorchTensorReference, key: String) throws(ConversionProblem) -> TorchTensorReference {
        guard value.shape.count == 2 else { throw .unexpectedShape(key: key, shape: value.shape, expected: "a matrix") }
        return TorchTensorReference(
            storage: value.storage, storageOffset: value.storageOffset, shape: value.shape.reversed(),
            strides: value.strides.reversed())
    }
}
