import Foundation
import SafeTensors
import Tensor

/// Activation of the transformer MLPs.
public enum CLIPActivation: String, Sendable {
    /// `x·σ(1.702x)`, OpenAI CLIP weights (HF `quick_gelu`).
    case quickGELU = "quick_gelu"
    /// Exact erf GELU, OpenCLIP/LAION weights (HF `gelu`).
    case gelu = "gelu"
}

/// Why a CLIP encoder could not be built or run.
public enum CLIPError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A tensor is missing or malformed in the checkpoint (the key is named).
    case checkpoint(SafeTensorsError)
    /// The checkpoint's shapes do not form a supported CLIP tower.
    case unsupportedConfiguration(String)
    /// A `config.json` is unreadable, unsupported or contradicts the tensors
    /// (the file and the key are named; `key` is empty for the whole file).
    case configuration(file: String, key: String, detail: String)
    /// The input (token ids, images) does not fit the model.
    case invalidInput(String)
    /// A tensor operation failed (shape detail included).
    case computation(TensorError)

    /// Maps any error raised while loading a tower to the error this module reports.
    static func loading(_ error: any Error) -> CLIPError {
        switch error {
        case let error as SafeTensorsError: .checkpoint(error)
        case let error as CLIPError: error
        default: .unsupportedConfiguration("\(error)")
        }
    }

    public var description: String {
        switch self {
        case .checkpoint(let error): return error.description
        case .unsupportedConfiguration(let detail): return "unsupported CLIP configuration: \(detail)"
        case .configuration(let file, let key, let detail):
            return key.isEmpty ? "\(file): \(detail)" : "\(file): \(key) \(detail)"
        case .invalidInput(let detail): return "invalid CLIP input: \(detail)"
        case .computation(let error): return "CLIP computation failed: \(error.description)"
        }
    }
}

/// Sizes of a CLIP text tower, derived from tensor shapes (never from the
/// legacy `config.json` ids), plus what shapes cannot tell: the head count and
/// activation.
public struct CLIPTextConfiguration: Sendable, Equatable {
    public var vocabularySize: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    /// Output size of `text_projection` (nil if the checkpoint has none).
    public var projectionSize: Int?
    public var activation: CLIPActivation
    public var layerNormEpsilon: Float = 1e-5
}

/// Options for reading a text tower from a checkpoint.
public struct CLIPTextLoadOptions: Sendable {
    /// Key prefix before `text_model.` (e.g. `"frozen."`), empty for an HF file.
    public var prefix: String
    /// Attention heads; nil = from `configuration`, else
    /// `__metadata__["sgseg.clip.text_heads"]`, else width / 64 for an OpenAI
    /// shape (`CLIPVariant`).
    public var heads: Int?
    /// Activation; nil = from `configuration`, else
    /// `__metadata__["sgseg.clip.hidden_act"]`, else QuickGELU for an OpenAI
    /// shape, else an error (docs/checkpoint-format.md §6).
    public var activation: CLIPActivation?
    /// The tower's `config.json` settings, checked against the shapes.
    public var configuration: CLIPTowerSettings?

    public init(prefix: String = "", heads: Int? = nil, activation: CLIPActivation? = nil,
                configuration: CLIPTowerSettings? = nil) {
        self.prefix = prefix
        self.heads = heads
        self.activation = activation
        self.configuration = configuration
    }
}

/// Weights of one pre-LN transformer block (HF `CLIPEncoderLayer`).
///
/// The query, key and value projections are stacked at load time into one
/// `[3D, D]` matrix (the layout of OpenAI's `in_proj_weight`), so the three
/// projections are a single GEMM and attention reads the heads in place.
/// Package-visible so that towers with other key names (EVA02's OpenCLIP text
/// tower) reuse the block.
package struct CLIPEncoderLayer: Sendable {
    var layerNorm1: (weight: Tensor, bias: Tensor)
    /// `q_proj | k_proj | v_proj` stacked: weight `[3D, D]`, bias `[3D]`.
    var qkv: (weight: Tensor, bias: Tensor)
    var output: (weight: Tensor, bias: Tensor)
    var layerNorm2: (weight: Tensor, bias: Tensor)
    var fc1: (weight: Tensor, bias: Tensor)
    var fc2: (weight: Tensor, bias: Tensor)

    /// A block from weights whose shapes the caller has checked (`qkv` is
    /// `[3D, D]`/`[3D]`, `output` `[D, D]`, `fc1` `[I, D]`, `fc2` `[D, I]`).
    package init(
        layerNorm1: (weight: Tensor, bias: Tensor), qkv: (weight: Tensor, bias: Tensor),
        output: (weight: Tensor, bias: Tensor), layerNorm2: (weight: Tensor, bias: Tensor),
        fc1: (weight: Tensor, bias: Tensor), fc2: (weight: Tensor, bias: Tensor)
    ) {
        self.layerNorm1 = layerNorm1
        self.qkv = qkv
        self.output = output
        self.layerNorm2 = layerNorm2
        self.fc1 = fc1
        self.fc2 = fc2
    }

    /// The optional `[E, width]` projection at `key` (absent in towers saved without one).
    static func loadProjection(_ file: SafeTensorsFile, key: String, width: Int) throws -> Tensor? {
        guard file.contains(key) else { return nil }
        let entry = try file.entry(key)
        guard entry.shape.count == 2, entry.shape[1] == width else {
            throw CLIPError.unsupportedConfiguration("\(key) has shape \(entry.shape), expected [E, \(width)]")
        }
        return try file.tensor(key)
    }

    /// The `count` layers under `<prefix>encoder.layers.<i>.`, shared by the text and vision towers.
    static func loadStack(
        _ file: SafeTensorsFile, prefix p: String, count: Int, width: Int, intermediate: Int
    ) throws(SafeTensorsError) -> [CLIPEncoderLayer] {
        var layers: [CLIPEncoderLayer] = []
        for index in 0..<count {
            layers.append(try load(file, prefix: p + "encoder.layers.\(index).", width: width, intermediate: intermediate))
        }
        return layers
    }

    static func load(_ file: SafeTensorsFile, prefix p: String, width: Int, intermediate: Int) throws(SafeTensorsError) -> CLIPEncoderLayer {
        func pair(_ name: String, _ shape: [Int]) throws(SafeTensorsError) -> (weight: Tensor, bias: Tensor) {
            (try file.tensor(p + name + ".weight", shape: shape), try file.tensor(p + name + ".bias", shape: [shape[0]]))
        }
        let q = try pair("self_attn.q_proj", [width, width])
        let k = try pair("self_attn.k_proj", [width, width])
        let v = try pair("self_attn.v_proj", [width, width])
        let stacked: (weight: Tensor, bias: Tensor)
        do {
            stacked = (try Tensor(shape: [3 * width, width], scalars: q.weight.scalars + k.weight.scalars + v.weight.scalars),
                       try Tensor(shape: [3 * width], scalars: q.bias.scalars + k.bias.scalars + v.bias.scalars))
        } catch {
            throw SafeTensorsError(file: file.file, problem: .invalidEntry(key: p + "self_attn.q_proj.weight", reason: error.description))
        }
        return CLIPEncoderLayer(
            layerNorm1: try pair("layer_norm1", [width]),
            qkv: stacked,
            output: try pair("self_attn.out_proj", [width, width]),
            layerNorm2: try pair("layer_norm2", [width]),
            fc1: try pair("mlp.fc1", [intermediate, width]),
            fc2: try pair("mlp.fc2", [width, intermediate]))
    }

    /// The `v_proj` rows of the stacked projection (for value-only paths).
    func valueProjection() throws(TensorError) -> (weight: Tensor, bias: Tensor) {
        let d = qkv.weight.shape[1]
        return (try Tensor(shape: [d, d], scalars: Array(qkv.weight.scalars[(2 * d * d)..<(3 * d * d)])),
                try Tensor(shape: [d], scalars: Array(qkv.bias.scalars[(2 * d)..<(3 * d)])))
    }

    /// `h + out_proj(MHA(LN1(h)))`, then `h + fc2(act(fc1(LN2(h))))`.
    func callAsFunction(_ h: Tensor, heads: Int, causal: Bool, activation: CLIPActivation, epsilon: Float) throws(TensorError) -> Tensor {
        let normed1 = try h.layerNorm(weight: layerNorm1.weight, bias: layerNorm1.bias, epsilon: epsilon)
        let projected = try Tensor.linear(normed1, weight: qkv.weight, bias: qkv.bias)
        let mixed = try Tensor.packedSelfAttention(projected, heads: heads, causal: causal)
        let h1 = try Tensor.linear(mixed, weight: output.weight, bias: output.bias, adding: h)
        return try residualMLP(h1, activation: activation, epsilon: epsilon)
    }

    /// `z + fc2(act(fc1(LN2(z))))`: the block's MLP with its skip connection.
    func residualMLP(_ z: Tensor, activation: CLIPActivation, epsilon: Float) throws(TensorError) -> Tensor {
        let normed = try z.layerNorm(weight: layerNorm2.weight, bias: layerNorm2.bias, epsilon: epsilon)
        let hidden = try Tensor.linear(normed, weight: fc1.weight, bias: fc1.bias)
        let activated = activation == .gelu ? hidden.gelu() : hidden.quickGELU()
        return try Tensor.linear(activated, weight: fc2.weight, bias: fc2.bias, adding: z)
    }
}

extension CLIPEncoderLayer {
    /// The block's output at one row per batch entry, `[B, 1, D]`: row
    /// `rows[b]` of `h [B, T, D]`, which attends to rows `0..<keyCounts[b]`.
    /// All rows feed the keys and values; only the selected ones go through
    /// the output projection and the MLP (all a pooled output needs from the
    /// last layer).
    func outputRows(
        _ h: Tensor, rows: [Int], keyCounts: [Int], heads: Int, activation: CLIPActivation, epsilon: Float
    ) throws(TensorError) -> Tensor {
        let normed1 = try h.layerNorm(weight: layerNorm1.weight, bias: layerNorm1.bias, epsilon: epsilon)
        let projected = try Tensor.linear(normed1, weight: qkv.weight, bias: qkv.bias)
        let mixed = try Tensor.packedSelfAttention(projected, heads: heads, queryRows: rows, keyCounts: keyCounts)
        let skip = try h.row(at: rows).reshaped([rows.count, 1, h.shape[2]])
        let h1 = try Tensor.linear(mixed, weight: output.weight, bias: output.bias, adding: skip)
        return try residualMLP(h1, activation: activation, epsilon: epsilon)
    }
}

extension Tensor {
    /// Row `rows[b]` of each entry `b` of `[B, T, D]`: `[B, D]` (the class
    /// token or end-of-text row that a pooled output reads).
    func row(at rows: [Int]) throws(TensorError) -> Tensor {
        guard rank == 3, rows.count == shape[0], rows.allSatisfy({ (0..<shape[1]).contains($0) }) else {
            throw .shapeMismatch(operation: "row selection", detail: "rows \(rows) of \(shape)")
        }
        let (tokens, d) = (shape[1], shape[2])
        var values: [Float] = []
        values.reserveCapacity(rows.count * d)
        for (entry, row) in rows.enumerated() {
            let start = (entry * tokens + row) * d
            values += scalars[start..<(start + d)]
        }
        return try Tensor(shape: [rows.count, d], scalars: values)
    }
}

/// Output of `CLIPTextEncoder.encode`.
public struct CLIPTextOutput: Sendable {
    /// `final_layer_norm` of every position up to the longest end-of-text in
    /// the batch: `[B, S, width]` with `S = max(eot) + 1` (positions after a
    /// row's own EOT are computed but meaningless).
    public var lastHidden: Tensor
    /// The row of `lastHidden` at each sequence's end-of-text: `[B, width]`.
    public var pooled: Tensor
    /// `pooled · text_projectionᵀ`, not normalised: `[B, projection]` (nil
    /// without a projection).
    public var embeddings: Tensor?
    /// Encoder input and each layer's output, `[B, S, width]`, if requested
    /// (HF `hidden_states` truncated to S positions).
    public var hiddenStates: [Tensor]
    /// End-of-text position of each row.
    public var endOfTextIndices: [Int]
}

/// CLIP's text tower in Hugging Face naming (docs/segmentation-core.md §2.2, §2.5):
/// token + position embeddings, causal pre-LN transformer, final LayerNorm,
/// pooling at the end-of-text token, projection.
///
/// Pooling uses the first position of the largest id in each row — OpenAI's
/// `argmax(ids)`, which is the first 49407 for real CLIP vocabularies (and the
/// first `vocab − 1` for test models whose EOT is the last id). Thanks to the
/// causal mask the transformer only runs up to the longest EOT of the batch,
/// and zero or EOT padding give the same result. Every projection is one GEMM
/// over all `B·S` tokens.
public struct CLIPTextEncoder: Sendable {
    public let configuration: CLIPTextConfiguration
    let tokenEmbedding: Tensor
    let positionEmbedding: Tensor
    let layers: [CLIPEncoderLayer]
    let finalLayerNorm: (weight: Tensor, bias: Tensor)
    let projection: Tensor?

    /// Assembles a tower from weights read under other key names (EVA02's
    /// OpenCLIP text tower), sizes taken from the shapes the caller checked:
    /// `tokenEmbedding [vocab, D]`, `positionEmbedding [positions, D]`,
    /// `projection [E, D]` (used as `x·projectionᵀ`).
    package init(
        heads: Int, activation: CLIPActivation, layerNormEpsilon: Float, tokenEmbedding: Tensor,
        positionEmbedding: Tensor, layers: [CLIPEncoderLayer], finalLayerNorm: (weight: Tensor, bias: Tensor),
        projection: Tensor?
    ) {
        configuration = CLIPTextConfiguration(
            vocabularySize: tokenEmbedding.shape[0], width: tokenEmbedding.shape[1], layers: layers.count, heads: heads,
            intermediateSize: layers.first?.fc1.weight.shape[0] ?? 0, maxPositions: positionEmbedding.shape[0],
            projectionSize: projection?.shape[0], activation: activation, layerNormEpsilon: layerNormEpsilon)
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.layers = layers
        self.finalLayerNorm = finalLayerNorm
        self.projection = projection
    }

    /// Reads the text tower from `file` (keys `text_model.*`, optional
    /// `text_projection.weight`, after `options.prefix`). Sizes come from the
    /// shapes; a missing or misshapen tensor is an error naming its key.
    public init(file: SafeTensorsFile, options: CLIPTextLoadOptions = CLIPTextLoadOptions()) throws(CLIPError) {
        let p = options.prefix + "text_model."
        do {
            let tokens = try file.entry(p + "embeddings.token_embedding.weight")
            let positions = try file.entry(p + "embeddings.position_embedding.weight")
            guard tokens.shape.count == 2, positions.shape.count == 2, positions.shape[1] == tokens.shape[1] else {
                throw CLIPError.unsupportedConfiguration(
                    "token embedding \(tokens.shape) and position embedding \(positions.shape) must be [vocab, D] and [positions, D]")
            }
            let width = tokens.shape[1]
            var layerCount = 0
            while file.contains(p + "encoder.layers.\(layerCount).layer_norm1.weight") { layerCount += 1 }
            guard layerCount > 0 else {
                throw CLIPError.unsupportedConfiguration("no '\(p)encoder.layers.0.*' tensors")
            }
            let fc1 = try file.entry(p + "encoder.layers.0.mlp.fc1.weight")
            guard fc1.shape.count == 2 else { throw CLIPError.unsupportedConfiguration("fc1 weight has shape \(fc1.shape)") }
            let projectionKey = options.prefix + "text_projection.weight"
            let projection = try CLIPEncoderLayer.loadProjection(file, key: projectionKey, width: width)
            let openAI = CLIPVariant.isOpenAIText(
                width: width, layers: layerCount, intermediate: fc1.shape[0], vocabulary: tokens.shape[0],
                positions: positions.shape[0], projection: projection?.shape[0])
            if let config = options.configuration {
                try config.expect("hidden_size", config.width, equals: width, shownBy: tokens.name)
                try config.expect("vocab_size", config.vocabularySize, equals: tokens.shape[0], shownBy: tokens.name)
                try config.expect("max_position_embeddings", config.maxPositions, equals: positions.shape[0], shownBy: positions.name)
                try config.expectTower(
                    layers: layerCount, layersShownBy: "\(p)encoder.layers.*", intermediate: fc1.shape[0],
                    intermediateShownBy: fc1.name, projection: projection?.shape[0], projectionShownBy: projectionKey)
            }
            let resolved = try CLIPMetadata.resolve(
                file, tower: "text", headsKey: CheckpointMetadataKey.CLIP.textHeads, explicitHeads: options.heads,
                explicitActivation: options.activation, configuration: options.configuration,
                openAIShape: openAI, width: width)
            configuration = CLIPTextConfiguration(
                vocabularySize: tokens.shape[0], width: width, layers: layerCount, heads: resolved.heads,
                intermediateSize: fc1.shape[0], maxPositions: positions.shape[0],
                projectionSize: projection?.shape[0], activation: resolved.activation,
                layerNormEpsilon: options.configuration?.layerNormEpsilon ?? 1e-5)
            tokenEmbedding = try file.tensor(tokens.name)
            positionEmbedding = try file.tensor(positions.name)
            layers = try CLIPEncoderLayer.loadStack(
                file, prefix: p, count: layerCount, width: width, intermediate: fc1.shape[0])
            finalLayerNorm = (try file.tensor(p + "final_layer_norm.weight", shape: [width]),
                              try file.tensor(p + "final_layer_norm.bias", shape: [width]))
            self.projection = projection
        } catch {
            throw CLIPError.loading(error)
        }
    }

    /// Encodes a batch of token-id rows (all the same length, at most
    /// `maxPositions`, e.g. the 77 ids of `CLIPTokenizer.tokenize`).
    ///
    /// - Parameter keepHiddenStates: also return the encoder input and every
    ///   layer output (for parity tests and guidance features).
    public func encode(tokenRows: [[Int32]], keepHiddenStates: Bool = false) throws(CLIPError) -> CLIPTextOutput {
        let (h0, endOfText) = try embedded(tokenRows)
        do {
            var h = h0
            var hidden: [Tensor] = keepHiddenStates ? [h] : []
            for layer in layers {
                h = try layer(h, heads: configuration.heads, causal: true,
                              activation: configuration.activation, epsilon: configuration.layerNormEpsilon)
                if keepHiddenStates { hidden.append(h) }
            }
            let last = try h.layerNorm(weight: finalLayerNorm.weight, bias: finalLayerNorm.bias,
                                       epsilon: configuration.layerNormEpsilon)
            let pooled = try last.row(at: endOfText)
            let embeddings = try projection.map { weight throws(TensorError) in try Tensor.linear(pooled, weight: weight) }
            return CLIPTextOutput(lastHidden: last, pooled: pooled, embeddings: embeddings,
                                  hiddenStates: hidden, endOfTextIndices: endOfText)
        } catch {
            throw .computation(error)
        }
    }

    /// The pooled output `[B, width]` and its projection `[B, projection]`
    /// (nil without one) — `encode`'s values without the per-position
    /// outputs: the last layer runs at each row's end of text only.
    public func pooledEmbeddings(tokenRows: [[Int32]]) throws(CLIPError) -> (pooled: Tensor, embeddings: Tensor?) {
        let (h0, endOfText) = try embedded(tokenRows)
        do {
            var h = h0
            for layer in layers.dropLast() {
                h = try layer(h, heads: configuration.heads, causal: true,
                              activation: configuration.activation, epsilon: configuration.layerNormEpsilon)
            }
            if let last = layers.last {
                h = try last.outputRows(
                    h, rows: endOfText, keyCounts: endOfText.map { $0 + 1 }, heads: configuration.heads,
                    activation: configuration.activation, epsilon: configuration.layerNormEpsilon)
            }
            let pooled = try h.layerNorm(weight: finalLayerNorm.weight, bias: finalLayerNorm.bias,
                                         epsilon: configuration.layerNormEpsilon)
                .reshaped([tokenRows.count, configuration.width])
            let embeddings = try projection.map { weight throws(TensorError) in try Tensor.linear(pooled, weight: weight) }
            return (pooled, embeddings)
        } catch {
            throw .computation(error)
        }
    }

    /// Token + position embeddings `[B, S, width]` up to the longest end of
    /// text `S − 1`, and each row's end-of-text position.
    private func embedded(_ tokenRows: [[Int32]]) throws(CLIPError) -> (Tensor, [Int]) {
        guard let length = tokenRows.first?.count, length > 0 else {
            throw .invalidInput("no token rows to encode")
        }
        guard tokenRows.allSatisfy({ $0.count == length }) else {
            throw .invalidInput("token rows have different lengths")
        }
        guard length <= configuration.maxPositions else {
            throw .invalidInput("rows of \(length) tokens exceed the \(configuration.maxPositions) positions of the model")
        }
        let vocabulary = configuration.vocabularySize
        var endOfText: [Int] = []
        for (row, ids) in tokenRows.enumerated() {
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
                throw .invalidInput("row \(row) holds token id \(bad), outside the vocabulary of \(vocabulary)")
            }
            // First position of the largest id (OpenAI argmax pooling).
            var best = 0
            for (i, id) in ids.enumerated() where id > ids[best] { best = i }
            endOfText.append(best)
        }
        let batch = tokenRows.count, width = configuration.width
        let steps = (endOfText.max() ?? 0) + 1
        var scalars = [Float](repeating: 0, count: batch * steps * width)
        tokenEmbedding.withUnsafeBufferPointer { tokens in
            positionEmbedding.withUnsafeBufferPointer { positions in
                for b in 0..<batch {
                    for s in 0..<steps {
                        let token = Int(tokenRows[b][s])
                        let out = (b * steps + s) * width
                        for d in 0..<width {
                            scalars[out + d] = tokens[token * width + d] + positions[s * width + d]
                        }
                    }
                }
            }
        }
        do {
            return (try Tensor(shape: [batch, steps, width], scalars: scalars), endOfText)
        } catch {
            throw .computation(error)
        }
    }

    /// L2-normalised text embeddings `[B, projection]` (what every consumer of
    /// CLIP text features uses).
    public func normalizedEmbeddings(tokenRows: [[Int32]]) throws(CLIPError) -> Tensor {
        guard projection != nil else {
            throw .unsupportedConfiguration("the checkpoint has no text_projection.weight")
        }
        guard let embeddings = try pooledEmbeddings(tokenRows: tokenRows).embeddings else {
            throw .unsupportedConfiguration("no projection")
        }
        do { return try embeddings.l2Normalized() } catch { throw .computation(error) }
    }
}
