import SafeTensors
import Tensor

/// Where the scene bias of the guidance comes from.
public enum SceneBiasKind: String, Sendable, Equatable {
    /// SGSeg: a constant vector from the prototype memory (`memory.*`), added
    /// to the appearance guidance and, through `projection1/2`, to the two
    /// decoder guidances.
    case memory
    /// CAT-Seg: no bias (the three guidances are used as they come).
    case none
}

/// Sizes and options of a cost-aggregation head, read from tensor shapes and
/// the checkpoint's `__metadata__` (what shapes cannot tell: heads, window,
/// class padding length).
public struct CostAggregationConfiguration: Sendable, Equatable {
    /// Embedding width `E` of the dense map and the text (768 for EVA02-L).
    public var embedDim: Int
    /// Templates per class `P` (`conv1` input channels).
    public var prompts: Int
    /// Aggregation width (128).
    public var hidden: Int
    /// Heads of the Swin and class attention (`sgseg.aggregator.heads`, default 4).
    public var heads: Int
    /// Swin window (`sgseg.aggregator.window`, default 12).
    public var window: Int
    /// Number of aggregator layers (from the `layers.{i}` keys).
    public var layers: Int
    /// The class axis is padded to, or pruned to, this length
    /// (`sgseg.aggregator.pad_len`, default 256; 0 disables both).
    public var padLength: Int
    /// Projected appearance guidance width (`guidance_projection`).
    public var appearanceGuidance: Int
    /// Projected text guidance width (`text_guidance_projection`).
    public var textGuidance: Int
    /// Output widths of the two decoder stages (64, 32).
    public var decoderDims: [Int]
    /// Widths of res4/res5 (256, 128), the `upsample1/2` outputs.
    public var decoderGuidanceDims: [Int]
    /// Projected decoder guidance widths (32, 16).
    public var decoderGuidanceProjectionDims: [Int]
    /// Width of the backbone tokens the two guidance taps carry (`upsample1/2` input).
    public var tapWidth: Int
    /// Scene-bias source.
    public var bias: SceneBiasKind
    /// Rows of the prototype memory (0 without bias).
    public var memoryRows: Int
    /// Whether the paper-described live text bias (not in the released model) is on.
    public var liveTextBias: Bool
}

/// Reads prefixed tensors, mapping loader errors to `CostAggregationError`.
struct WeightReader {
    let file: SafeTensorsFile
    let prefix: String

    func contains(_ key: String) -> Bool { file.contains(prefix + key) }

    func shape(_ key: String) throws(CostAggregationError) -> [Int] {
        do { return try file.entry(prefix + key).shape } catch { throw .checkpoint(error) }
    }

    func tensor(_ key: String, _ shape: [Int]) throws(CostAggregationError) -> Tensor {
        do { return try file.tensor(prefix + key, shape: shape) } catch { throw .checkpoint(error) }
    }

    func scalars(_ key: String, _ shape: [Int]) throws(CostAggregationError) -> [Float] {
        try tensor(key, shape).scalars
    }

    /// The shape of `key`, which must have `rank` dimensions (and square
    /// trailing kernel dimensions when `squareKernel`).
    func shape(_ key: String, rank: Int, squareKernel: Bool = false) throws(CostAggregationError) -> [Int] {
        let s = try shape(key)
        guard s.count == rank, !squareKernel || s[rank - 1] == s[rank - 2], s.allSatisfy({ $0 > 0 }) else {
            throw .unsupportedConfiguration("\(file.file): tensor '\(prefix + key)' has shape \(s), expected rank \(rank)\(squareKernel ? " with a square kernel" : "") and no empty dimension")
        }
        return s
    }
}

extension CostAggregationConfiguration {
    /// Derives the configuration from the checkpoint: sizes from shapes,
    /// heads/window/pad_len/bias from metadata (defaults of the real model
    /// when absent).
    static func read(
        from reader: WeightReader, upsample: WeightReader, liveTextBias: Bool, sceneBias: Bool = true
    ) throws(CostAggregationError) -> CostAggregationConfiguration {
        let metadata = reader.file.metadata
        func integer(_ key: String, default value: Int, minimum: Int) throws(CostAggregationError) -> Int {
            guard let text = metadata[key] else { return value }
            guard let parsed = Int(text), parsed >= minimum else {
                throw .invalidMetadata(key: key, value: text, expected: "an integer ≥ \(minimum)")
            }
            return parsed
        }
        let heads = try integer(CheckpointMetadataKey.Aggregator.heads, default: 4, minimum: 1)
        let window = try integer(CheckpointMetadataKey.Aggregator.window, default: 12, minimum: 1)
        let padLength = try integer(CheckpointMetadataKey.Aggregator.padLength, default: 256, minimum: 0)

        let conv1 = try reader.shape("conv1.weight", rank: 4, squareKernel: true)
        let (hidden, prompts) = (conv1[0], conv1[1])
        guard conv1[2] == 7 else {
            throw .unsupportedConfiguration("conv1.weight has shape \(conv1), expected a 7×7 kernel")
        }
        let appearance = try reader.shape("guidance_projection.0.weight", rank: 4, squareKernel: true)
        let embedDim = appearance[1]
        let text = try reader.shape("text_guidance_projection.0.weight", rank: 2)
        guard text[1] == embedDim else {
            throw .unsupportedConfiguration("text_guidance_projection.0.weight \(text) does not take the \(embedDim)-wide embeddings of guidance_projection.0.weight \(appearance)")
        }
        let guidance0 = try reader.shape("decoder_guidance_projection.0.0.weight", rank: 4, squareKernel: true)
        let guidance1 = try reader.shape("decoder_guidance_projection.1.0.weight", rank: 4, squareKernel: true)
        let decoder0 = try reader.shape("decoder1.conv.double_conv.0.weight", rank: 4, squareKernel: true)
        let decoder1 = try reader.shape("decoder2.conv.double_conv.0.weight", rank: 4, squareKernel: true)
        let up1 = try upsample.shape("upsample1.weight", rank: 4, squareKernel: true)

        var layers = 0
        while reader.contains("layers.\(layers).swin_block.block_1.norm1.weight") { layers += 1 }
        guard layers > 0 else {
            throw .checkpoint(SafeTensorsError(file: reader.file.file, problem: .missingTensor(
                key: reader.prefix + "layers.0.swin_block.block_1.norm1.weight", available: reader.file.names.count)))
        }
        guard hidden % heads == 0 else {
            throw .unsupportedConfiguration("hidden width \(hidden) (conv1.weight) is not divisible by \(heads) heads (\(CheckpointMetadataKey.Aggregator.heads))")
        }

        var bias: SceneBiasKind
        if let declared = metadata[CheckpointMetadataKey.bias] {
            guard let kind = SceneBiasKind(rawValue: declared) else {
                throw .invalidMetadata(key: CheckpointMetadataKey.bias, value: declared, expected: "\"memory\" or \"none\"")
            }
            bias = kind
        } else {
            bias = reader.contains("memory.memory") || reader.contains("projection1.0.weight") ? .memory : .none
        }
        if !sceneBias && bias == .memory {
            // Ablation: the SGSeg weights run as a CAT-Seg head, the memory and projections unused.
            bias = .none
        }
        var memoryRows = 0
        if bias == .memory {
            let memory = try reader.shape("memory.memory", rank: 3)
            guard memory[1] == 1, memory[2] == embedDim else {
                throw .unsupportedConfiguration("memory.memory has shape \(memory), expected [K, 1, \(embedDim)]")
            }
            memoryRows = memory[0]
        }
        if liveTextBias && bias != .memory {
            throw .unsupportedConfiguration(
                sceneBias ? "the live text bias needs the prototype memory (bias = memory)"
                    : "the live text bias needs the scene bias, which was switched off")
        }
        return CostAggregationConfiguration(
            embedDim: embedDim, prompts: prompts, hidden: hidden, heads: heads, window: window, layers: layers,
            padLength: padLength, appearanceGuidance: appearance[0], textGuidance: text[0],
            decoderDims: [decoder0[0], decoder1[0]], decoderGuidanceDims: [guidance0[1], guidance1[1]],
            decoderGuidanceProjectionDims: [guidance0[0], guidance1[0]], tapWidth: up1[0], bias: bias,
            memoryRows: memoryRows, liveTextBias: liveTextBias)
    }
}
