/// The `__metadata__` keys of ovseg's checkpoint layout, in one place: every Swift loader and
/// `ovseg convert` use these names, and docs/checkpoint-format.md §3 (which the Python exporter
/// cites too) says what each holds, who writes it and its default.
public enum CheckpointMetadataKey {
    /// Layout version of the file.
    public static let version = "sgseg.version"
    /// Where the file was converted from (path and SHA-256).
    public static let source = "sgseg.source"
    /// `sgseg` or `catseg`: which head the checkpoint holds; plain CLIP checkpoints have none.
    public static let architecture = "sgseg.arch"
    /// `eva02` or `openai`.
    public static let backbone = "sgseg.backbone"
    /// `memory` (SGSeg's scene bias) or `none`.
    public static let bias = "sgseg.bias"
    /// The dense-feature mode of the backbone.
    public static let dense = "sgseg.dense"
    /// JSON list of the training classes.
    public static let classes = "sgseg.classes"
    /// JSON list of prompt templates.
    public static let templates = "sgseg.templates"
    /// Weight of the frozen-compensation variant.
    public static let frozenAlpha = "sgseg.frozen_alpha"
    /// Whether the live text-bias tensors are present.
    public static let liveTextBias = "sgseg.live_text_bias"

    /// The CLIP towers.
    public enum CLIP {
        public static let input = "sgseg.clip.input"
        public static let guidanceLayers = "sgseg.clip.guidance_layers"
        public static let visionHeads = "sgseg.clip.vision_heads"
        public static let textHeads = "sgseg.clip.text_heads"
        /// `quick_gelu` or `gelu`.
        public static let hiddenActivation = "sgseg.clip.hidden_act"
        public static let ropePretrainedSequenceLength = "sgseg.clip.rope_pt_seq_len"
    }

    /// The cost-aggregation head.
    public enum Aggregator {
        public static let heads = "sgseg.aggregator.heads"
        public static let window = "sgseg.aggregator.window"
        public static let padLength = "sgseg.aggregator.pad_len"
        public static let pooling = "sgseg.aggregator.pooling"
    }

    /// The evaluation protocol.
    public enum Inference {
        public static let mode = "sgseg.inference"
        public static let shortestEdge = "sgseg.inference.shortest_edge"
        public static let maxSize = "sgseg.inference.max_size"
        public static let outputResolution = "sgseg.inference.out_res"
        public static let window = "sgseg.inference.window"
        public static let stride = "sgseg.inference.stride"
        public static let sizeDivisibility = "sgseg.inference.size_divisibility"
    }

    /// Every key above, for checks that a file's metadata holds only known `sgseg.*` keys.
    public static let all: [String] = [
        version, source, architecture, backbone, bias, dense, classes, templates, frozenAlpha, liveTextBias,
        CLIP.input, CLIP.guidanceLayers, CLIP.visionHeads, CLIP.textHeads, CLIP.hiddenActivation,
        CLIP.ropePretrainedSequenceLength, Aggregator.heads, Aggregator.window, Aggregator.padLength,
        Aggregator.pooling, Inference.mode, Inference.shortestEdge, Inference.maxSize, Inference.outputResolution,
        Inference.window, Inference.stride, Inference.sizeDivisibility,
    ]
}
