import CLIP
import SafeTensors
import Tensor

/// Sizes of an EVA02 text tower, derived from tensor shapes plus the head count.
public struct EVA02TextConfiguration: Sendable, Equatable {
    public var vocabularySize: Int
    /// Positions of `positional_embedding` (77).
    public var contextLength: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpHidden: Int
    /// Output size of `text_projection` (768 for EVA02-L).
    public var embedDimension: Int
    /// PyTorch's default LayerNorm eps (docs/sgseg-released.md §6.2).
    public var layerNormEpsilon: Float = 1e-5
}

/// EVA02-CLIP text tower (OpenCLIP `TextTransformer`, docs/sgseg-released.md §6.2):
/// token + positional embeddings, causal pre-LN blocks with packed
/// `in_proj` attention and an exact-GELU MLP, `ln_final`, pooling at
/// `argmax(ids)` (the end-of-text token has the largest id), then `x·P`.
///
/// The maths is CLIP's text tower under other key names, so it runs on
/// `CLIPTextEncoder` (one GEMM per projection over all rows, and thanks to the
/// causal mask only up to the longest end-of-text of the batch). The stored
/// `text_projection [width, E]` is used as `x·P`, i.e. transposed once at load.
public struct EVA02TextEncoder: Sendable {
    /// Key prefix of the tower inside an SGSeg checkpoint.
    public static let checkpointPrefix = "sem_seg_head.predictor.clip_model.text."

    public let configuration: EVA02TextConfiguration
    let core: CLIPTextEncoder

    /// Reads the tower under `prefix` from `file`. Heads come from `heads`,
    /// else `__metadata__["sgseg.clip.text_heads"]`, else width / 64. The
    /// derived `attn_mask` buffer, if a file has one, is not read (the mask
    /// is causal by construction). A missing or misshapen tensor is an error
    /// naming its key and both shapes.
    public init(file: SafeTensorsFile, prefix: String = EVA02TextEncoder.checkpointPrefix, heads: Int? = nil) throws(EVA02Error) {
        let p = prefix
        do {
            let tokens = try file.entry(p + "token_embedding.weight")
            guard tokens.shape.count == 2, tokens.shape[0] > 0, tokens.shape[1] > 0 else {
                throw EVA02Error.unsupportedConfiguration("\(tokens.name) has shape \(tokens.shape), expected [vocab, width]")
            }
            let (vocabulary, width) = (tokens.shape[0], tokens.shape[1])
            let positions = try file.entry(p + "positional_embedding")
            guard positions.shape.count == 2, positions.shape[0] > 0, positions.shape[1] == width else {
                throw EVA02Error.unsupportedConfiguration("\(positions.name) has shape \(positions.shape), expected [context, \(width)]")
            }
            let blockPrefix = p + "transformer.resblocks."
            var layerCount = 0
            while file.contains(blockPrefix + "\(layerCount).ln_1.weight") { layerCount += 1 }
            guard layerCount > 0 else { throw EVA02Error.unsupportedConfiguration("no '\(blockPrefix)0.*' tensors") }
            let fc = try file.entry(blockPrefix + "0.mlp.c_fc.weight")
            guard fc.shape.count == 2, fc.shape[0] > 0, fc.shape[1] == width else {
                throw EVA02Error.unsupportedConfiguration("\(fc.name) has shape \(fc.shape), expected [M, \(width)]")
            }
            let projectionEntry = try file.entry(p + "text_projection")
            guard projectionEntry.shape.count == 2, projectionEntry.shape[0] == width, projectionEntry.shape[1] > 0 else {
                throw EVA02Error.unsupportedConfiguration(
                    "\(projectionEntry.name) has shape \(projectionEntry.shape), expected [\(width), E] (used as x·P)")
            }
            let headCount = try resolveHeads(heads, file: file, key: CheckpointMetadataKey.CLIP.textHeads, width: width, tower: "text")
            let mlp = fc.shape[0], embed = projectionEntry.shape[1]
            configuration = EVA02TextConfiguration(
                vocabularySize: vocabulary, contextLength: positions.shape[0], width: width, layers: layerCount,
                heads: headCount, mlpHidden: mlp, embedDimension: embed)

            func pair(_ key: String, _ shape: [Int]) throws -> (weight: Tensor, bias: Tensor) {
                (try file.tensor(key + ".weight", shape: shape), try file.tensor(key + ".bias", shape: [shape[0]]))
            }
            var layers: [CLIPEncoderLayer] = []
            for index in 0..<layerCount {
                let b = blockPrefix + "\(index)."
                layers.append(CLIPEncoderLayer(
                    layerNorm1: try pair(b + "ln_1", [width]),
                    qkv: (try file.tensor(b + "attn.in_proj_weight", shape: [3 * width, width]),
                          try file.tensor(b + "attn.in_proj_bias", shape: [3 * width])),
                    output: try pair(b + "attn.out_proj", [width, width]),
                    layerNorm2: try pair(b + "ln_2", [width]),
                    fc1: try pair(b + "mlp.c_fc", [mlp, width]),
                    fc2: try pair(b + "mlp.c_proj", [width, mlp])))
            }
            let stored = try file.tensor(projectionEntry.name)
            var transposed = try Tensor(shape: [embed, width])
            stored.withUnsafeBufferPointer { src in
                transposed.withUnsafeMutableBufferPointer { dst in
                    for row in 0..<width {
                        for column in 0..<embed { dst[column * width + row] = src[row * embed + column] }
                    }
                }
            }
            core = CLIPTextEncoder(
                heads: headCount, activation: .gelu, layerNormEpsilon: configuration.layerNormEpsilon,
                tokenEmbedding: try file.tensor(tokens.name), positionEmbedding: try file.tensor(positions.name),
                layers: layers, finalLayerNorm: try pair(p + "ln_final", [width]), projection: transposed)
        } catch {
            throw EVA02Error.loading(error)
        }
    }

    /// Unnormalised text embeddings `[T, E]` for token-id rows of equal
    /// length ≤ `contextLength` (e.g. the 77 ids of `CLIPTokenizer.tokenize`),
    /// each pooled at its first largest id.
    public func encode(tokenRows: [[Int32]]) throws(EVA02Error) -> Tensor {
        let output: Tensor?
        do { output = try core.pooledEmbeddings(tokenRows: tokenRows).embeddings } catch { throw EVA02Error.fromCLIP(error) }
        guard let embeddings = output else {
            throw .unsupportedConfiguration("the text tower has no projection")
        }
        return embeddings
    }

    /// L2-normalised text embeddings `[T, E]` (what the cost volume uses).
    public func normalizedEmbeddings(tokenRows: [[Int32]]) throws(EVA02Error) -> Tensor {
        let embeddings = try encode(tokenRows: tokenRows)
        do { return try embeddings.l2Normalized() } catch { throw .computation(error) }
    }
}
