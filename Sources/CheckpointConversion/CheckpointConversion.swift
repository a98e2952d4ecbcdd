import FileOutput
import Foundation
import Hashing
import SafeTensors
import TorchCheckpoint

/// What a PyTorch checkpoint is converted as.
public enum ConversionArchitecture: String, Sendable, CaseIterable {
    /// detectron2 SGSeg (EVA02 CLIP + head with the scene memory).
    case sgseg
    /// detectron2 CAT-Seg (OpenAI CLIP, OpenAI or Hugging Face names, + head).
    case catseg
    /// A plain OpenAI/open_clip CLIP state dict → Hugging Face `CLIPModel` names.
    case clip
}

/// The settings a `.pth` does not record, written into the metadata (docs/checkpoint-format.md §3).
/// Defaults are the reference exporter's.
public struct ConversionOptions: Sendable {
    /// nil: told from the tensors (a head → sgseg/catseg, else clip).
    public var architecture: ConversionArchitecture?
    public var classes: [String]?
    /// Keep `feature_fusion_layer.*` (the live-text variant).
    public var liveText = false
    public var pooling = 1
    public var inference = "sliding"
    public var guidanceLayers: [Int]?
    public var visionHeads: Int?
    public var textHeads: Int?
    public var aggregatorHeads: Int?
    public var aggregatorWindow: Int?
    public var padLength: Int?
    /// `quick_gelu` or `gelu`; required for a plain CLIP (a `.pth` does not say which).
    public var hiddenActivation: String?

    public init() {}
}

/// A state dict renamed into ovseg's layout, with its metadata; tensors are still views into
/// the source checkpoint until written.
public struct ConvertedCheckpoint: @unchecked Sendable {
    public let architecture: ConversionArchitecture
    /// Output names and the source tensors they are made from, in file order.
    public let tensors: [(name: String, source: TorchTensorReference, sourceKey: String)]
    public let metadata: [String: String]
    /// Source keys left out (derived buffers, the training-time teacher, …).
    public let dropped: [String]
    public let checkpoint: TorchCheckpoint

    /// The safetensors file: floating tensors as F32 (as the reference exporter writes them),
    /// integer tensors unchanged.
    public func safetensorsBytes() throws(CheckpointConversionError) -> [UInt8] {
        var slots: [SafeTensorsWriter.Slot] = []
        for entry in tensors {
            guard let dtype = entry.source.storage.dtype else {
                throw CheckpointConversionError(
                    file: checkpoint.file, problem: .unsupportedDType(key: entry.sourceKey, dtype: "torch." + entry.source.storage.storageClass))
            }
            let out: SafeTensorsDType = dtype.isFloatingPoint ? .f32 : (SafeTensorsDType(rawValue: dtype.rawValue) ?? .u8)
            slots.append(SafeTensorsWriter.Slot(name: entry.name, dtype: out, shape: entry.source.shape))
        }
        do {
            return try SafeTensorsWriter.serialize(slots, metadata: metadata) { (index, buffer) throws(TorchCheckpointError) in
                let entry = tensors[index]
                if slots[index].dtype == .f32 {
                    let values = try checkpoint.floats(entry.source, key: entry.sourceKey)
                    values.withUnsafeBytes { buffer.copyMemory(from: $0) }
                } else {
                    let raw = try checkpoint.contiguousBytes(entry.source, key: entry.sourceKey)
                    raw.withUnsafeBytes { buffer.copyMemory(from: $0) }
                }
            }
        } catch {
            throw CheckpointConversionError(error)
        }
    }

    /// Writes the safetensors file atomically: on any error nothing is left at `path`.
    public func write(to path: String) throws(CheckpointConversionError) {
        let bytes = try safetensorsBytes()
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw CheckpointConversionError(file: path, problem: .cannotWrite(error.reason))
        }
    }
}

/// Converts `torch.save` checkpoints into ovseg's safetensors layout with the reference
/// exporter's mapping (`reference/ovseg_reference/export.py`, docs/checkpoint-format.md §5).
public enum CheckpointConversion {
    public static let clipPrefix = "sem_seg_head.predictor.clip_model."
    public static let aggregatorPrefix = "sem_seg_head.predictor.transformer."
    static let teacherPrefix = "teacher_sem_seg_head."
    /// The release's 17 training classes (DLRSD), assumed for a 17-row memory as the exporter does.
    public static let dlrsdClasses = [
        "airplane", "bare soil", "buildings", "cars", "chaparral", "court", "dock", "field", "grass", "mobile home",
        "pavement", "sand", "sea", "ship", "tanks", "trees", "water",
    ]
    static let defaultTemplate = "A photo of a {} in the scene"

    /// Reads `path` and converts it; the source's SHA-256 goes into `sgseg.source`.
    public static func convert(path: String, options: ConversionOptions) throws(CheckpointConversionError) -> ConvertedCheckpoint {
        let checkpoint: TorchCheckpoint
        do {
            checkpoint = try TorchCheckpoint(path: path)
        } catch {
            throw CheckpointConversionError(error)
        }
        let digest = try sha256(path: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return try convert(checkpoint, sourceName: name, sha256: digest, options: options)
    }

    /// Converts an opened checkpoint.
    public static func convert(
        _ checkpoint: TorchCheckpoint, sourceName: String, sha256: String, options: ConversionOptions
    ) throws(CheckpointConversionError) -> ConvertedCheckpoint {
        let stateDict: TorchStateDict
        do {
            stateDict = try checkpoint.stateDict()
        } catch {
            throw CheckpointConversionError(error)
        }
        let hasHead = stateDict.tensors[aggregatorPrefix + "conv1.weight"] != nil
        let architecture = options.architecture ?? (hasHead || stateDict.names.contains { $0.hasPrefix(clipPrefix) } ? nil : .clip)
        do {
            if architecture == .clip {
                return try plainCLIP(checkpoint, stateDict, sourceName: sourceName, sha256: sha256, options: options)
            }
            return try segmenter(checkpoint, stateDict, sourceName: sourceName, sha256: sha256, options: options)
        } catch {
            throw CheckpointConversionError(file: checkpoint.file, problem: error)
        }
    }

    static func isDropped(_ key: String, liveText: Bool) -> Bool {
        key.hasPrefix(teacherPrefix) || key.hasSuffix(".attn_mask") || key.contains(".rope.freqs_")
            || key.hasPrefix("rope.freqs_") || key == aggregatorPrefix + "memory.text"
            || (key.hasPrefix(aggregatorPrefix + "feature_fusion_layer.") && !liveText) || key.hasSuffix(".position_ids")
    }

    // MARK: - detectron2 SGSeg / CAT-Seg

    static func segmenter(
        _ checkpoint: TorchCheckpoint, _ stateDict: TorchStateDict, sourceName: String, sha256: String, options: ConversionOptions
    ) throws(ConversionProblem) -> ConvertedCheckpoint {
        let dropped = stateDict.names.filter { isDropped($0, liveText: options.liveText) }.sorted()
        let droppedSet = Set(dropped)
        var clip: [(String, TorchTensorReference, String)] = []  // (name, tensor, source name)
        var rest: [(String, TorchTensorReference)] = []
        for name in stateDict.names where !droppedSet.contains(name) {
            guard let tensor = stateDict.tensors[name] else { continue }
            if name.hasPrefix(clipPrefix) {
                let short = String(name.dropFirst(clipPrefix.count))
                clip.append((short, tensor, short))
            } else {
                rest.append((name, tensor))
            }
        }
        let clipNames = Set(clip.map(\.0))
        let backbone: String
        let naming: String
        if clipNames.contains("visual.blocks.0.attn.q_bias") {
            (backbone, naming) = ("eva02", "eva02")
        } else if clipNames.contains("vision_model.embeddings.patch_embedding.weight") {
            (backbone, naming) = ("openai", "hf")
        } else if clipNames.contains("visual.conv1.weight") {
            (backbone, naming) = ("openai", "openai")
            clip = try OpenAINames.toHuggingFace(clip.map { ($0.0, $0.1) }, prefix: clipPrefix)
        } else {
            throw .noCLIP("no CLIP found under '\(clipPrefix)' (expected EVA02, OpenAI or Hugging Face names)")
        }
        let unknown = rest.map(\.0).filter { !($0.hasPrefix(aggregatorPrefix) || $0.hasPrefix("upsample1.") || $0.hasPrefix("upsample2.")) }.sorted()
        if !unknown.isEmpty {
            throw .unknownTensor(key: unknown[0], reason: "outside the model layout (\(unknown.count) such tensors: \(unknown.prefix(8).joined(separator: ", ")))")
        }
        var all: [String: TorchTensorReference] = [:]
        for (name, tensor, _) in clip { all[clipPrefix + name] = tensor }
        for (name, tensor) in rest { all[name] = tensor }
        guard all[aggregatorPrefix + "conv1.weight"] != nil else {
            throw .noCLIP("no aggregator under '\(aggregatorPrefix)' (\(aggregatorPrefix)conv1.weight is missing)")
        }
        let memory = all[aggregatorPrefix + "memory.memory"]
        let architecture: ConversionArchitecture = memory != nil ? .sgseg : .catseg
        if let asked = options.architecture, asked != architecture {
            throw .architecture("the checkpoint is \(architecture.rawValue) (\(memory != nil ? "it has" : "it has no") \(aggregatorPrefix)memory.memory), not \(asked.rawValue)")
        }
        func shape(_ key: String) throws(ConversionProblem) -> [Int] {
            guard let tensor = all[clipPrefix + key] else { throw .missingTensor(key: clipPrefix + key) }
            return tensor.shape
        }
        let eva = backbone == "eva02"
        let patchWeight = try shape(eva ? "visual.patch_embed.proj.weight" : "vision_model.embeddings.patch_embedding.weight")
        let tokens = try shape(eva ? "visual.pos_embed" : "vision_model.embeddings.position_embedding.weight")
        let textEmbedding = try shape(eva ? "text.token_embedding.weight" : "text_model.embeddings.token_embedding.weight")
        guard patchWeight.count == 4, textEmbedding.count == 2, tokens.count == (eva ? 3 : 2) else {
            throw .unexpectedShape(key: clipPrefix + (eva ? "visual.patch_embed.proj.weight" : "vision_model.embeddings.patch_embedding.weight"),
                                   shape: patchWeight, expected: "a [width, 3, patch, patch] patch embedding")
        }
        let widths = (vision: patchWeight[0], text: textEmbedding[1])
        let patch = patchWeight[eva ? 2 : 3]
        let grid = Int((Double(tokens[eva ? 1 : 0] - 1)).squareRoot().rounded())
        let heads = try headCounts(vision: widths.vision, text: widths.text, options: options)
        let layers = options.guidanceLayers ?? (widths.vision == 768 ? [3, 7] : [7, 15])
        var classes = options.classes
        var note = ""
        if classes == nil, let memory, memory.shape.first == dlrsdClasses.count {
            classes = dlrsdClasses
            note = "; classes assumed = the release's DLRSD.json (17 memory rows)"
        }
        var metadata: [String: String] = [
            "format": "pt",
            CheckpointMetadataKey.version: "1",
            CheckpointMetadataKey.architecture: architecture.rawValue,
            CheckpointMetadataKey.backbone: backbone,
            CheckpointMetadataKey.dense: eva ? "csa+l2" : "catseg",
            CheckpointMetadataKey.bias: memory != nil ? "memory" : "none",
            CheckpointMetadataKey.CLIP.input: String(grid * patch),
            CheckpointMetadataKey.CLIP.guidanceLayers: PythonJSON.list(layers.map(String.init)),
            CheckpointMetadataKey.Aggregator.heads: String(options.aggregatorHeads ?? 4),
            CheckpointMetadataKey.Aggregator.window: String(options.aggregatorWindow ?? 12),
            CheckpointMetadataKey.Aggregator.padLength: String(options.padLength ?? 256),
            CheckpointMetadataKey.Aggregator.pooling: String(options.pooling),
            CheckpointMetadataKey.templates: PythonJSON.list([PythonJSON.string(defaultTemplate)]),
            CheckpointMetadataKey.Inference.mode: options.inference,
            CheckpointMetadataKey.Inference.outputResolution: "640",
            CheckpointMetadataKey.Inference.window: "384",
            CheckpointMetadataKey.Inference.stride: "256",
            CheckpointMetadataKey.source: "\(sourceName) sha256 \(sha256); converted by ovseg convert (\(architecture.rawValue), \(naming) CLIP names)\(note)",
            CheckpointMetadataKey.CLIP.visionHeads: String(heads.vision),
            CheckpointMetadataKey.CLIP.textHeads: String(heads.text),
        ]
        if eva {
            metadata[CheckpointMetadataKey.CLIP.ropePretrainedSequenceLength] = "16"
        } else {
            metadata[CheckpointMetadataKey.CLIP.hiddenActivation] = options.hiddenActivation ?? "quick_gelu"
        }
        if let classes { metadata[CheckpointMetadataKey.classes] = PythonJSON.list(classes.map(PythonJSON.string)) }
        if options.liveText { metadata[CheckpointMetadataKey.liveTextBias] = "true" }
        var tensors: [(name: String, source: TorchTensorReference, sourceKey: String)] = []
        for (name, tensor, source) in clip { tensors.append((clipPrefix + name, tensor, clipPrefix + source)) }
        for (name, tensor) in rest { tensors.append((name, tensor, name)) }
        return ConvertedCheckpoint(architecture: architecture, tensors: tensors, metadata: metadata, dropped: dropped, checkpoint: checkpoint)
    }

    static func headCounts(vision: Int, text: Int, options: ConversionOptions) throws(ConversionProblem) -> (vision: Int, text: Int) {
        func derived(_ tower: String, _ width: Int, _ given: Int?, _ setting: ConversionSetting) throws(ConversionProblem) -> Int {
            if let given {
                guard given > 0, width % given == 0 else {
                    throw .setting(setting, "\(given) \(tower) heads do not divide the \(tower) width \(width)")
                }
                return given
            }
            guard width >= 64, width % 64 == 0 else {
                throw .setting(setting, "\(tower) width \(width) is not a multiple of 64: the \(tower) head count cannot be derived; give it")
            }
            return width / 64
        }
        return (
            try derived("vision", vision, options.visionHeads, .visionHeads),
            try derived("text", text, options.textHeads, .textHeads)
        )
    }

    // MARK: - plain CLIP

    static func plainCLIP(
        _ checkpoint: TorchCheckpoint, _ stateDict: TorchStateDict, sourceName: String, sha256: String, options: ConversionOptions
    ) throws(ConversionProblem) -> ConvertedCheckpoint {
        let dropped = stateDict.names.filter { $0 == "attn_mask" || isDropped($0, liveText: false) }.sorted()
        let droppedSet = Set(dropped)
        var tensors: [(String, TorchTensorReference, String)] = []  // (name, tensor, source name)
        for name in stateDict.names where !droppedSet.contains(name) {
            if let tensor = stateDict.tensors[name] { tensors.append((name, tensor, name)) }
        }
        let names = Set(tensors.map(\.0))
        let naming: String
        if names.contains("visual.conv1.weight") || names.contains("token_embedding.weight") {
            naming = "openai"
            tensors = try OpenAINames.toHuggingFace(tensors.map { ($0.0, $0.1) }, prefix: "")
        } else if names.contains("vision_model.embeddings.patch_embedding.weight") || names.contains("text_model.embeddings.token_embedding.weight") {
            naming = "hf"
        } else {
            throw .noCLIP("no CLIP tensors (expected open_clip/OpenAI names such as visual.conv1.weight, or Hugging Face names)")
        }
        guard let activation = options.hiddenActivation else {
            throw .setting(
                .hiddenActivation,
                "a .pth does not record the CLIP's activation: give quick_gelu (OpenAI-trained weights) or gelu (LAION/OpenCLIP-trained weights)")
        }
        guard activation == "quick_gelu" || activation == "gelu" else {
            throw .setting(.hiddenActivation, "the activation must be quick_gelu or gelu, not '\(activation)'")
        }
        let byName = Dictionary(tensors.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        let visionWidth = byName["vision_model.embeddings.patch_embedding.weight"]?.shape.first
        let textWidth = byName["text_model.embeddings.token_embedding.weight"]?.shape.last
        var metadata = [
            "format": "pt",
            CheckpointMetadataKey.CLIP.hiddenActivation: activation,
            CheckpointMetadataKey.source: "\(sourceName) sha256 \(sha256); converted by ovseg convert (clip, \(naming) CLIP names)",
        ]
        let heads = try headCounts(vision: visionWidth ?? 64, text: textWidth ?? 64, options: options)
        if visionWidth != nil { metadata[CheckpointMetadataKey.CLIP.visionHeads] = String(heads.vision) }
        if textWidth != nil { metadata[CheckpointMetadataKey.CLIP.textHeads] = String(heads.text) }
        return ConvertedCheckpoint(
            architecture: .clip, tensors: tensors.map { ($0.0, $0.1, $0.2) }, metadata: metadata, dropped: dropped, checkpoint: checkpoint)
    }

    static func sha256(path: String) throws(CheckpointConversionError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CheckpointConversionError(file: path, problem: .cannotRead("cannot open for hashing"))
        }
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while true {
            let chunk: Data
            do {
                guard let next = try handle.read(upToCount: 1 << 22), !next.isEmpty else { break }
                chunk = next
            } catch {
                throw CheckpointConversionError(file: path, problem: .cannotRead("\(error)"))
            }
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return SHA256.hexString(hasher.finalize())
    }
}

/// Python's `json.dumps` text for the metadata lists (`", "` separators, ASCII escapes), so
/// the converter's metadata is byte for byte the reference exporter's.
enum PythonJSON {
    static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    static func string(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5c: out += "\\\\"
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0c: out += "\\f"
            case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }
}
