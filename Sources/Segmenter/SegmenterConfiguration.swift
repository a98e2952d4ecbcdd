import CLIP
import Foundation
import SafeTensors

/// How a checkpoint segments: which backbone and dense features, whether the scene bias
/// applies, the CLIP input size, guidance taps, prompts and the sliding-window geometry.
///
/// Read from the checkpoint's tensors (authoritative for the backbone and the bias) and
/// its `__metadata__` (`sgseg.*` keys); an unknown value is an error, never a guess.
public struct SegmenterConfiguration: Sendable, Equatable {
    /// Largest input, window or output size (pixels) a checkpoint's metadata may ask for.
    public static let largestSize = 4096

    public enum Backbone: String, Sendable, CaseIterable { case eva02, openai }
    public enum DenseMode: String, Sendable, CaseIterable {
        /// SGSeg: EVA02 clique-self-attention last block, final LN, head, L2 normalisation.
        case csaL2 = "csa+l2"
        /// CAT-Seg: the value path of the OpenAI CLIP's last block.
        case catseg
    }
    public enum Bias: String, Sendable, CaseIterable { case memory, none }
    public enum Inference: String, Sendable, CaseIterable { case sliding, whole }

    /// Key prefixes of the repository layout (docs/checkpoint-format.md §2).
    public static let clipPrefix = "sem_seg_head.predictor.clip_model."
    public static let headPrefix = "sem_seg_head.predictor.transformer."
    public static let frozenClipPrefix = "teacher_sem_seg_head.predictor.clip_model."

    public var architecture: String
    public var backbone: Backbone
    public var dense: DenseMode
    public var bias: Bias
    /// Side of the square CLIP input each window is resized to (336 for EVA02-L/14-336, 384 for
    /// CAT-Seg ViT-B/16); `nil` when the checkpoint does not say (derived from the tower).
    public var inputSize: Int?
    /// 0-based blocks whose outputs feed `upsample1` and `upsample2`.
    public var guidanceLayers: [Int]
    public var templates: [String]
    /// Training classes, when the checkpoint records them.
    public var trainingClasses: [String]?
    /// Shortest-edge resize the checkpoint declares for its test mapper (`nil`: not declared;
    /// see `SegmenterOptions.shortestEdge` for the default).
    public var shortestEdge: Int?
    public var maximumSize: Int
    /// Sliding window: the image is resized to `outputResolution²`, cut into `window²` tiles
    /// at `stride`, plus one global view.
    public var outputResolution: Int
    public var window: Int
    public var stride: Int
    /// Size divisibility for whole-image inference (padding with zeros after normalisation).
    public var sizeDivisibility: Int
    /// Inference-time frozen-encoder compensation weight α (paper-described variant, not in the
    /// released model); present only when the checkpoint carries a frozen encoder and declares α.
    public var frozenAlpha: Float?

    /// Reads the configuration of `file`.
    public static func read(_ file: SafeTensorsFile) throws(SegmenterError) -> SegmenterConfiguration {
        let meta = file.metadata
        let name = file.file
        func value<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(SegmenterError) -> T? where T.RawValue == String {
            guard let text = meta[key] else { return nil }
            guard let parsed = T(rawValue: text) else {
                throw SegmenterError(.checkpoint, "\(name): metadata \(key) = \"\(text)\" is not a known value")
            }
            return parsed
        }
        // Sizes in pixels are bounded before anything is allocated from them: the released models
        // use 384–640, and 4096² feature maps per class would already need gigabytes.
        func integer(_ key: String, atMost limit: Int = SegmenterConfiguration.largestSize) throws(SegmenterError) -> Int? {
            guard let text = meta[key] else { return nil }
            guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)), parsed > 0 else {
                throw SegmenterError(.checkpoint, "\(name): metadata \(key) = \"\(text)\" is not a positive integer")
            }
            guard parsed <= limit else {
                throw SegmenterError(.checkpoint, "\(name): metadata \(key) = \(parsed) is larger than \(limit), the largest size ovseg accepts")
            }
            return parsed
        }
        func jsonList(_ key: String) throws(SegmenterError) -> [Any]? {
            guard let text = meta[key] else { return nil }
            guard let data = text.data(using: .utf8),
                  let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                throw SegmenterError(.checkpoint, "\(name): metadata \(key) = \"\(text)\" is not a JSON list")
            }
            return list
        }

        let hasEVA = file.contains(clipPrefix + "visual.blocks.0.attn.q_bias")
        let hasOpenAI = file.contains(clipPrefix + "vision_model.encoder.layers.0.self_attn.q_proj.weight")
        guard file.contains(headPrefix + "conv1.weight") else {
            throw SegmenterError(.checkpoint, file: name,
                "\(name): no \(headPrefix)conv1.weight, so this is not an SGSeg/CAT-Seg checkpoint "
                    + "(a plain Hugging Face CLIP is segmented in the training-free mode)")
        }
        let detected: Backbone
        switch (hasEVA, hasOpenAI) {
        case (true, false): detected = .eva02
        case (false, true): detected = .openai
        case (true, true):
            throw SegmenterError(.checkpoint, "\(name): holds both an EVA02 and an OpenAI vision tower under \(clipPrefix)")
        case (false, false):
            throw SegmenterError(.checkpoint,
                "\(name): unsupported backbone: neither \(clipPrefix)visual.blocks.0.attn.q_bias (EVA02) nor "
                    + "\(clipPrefix)vision_model.encoder.layers.0.self_attn.q_proj.weight (OpenAI CLIP, HF names) is present")
        }
        if let declared = try value(CheckpointMetadataKey.backbone, Backbone.self), declared != detected {
            throw SegmenterError(.checkpoint,
                "\(name): metadata sgseg.backbone = \(declared.rawValue) but the tensors are an \(detected.rawValue) backbone")
        }
        let hasMemory = file.contains(headPrefix + "memory.memory")
        let bias = try value(CheckpointMetadataKey.bias, Bias.self) ?? (hasMemory ? .memory : .none)
        if bias == .memory && !hasMemory {
            throw SegmenterError(.checkpoint, "\(name): metadata sgseg.bias = memory but \(headPrefix)memory.memory is missing")
        }
        let dense = try value(CheckpointMetadataKey.dense, DenseMode.self) ?? (detected == .eva02 ? .csaL2 : .catseg)
        if (dense == .csaL2) != (detected == .eva02) {
            throw SegmenterError(.checkpoint, "\(name): dense mode \(dense.rawValue) is not available for the \(detected.rawValue) backbone")
        }
        let architecture = meta[CheckpointMetadataKey.architecture] ?? (bias == .memory ? "sgseg" : "catseg")
        guard ["sgseg", "catseg"].contains(architecture) else {
            throw SegmenterError(.checkpoint, "\(name): metadata sgseg.arch = \"\(architecture)\" is not sgseg or catseg")
        }

        var layers: [Int]? = nil
        if let list = try jsonList(CheckpointMetadataKey.CLIP.guidanceLayers) {
            let ints = list.compactMap { ($0 as? NSNumber)?.intValue }
            guard ints.count == 2, ints.count == list.count, ints.allSatisfy({ $0 >= 0 }) else {
                throw SegmenterError(.checkpoint, "\(name): metadata sgseg.clip.guidance_layers must list two block indices")
            }
            layers = ints
        }
        var templates = [CLIPPrompts.catSegTemplate]
        if let list = try jsonList(CheckpointMetadataKey.templates) {
            let strings = list.compactMap { $0 as? String }
            guard !strings.isEmpty, strings.count == list.count, strings.allSatisfy({ $0.contains("{}") }) else {
                throw SegmenterError(.checkpoint, "\(name): metadata sgseg.templates must be a non-empty list of strings containing {}")
            }
            templates = strings
        }
        let classes = try jsonList(CheckpointMetadataKey.classes)?.compactMap { $0 as? String }

        var shortestEdge: Int? = nil
        if let text = meta[CheckpointMetadataKey.Inference.shortestEdge], text != "none" {
            shortestEdge = try integer(CheckpointMetadataKey.Inference.shortestEdge)
        }
        var alpha: Float? = nil
        if let text = meta[CheckpointMetadataKey.frozenAlpha] {
            guard let parsed = Float(text), parsed.isFinite else {
                throw SegmenterError(.checkpoint, "\(name): metadata sgseg.frozen_alpha = \"\(text)\" is not a number")
            }
            alpha = parsed
        }
        let configuration = SegmenterConfiguration(
            architecture: architecture, backbone: detected, dense: dense, bias: bias,
            inputSize: try integer(CheckpointMetadataKey.CLIP.input),
            guidanceLayers: layers ?? [],
            templates: templates, trainingClasses: classes,
            shortestEdge: shortestEdge, maximumSize: try integer(CheckpointMetadataKey.Inference.maxSize, atMost: 4 * SegmenterConfiguration.largestSize) ?? 2560,
            outputResolution: try integer(CheckpointMetadataKey.Inference.outputResolution) ?? 640,
            window: try integer(CheckpointMetadataKey.Inference.window) ?? 384,
            stride: try integer(CheckpointMetadataKey.Inference.stride) ?? 256,
            sizeDivisibility: try integer(CheckpointMetadataKey.Inference.sizeDivisibility) ?? 32,
            frozenAlpha: alpha)
        guard configuration.window <= configuration.outputResolution else {
            throw SegmenterError(.checkpoint,
                "\(name): sliding window \(configuration.window) is larger than the output resolution \(configuration.outputResolution)")
        }
        return configuration
    }
}
