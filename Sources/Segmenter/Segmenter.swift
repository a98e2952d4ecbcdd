import CLIP
import CLIPTokenizer
import CostAggregation
import EVA02
import Foundation
import SafeTensors
import Tensor

/// Options chosen at run time rather than stored in the checkpoint.
public struct SegmenterOptions: Sendable, Equatable {
    /// Average-pooling size of the class aggregation (1 in the evaluation scripts, 2 in training-time eval).
    public var pooling: Int
    public var inference: SegmenterConfiguration.Inference
    /// Prompt templates; `nil` uses the checkpoint's (`A photo of a {} in the scene` by default).
    public var templates: [String]?
    /// Use the checkpoint's frozen encoder for inference-time compensation (paper-described
    /// variant, not in the released model). Requires `sgseg.frozen_alpha` and the frozen tower.
    public var frozenCompensation: Bool
    /// detectron2's test-time `ResizeShortestEdge` (PIL bilinear) before inference.
    public var shortestEdge: ShortestEdgeResize
    /// `false` runs an SGSeg checkpoint without its scene bias (ablation; the released model uses it).
    public var sceneBias: Bool
    /// Bias the text with the scene prototypes before the aggregation (paper-described variant the
    /// release computes and discards; needs `feature_fusion_layer.*`). Not in the released model.
    public var liveTextBias: Bool

    public init(
        pooling: Int = 1, inference: SegmenterConfiguration.Inference = .sliding, templates: [String]? = nil,
        frozenCompensation: Bool = false, shortestEdge: ShortestEdgeResize = .protocolDefault,
        sceneBias: Bool = true, liveTextBias: Bool = false
    ) {
        self.sceneBias = sceneBias
        self.liveTextBias = liveTextBias
        self.shortestEdge = shortestEdge
        self.pooling = pooling
        self.inference = inference
        self.templates = templates
        self.frozenCompensation = frozenCompensation
    }
}

/// Whether images are first resized so their shorter side has a given length.
public enum ShortestEdgeResize: Sendable, Equatable {
    /// What the checkpoint declares (`sgseg.inference.shortest_edge`), else 640 (max 2560) when it
    /// uses the released 640² sliding geometry, else no resize.
    case protocolDefault
    case none
    case size(Int)
}

/// The dense features a backbone gives one batch of windows.
public struct BackboneFeatures: Sendable {
    /// `[B, E, g, g]`, the cost-volume image features and appearance guidance.
    public var dense: Tensor
    /// Raw residual-stream patch tokens of the two guidance blocks, `[B, g·g, width]` each.
    public var taps: (Tensor, Tensor)
}

/// A CLIP tower pair as the segmenter uses it: EVA02 (SGSeg) or OpenAI in HF names (CAT-Seg).
public enum SegmenterBackbone: Sendable {
    /// `text` is nil for a vision-only frozen tower.
    case eva02(vision: EVA02VisionEncoder, text: EVA02TextEncoder?)
    case openai(vision: CLIPVisionEncoder, text: CLIPTextEncoder?)

    /// Loads the towers under `prefix` (`…clip_model.` or `…teacher…clip_model.`).
    static func load(
        file: SafeTensorsFile, prefix: String, backbone: SegmenterConfiguration.Backbone, needsText: Bool
    ) throws(SegmenterError) -> SegmenterBackbone {
        do {
            switch backbone {
            case .eva02:
                let vision = try EVA02VisionEncoder(file: file, prefix: prefix + "visual.")
                let hasText = file.contains(prefix + "text.token_embedding.weight")
                if needsText && !hasText {
                    throw SegmenterError(.checkpoint, file: file.file, "\(file.file): no EVA02 text tower (\(prefix)text.token_embedding.weight is missing)")
                }
                let text = hasText ? try EVA02TextEncoder(file: file, prefix: prefix + "text.") : nil
                return .eva02(vision: vision, text: text)
            case .openai:
                let model = try CLIPModel(file: file, prefix: prefix)
                guard let vision = model.vision else {
                    throw SegmenterError(.checkpoint, file: file.file, "\(file.file): no vision tower under \(prefix)vision_model.")
                }
                if needsText && model.text == nil {
                    throw SegmenterError(.checkpoint, file: file.file, "\(file.file): no text tower under \(prefix)text_model.")
                }
                return .openai(vision: vision, text: model.text)
            }
        } catch let error as SegmenterError {
            throw error
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    /// A frozen tower for drift measurements: the teacher copy inside an SGSeg checkpoint
    /// (`teacher_sem_seg_head.predictor.clip_model.`), else the towers under the usual prefix.
    public static func frozen(path: String, backbone: SegmenterConfiguration.Backbone) throws(SegmenterError) -> SegmenterBackbone {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(path: path)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
        let teacher = SegmenterConfiguration.frozenClipPrefix
        let marker = backbone == .eva02 ? "visual.blocks.0.attn.q_bias" : "vision_model.encoder.layers.0.self_attn.q_proj.weight"
        let prefix = file.contains(teacher + marker) ? teacher : SegmenterConfiguration.clipPrefix
        guard file.contains(prefix + marker) else {
            throw SegmenterError(.model,
                "\(path): no \(backbone.rawValue) vision tower under \(teacher) or \(SegmenterConfiguration.clipPrefix) "
                    + "(the frozen checkpoint must use the same backbone as the tuned one)")
        }
        return try load(file: file, prefix: prefix, backbone: backbone, needsText: false)
    }

    /// Input size the vision tower was built for.
    var nativeInputSize: Int {
        switch self {
        case .eva02(let vision, _): vision.configuration.imageSize
        case .openai(let vision, _): vision.configuration.nativeImageSize
        }
    }

    var depth: Int {
        switch self {
        case .eva02(let vision, _): vision.configuration.blocks
        case .openai(let vision, _): vision.configuration.layers
        }
    }

    /// Dense features and guidance taps for normalised pixels `[B, 3, S, S]`.
    public func features(_ pixels: Tensor, taps layers: [Int]) throws(SegmenterError) -> BackboneFeatures {
        do {
            switch self {
            case .eva02(let vision, _):
                let output = try vision.dense(pixels, taps: layers)
                guard let first = output.taps[layers[0]], let second = output.taps[layers[1]] else {
                    throw SegmenterError(.model, "the EVA02 tower returned no guidance taps for blocks \(layers)")
                }
                return BackboneFeatures(
                    dense: try Self.tokensToMap(output.dense, dropFirst: false),
                    taps: (first, second))
            case .openai(let vision, _):
                let request = CLIPVisionRequest(dense: .catSeg, hiddenStates: layers.map { $0 + 1 }, pooled: false)
                let output = try vision.encode(pixels, request: request)
                guard let dense = output.dense, let first = output.hiddenStates[layers[0] + 1],
                      let second = output.hiddenStates[layers[1] + 1] else {
                    throw SegmenterError(.model, "the CLIP tower returned no dense features or guidance taps for blocks \(layers)")
                }
                return BackboneFeatures(
                    dense: try Self.tokensToMap(dense, dropFirst: true),
                    taps: (try Self.dropClassToken(first), try Self.dropClassToken(second)))
            }
        } catch let error as SegmenterError {
            throw error
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    /// L2-normalised text embeddings `[T, E]`, one row per token row.
    func textEmbeddings(tokenRows: [[Int32]]) throws(SegmenterError) -> Tensor {
        do {
            switch self {
            case .eva02(_, let text?): return try text.normalizedEmbeddings(tokenRows: tokenRows)
            case .openai(_, let text?): return try text.normalizedEmbeddings(tokenRows: tokenRows)
            default: throw SegmenterError(.model, "this tower has no text encoder")
            }
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    /// `[B, N(+1), C]` tokens → `[B, C, g, g]` channel-first map (N must be a square).
    static func tokensToMap(_ tokens: Tensor, dropFirst: Bool) throws(SegmenterError) -> Tensor {
        guard tokens.rank == 3 else { throw SegmenterError(.model, "expected [B, tokens, C] features, got \(tokens.shape)") }
        let (b, n, c) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        let skip = dropFirst ? 1 : 0
        let patches = n - skip
        let grid = Int(Double(patches).squareRoot().rounded())
        guard grid * grid == patches else { throw SegmenterError(.model, "\(patches) patch tokens do not form a square grid") }
        var out = [Float](repeating: 0, count: b * c * patches)
        tokens.withUnsafeBufferPointer { source in
            for batch in 0..<b {
                for p in 0..<patches {
                    let row = (batch * n + p + skip) * c
                    for channel in 0..<c { out[(batch * c + channel) * patches + p] = source[row + channel] }
                }
            }
        }
        do {
            return try Tensor(shape: [b, c, grid, grid], scalars: out)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }

    static func dropClassToken(_ tokens: Tensor) throws(SegmenterError) -> Tensor {
        guard tokens.rank == 3, tokens.shape[1] > 1 else { throw SegmenterError(.model, "expected [B, 1 + N, C], got \(tokens.shape)") }
        let (b, n, c) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        var out = [Float]()
        out.reserveCapacity(b * (n - 1) * c)
        let scalars = tokens.scalars
        for batch in 0..<b { out += scalars[((batch * n + 1) * c)..<((batch + 1) * n * c)] }
        do {
            return try Tensor(shape: [b, n - 1, c], scalars: out)
        } catch {
            throw SegmenterError(.model, wrapping: error)
        }
    }
}
