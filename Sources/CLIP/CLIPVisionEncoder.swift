import Foundation
import SafeTensors
import Synchronization
import Tensor

/// How stored position embeddings are resized to another patch grid
/// (docs/segmentation-core.md §2.7).
public enum CLIPPositionInterpolation: String, Sendable, Equatable {
    /// Bicubic to the target size (`F.interpolate(size=…)`), as CAT-Seg and
    /// transformers ≥ PR #33226 do.
    case bySize = "by_size"
    /// DINO v1 recipe of SegEarth-OV: bicubic with `scale_factor = (g+0.1)/g₀`,
    /// which maps coordinates with `1/scale_factor` and so differs slightly.
    case dinoScaleFactor = "dino"
}

/// Which last-block computation produces the dense patch features (§3.6).
public enum CLIPDenseMode: String, Sendable, Equatable, CaseIterable {
    /// The standard block: plain last-layer tokens.
    case vanilla
    /// CAT-Seg `forward_dense`: `z' = out_proj(v_proj(LN1(h))) + h[CLS]`,
    /// `z = z' + MLP(LN2(z'))` — the value path, no token mixing.
    case catSeg = "catseg"
    /// MaskCLIP: identity attention, `out_proj(v)` per token.
    case maskCLIP = "maskclip"
    /// SCLIP: `softmax(q qᵀ s) + softmax(k kᵀ s)` per head, then `out_proj(A v)`.
    case sclip
    /// ClearCLIP: `softmax(q qᵀ s)` per head, then `out_proj(A v)`.
    case clearCLIP = "clearclip"
    /// SegEarth-OV: `softmax(q qᵀ s) + softmax(k kᵀ s) + softmax(v vᵀ s)`.
    case segEarth = "segearth"

    /// The self-similarity terms of a training-free mode (SegEarth-OV's
    /// `custom_attn`): empty for MaskCLIP's identity attention, nil for the
    /// standard and CAT-Seg blocks.
    ///
    /// The training-free modes replace the last block by its attention only,
    /// `z = out_proj(A v)` — no residual, no MLP, SegEarth-OV's default
    /// `ignore_residual=True` — unless `CLIPVisionRequest.denseResidual` asks
    /// for `z' = h + out_proj(A v)`, `z = z' + MLP(LN2(z'))`.
    public var selfSimilaritySources: SelfSimilaritySources? {
        switch self {
        case .vanilla, .catSeg: nil
        case .maskCLIP: []
        case .sclip: [.query, .key]
        case .clearCLIP: [.query]
        case .segEarth: [.query, .key, .value]
        }
    }
}

/// Sizes of a CLIP vision tower, derived from tensor shapes plus the head
/// count and activation (see `CLIPVariant`, `CheckpointMetadataKey.CLIP`).
public struct CLIPVisionConfiguration: Sendable, Equatable {
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var patchSize: Int
    /// Side of the square patch grid the position embeddings were trained on.
    public var nativeGrid: Int
    /// Output size of `visual_projection` (nil if the checkpoint has none).
    public var projectionSize: Int?
    public var activation: CLIPActivation
    /// The supported variant these shapes match (nil for declared test sizes).
    public var variant: CLIPVariant?
    public var layerNormEpsilon: Float = 1e-5

    /// Native input side in pixels (`patch · grid`).
    public var nativeImageSize: Int { patchSize * nativeGrid }
}

/// Options for reading a vision tower from a checkpoint.
public struct CLIPVisionLoadOptions: Sendable {
    /// Key prefix before `vision_model.` (e.g. `"frozen."`), empty for an HF file.
    public var prefix: String
    /// Attention heads; nil = from `configuration`, else
    /// `__metadata__["sgseg.clip.vision_heads"]`, else width / 64 for an
    /// OpenAI shape.
    public var heads: Int?
    /// Activation; nil = from `configuration`, else
    /// `__metadata__["sgseg.clip.hidden_act"]`, else QuickGELU for an OpenAI
    /// shape, else an error (docs/checkpoint-format.md §6).
    public var activation: CLIPActivation?
    public var positionInterpolation: CLIPPositionInterpolation
    /// The tower's `config.json` settings, checked against the shapes.
    public var configuration: CLIPTowerSettings?

    public init(prefix: String = "", heads: Int? = nil, activation: CLIPActivation? = nil,
                positionInterpolation: CLIPPositionInterpolation = .bySize, configuration: CLIPTowerSettings? = nil) {
        self.prefix = prefix
        self.heads = heads
        self.activation = activation
        self.positionInterpolation = positionInterpolation
        self.configuration = configuration
    }
}

/// What `CLIPVisionEncoder.encode` should compute besides the pooled output.
public struct CLIPVisionRequest: Sendable, Equatable {
    /// Dense features `visual_projection(post_layernorm(z))` for every token
    /// with the given last-block mode, or none. Row 0 (the CLS token of the
    /// same `z`) is the global vector of the training-free modes.
    public var dense: CLIPDenseMode?
    /// For the training-free modes only: keep the last block's residual and
    /// MLP around the replaced attention (SegEarth-OV `ignore_residual=False`).
    /// The standard and CAT-Seg blocks have fixed rules and ignore it.
    public var denseResidual: Bool
    /// HF `hidden_states` indices to return: 0 = encoder input (after
    /// `pre_layrnorm`), `i` = output of layer `i−1` (CAT-Seg's hook on
    /// `resblocks[l]` is index `l+1`). Raw residual stream, no LayerNorm.
    public var hiddenStates: [Int]
    /// Whether to run the standard last block for the pooled output and image
    /// embedding (skip it when only CAT-Seg dense features are wanted).
    public var pooled: Bool

    public init(dense: CLIPDenseMode? = nil, hiddenStates: [Int] = [], pooled: Bool = true, denseResidual: Bool = false) {
        self.dense = dense
        self.denseResidual = denseResidual
        self.hiddenStates = hiddenStates
        self.pooled = pooled
    }
}

/// Output of `CLIPVisionEncoder.encode` for a batch of `B` images.
public struct CLIPVisionOutput: Sendable {
    /// Patch grid (rows, columns); tokens = 1 + rows·columns, CLS first.
    public var grid: (rows: Int, columns: Int)
    /// `post_layernorm` of the CLS token: `[B, width]` (nil unless requested).
    public var pooled: Tensor?
    /// `visual_projection(pooled)`, not normalised: `[B, projection]`.
    public var embeddings: Tensor?
    /// `[B, tokens, projection]` (or `[B, tokens, width]` without a
    /// projection), CLS row first, patches row-major.
    public var dense: Tensor?
    /// Requested hidden states by HF index, each `[B, tokens, width]`.
    public var hiddenStates: [Int: Tensor]
}

/// Interpolated position embeddings per patch grid, shared by copies of an
/// encoder (CAT-Seg recomputes them every forward; §3.7 says cache).
final class PositionEmbeddingCache: Sendable {
    private let table = Mutex<[Int: Tensor]>([:])

    func value(rows: Int, columns: Int, make: () throws(TensorError) -> Tensor) throws(TensorError) -> Tensor {
        let key = rows << 32 | columns
        if let cached = table.withLock({ $0[key] }) { return cached }
        let made = try make()
        table.withLock { $0[key] = made }
        return made
    }
}

/// CLIP's vision tower in Hugging Face naming (docs/segmentation-core.md §2.2,
/// §2.4, §2.6, §2.7): patch embedding, class token, (interpolated) position
/// embeddings, `pre_layrnorm`, pre-LN transformer, `post_layernorm` on the
/// CLS token, `visual_projection`; dense patch features and intermediate
/// layers on request.
///
/// The whole batch runs as one token matrix: every projection, the patch
/// embedding (im2col + GEMM) and the MLP are single GEMMs with
/// M = images × tokens.
public struct CLIPVisionEncoder: Sendable {
    public let configuration: CLIPVisionConfiguration
    public private(set) var positionInterpolation: CLIPPositionInterpolation
    let classEmbedding: Tensor
    /// Patch-embedding weight as a `[width, 3·p·p]` matrix in `(c, ky, kx)` order.
    let patchWeight: Tensor
    let positionEmbedding: Tensor
    let preLayerNorm: (weight: Tensor, bias: Tensor)
    let layers: [CLIPEncoderLayer]
    let postLayerNorm: (weight: Tensor, bias: Tensor)
    let projection: Tensor?
    private(set) var positionCache = PositionEmbeddingCache()

    /// Reads the vision tower from `file` (keys `vision_model.*`, optional
    /// `visual_projection.weight`, after `options.prefix`). A missing or
    /// misshapen tensor is an error naming its key and both shapes; sizes that
    /// are neither a supported variant nor declared in the metadata are refused.
    public init(file: SafeTensorsFile, options: CLIPVisionLoadOptions = CLIPVisionLoadOptions()) throws(CLIPError) {
        let p = options.prefix + "vision_model."
        do {
            let patch = try file.entry(p + "embeddings.patch_embedding.weight")
            guard patch.shape.count == 4, patch.shape[1] == 3, patch.shape[2] == patch.shape[3], patch.shape[2] > 0 else {
                throw CLIPError.unsupportedConfiguration(
                    "\(patch.name) has shape \(patch.shape), expected [width, 3, patch, patch]")
            }
            let width = patch.shape[0], patchSize = patch.shape[2]
            let positions = try file.entry(p + "embeddings.position_embedding.weight")
            let grid = Int(Double(max(positions.shape.first ?? 1, 1) - 1).squareRoot().rounded())
            guard positions.shape.count == 2, positions.shape[1] == width, grid > 0, grid * grid + 1 == positions.shape[0] else {
                throw CLIPError.unsupportedConfiguration(
                    "\(positions.name) has shape \(positions.shape), expected [1 + g², \(width)]")
            }
            var layerCount = 0
            while file.contains(p + "encoder.layers.\(layerCount).layer_norm1.weight") { layerCount += 1 }
            guard layerCount > 0 else { throw CLIPError.unsupportedConfiguration("no '\(p)encoder.layers.0.*' tensors") }
            let fc1 = try file.entry(p + "encoder.layers.0.mlp.fc1.weight")
            guard fc1.shape.count == 2 else { throw CLIPError.unsupportedConfiguration("\(fc1.name) has shape \(fc1.shape)") }
            let projectionKey = options.prefix + "visual_projection.weight"
            let projection = try CLIPEncoderLayer.loadProjection(file, key: projectionKey, width: width)
            let variant = CLIPVariant.matchingVision(width: width, patch: patchSize, layers: layerCount, grid: grid)
            let openAI = variant.map { $0.isOpenAIVision(intermediate: fc1.shape[0], projection: projection?.shape[0]) } ?? false
            if let config = options.configuration {
                try config.expect("hidden_size", config.width, equals: width, shownBy: patch.name)
                try config.expect("patch_size", config.patchSize, equals: patchSize, shownBy: patch.name)
                try config.expect("image_size", config.imageSize, equals: patchSize * grid,
                                  shownBy: "\(positions.name): a \(grid)×\(grid) grid of \(patchSize)-pixel patches")
                try config.expectTower(
                    layers: layerCount, layersShownBy: "\(p)encoder.layers.*", intermediate: fc1.shape[0],
                    intermediateShownBy: fc1.name, projection: projection?.shape[0], projectionShownBy: projectionKey)
            }
            let resolved = try CLIPMetadata.resolve(
                file, tower: "vision", headsKey: CheckpointMetadataKey.CLIP.visionHeads, explicitHeads: options.heads,
                explicitActivation: options.activation, configuration: options.configuration,
                openAIShape: openAI, width: width)
            configuration = CLIPVisionConfiguration(
                width: width, layers: layerCount, heads: resolved.heads, intermediateSize: fc1.shape[0], patchSize: patchSize,
                nativeGrid: grid, projectionSize: projection?.shape[0], activation: resolved.activation, variant: variant,
                layerNormEpsilon: options.configuration?.layerNormEpsilon ?? 1e-5)
            positionInterpolation = options.positionInterpolation
            classEmbedding = try file.tensor(p + "embeddings.class_embedding", shape: [width])
            patchWeight = try file.tensor(patch.name).reshaped([width, 3 * patchSize * patchSize])
            positionEmbedding = try file.tensor(positions.name)
            preLayerNorm = (try file.tensor(p + "pre_layrnorm.weight", shape: [width]),
                            try file.tensor(p + "pre_layrnorm.bias", shape: [width]))
            layers = try CLIPEncoderLayer.loadStack(
                file, prefix: p, count: layerCount, width: width, intermediate: fc1.shape[0])
            postLayerNorm = (try file.tensor(p + "post_layernorm.weight", shape: [width]),
                             try file.tensor(p + "post_layernorm.bias", shape: [width]))
            self.projection = projection
        } catch {
            throw CLIPError.loading(error)
        }
    }

    /// The same encoder (weights shared) with another position-embedding
    /// interpolation, e.g. the DINO recipe of the training-free mode on a
    /// model loaded for CAT-Seg. The copy has its own interpolation cache.
    public func withPositionInterpolation(_ interpolation: CLIPPositionInterpolation) -> CLIPVisionEncoder {
        if interpolation == positionInterpolation { return self }
        var copy = self
        copy.positionInterpolation = interpolation
        copy.positionCache = PositionEmbeddingCache()
        return copy
    }

    /// Position embeddings for a `rows × columns` grid: `[1 + rows·columns, width]`,
    /// the stored table at the native square grid, otherwise rows 1… resized
    /// bicubically (CLS row unchanged) and cached per grid.
    public func positionEmbeddings(rows: Int, columns: Int) throws(CLIPError) -> Tensor {
        let g = configuration.nativeGrid, d = configuration.width
        if rows == g && columns == g { return positionEmbedding }
        do {
            return try positionCache.value(rows: rows, columns: columns) { () throws(TensorError) -> Tensor in
                // [g·g, D] → [1, D, g, g]
                var planar = [Float](repeating: 0, count: d * g * g)
                positionEmbedding.withUnsafeBufferPointer { src in
                    for t in 0..<(g * g) {
                        for c in 0..<d { planar[c * g * g + t] = src[(t + 1) * d + c] }
                    }
                }
                let image = try Tensor(shape: [1, d, g, g], scalars: planar)
                let target: ResizeTarget
                switch positionInterpolation {
                case .bySize: target = .size(height: rows, width: columns)
                case .dinoScaleFactor:
                    target = .scaleFactor(height: (Double(rows) + 0.1) / Double(g), width: (Double(columns) + 0.1) / Double(g))
                }
                let resized = try image.resized(to: target, mode: .bicubic, alignCorners: false)
                guard resized.shape == [1, d, rows, columns] else {
                    throw .shapeMismatch(operation: "position interpolation", detail: "got \(resized.shape) for a \(rows)×\(columns) grid")
                }
                let n = rows * columns
                var out = [Float](repeating: 0, count: (n + 1) * d)
                positionEmbedding.withUnsafeBufferPointer { src in
                    for c in 0..<d { out[c] = src[c] }
                }
                resized.withUnsafeBufferPointer { r in
                    for c in 0..<d {
                        for t in 0..<n { out[(t + 1) * d + c] = r[c * n + t] }
                    }
                }
                return try Tensor(shape: [n + 1, d], scalars: out)
            }
        } catch {
            throw .computation(error)
        }
    }

    /// Encodes normalised pixels `[B, 3, H, W]` (H, W multiples of the patch).
    public func encode(_ pixels: Tensor, request: CLIPVisionRequest = CLIPVisionRequest()) throws(CLIPError) -> CLIPVisionOutput {
        let c = configuration, p = c.patchSize, d = c.width
        guard pixels.rank == 4, pixels.shape[1] == 3, pixels.shape[0] > 0 else {
            throw .invalidInput("pixels must be [B, 3, H, W] with B ≥ 1, got \(pixels.shape)")
        }
        let (batch, height, width) = (pixels.shape[0], pixels.shape[2], pixels.shape[3])
        guard height >= p, width >= p, height % p == 0, width % p == 0 else {
            throw .invalidInput("image size \(height)×\(width) is not a positive multiple of the patch size \(p)")
        }
        for index in request.hiddenStates where index < 0 || index > c.layers {
            throw .invalidInput("hidden state \(index) does not exist (0…\(c.layers))")
        }
        let rows = height / p, columns = width / p, n = rows * columns, tokens = n + 1
        let positions = try positionEmbeddings(rows: rows, columns: columns)
        do throws(TensorError) {
            // im2col of non-overlapping patches: [B·n, 3·p·p] in (c, ky, kx) order.
            let k = 3 * p * p
            var columnsMatrix = [Float](repeating: 0, count: batch * n * k)
            pixels.withUnsafeBufferPointer { src in
                columnsMatrix.withUnsafeMutableBufferPointer { dst in
                    for b in 0..<batch {
                        for gy in 0..<rows {
                            for gx in 0..<columns {
                                let out = ((b * n) + gy * columns + gx) * k
                                for ch in 0..<3 {
                                    for ky in 0..<p {
                                        let inRow = ((b * 3 + ch) * height + gy * p + ky) * width + gx * p
                                        let outRow = out + (ch * p + ky) * p
                                        for kx in 0..<p { dst[outRow + kx] = src[inRow + kx] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let patches = try Tensor.linear(Tensor(shape: [batch * n, k], scalars: columnsMatrix), weight: patchWeight)
            // Prepend CLS and add position embeddings: [B, tokens, D].
            var embedded = [Float](repeating: 0, count: batch * tokens * d)
            patches.withUnsafeBufferPointer { pt in
                positions.withUnsafeBufferPointer { pos in
                    classEmbedding.withUnsafeBufferPointer { cls in
                        for b in 0..<batch {
                            let base = b * tokens * d
                            for i in 0..<d { embedded[base + i] = cls[i] + pos[i] }
                            for t in 0..<n {
                                let o = base + (t + 1) * d, s = (b * n + t) * d, q = (t + 1) * d
                                for i in 0..<d { embedded[o + i] = pt[s + i] + pos[q + i] }
                            }
                        }
                    }
                }
            }
            var h = try Tensor(shape: [batch, tokens, d], scalars: embedded)
                .layerNorm(weight: preLayerNorm.weight, bias: preLayerNorm.bias, epsilon: c.layerNormEpsilon)
            let wanted = Set(request.hiddenStates)
            var hidden: [Int: Tensor] = [:]
            if wanted.contains(0) { hidden[0] = h }
            // Blocks 0…L−2 always; the last only as needed.
            let needLastStandard = request.pooled || request.dense == .vanilla || wanted.contains(c.layers)
            for (index, layer) in layers.enumerated() {
                let isLast = index == c.layers - 1
                if isLast {
                    var output = CLIPVisionOutput(grid: (rows, columns), pooled: nil, embeddings: nil, dense: nil, hiddenStates: [:])
                    if request.dense == .catSeg {
                        let z = try layer.denseValuePath(h, activation: c.activation, epsilon: c.layerNormEpsilon)
                        output.dense = try projectAllTokens(z)
                    }
                    if let mode = request.dense, let sources = mode.selfSimilaritySources {
                        let z = try layer.selfSimilarityBlock(
                            h, sources: sources, heads: c.heads, residual: request.denseResidual,
                            activation: c.activation, epsilon: c.layerNormEpsilon)
                        output.dense = try projectAllTokens(z)
                    }
                    if needLastStandard {
                        let z: Tensor
                        if wanted.contains(c.layers) || request.dense == .vanilla {
                            z = try layer(h, heads: c.heads, causal: false, activation: c.activation, epsilon: c.layerNormEpsilon)
                        } else {
                            // Only the pooled output: the last block at the class tokens only, [B, 1, D].
                            z = try layer.outputRows(
                                h, rows: [Int](repeating: 0, count: batch), keyCounts: [Int](repeating: tokens, count: batch),
                                heads: c.heads, activation: c.activation, epsilon: c.layerNormEpsilon)
                        }
                        if wanted.contains(c.layers) { hidden[c.layers] = z }
                        if request.dense == .vanilla { output.dense = try projectAllTokens(z) }
                        if request.pooled {
                            let pooled = try z.row(at: [Int](repeating: 0, count: batch))
                                .layerNorm(weight: postLayerNorm.weight, bias: postLayerNorm.bias, epsilon: c.layerNormEpsilon)
                            output.pooled = pooled
                            output.embeddings = try projection.map { w throws(TensorError) in try Tensor.linear(pooled, weight: w) }
                        }
                    }
                    output.hiddenStates = hidden
                    return output
                }
                h = try layer(h, heads: c.heads, causal: false, activation: c.activation, epsilon: c.layerNormEpsilon)
                if wanted.contains(index + 1) { hidden[index + 1] = h }
            }
            throw TensorError.invalidArgument(operation: "vision encoder", detail: "no layers")
        } catch {
            throw .computation(error)
        }
    }

    /// `visual_projection(post_layernorm(z))` on every token.
    func projectAllTokens(_ z: Tensor) throws(TensorError) -> Tensor {
        let normed = try z.layerNorm(weight: postLayerNorm.weight, bias: postLayerNorm.bias,
                                     epsilon: configuration.layerNormEpsilon)
        guard let projection else { return normed }
        return try Tensor.linear(normed, weight: projection)
    }
}

extension CLIPEncoderLayer {
    /// A training-free last block (§3.6, SegEarth-OV `custom_attn`) on
    /// `h [B, T, D]`: `out_proj(A v)` with `A = Σ softmax(X Xᵀ s)` over
    /// `sources` per head (identity for no source, MaskCLIP), then, with
    /// `residual`, `z' = h + ·` and `z = z' + fc2(act(fc1(LN2(z'))))`.
    func selfSimilarityBlock(
        _ h: Tensor, sources: SelfSimilaritySources, heads: Int, residual: Bool,
        activation: CLIPActivation, epsilon: Float
    ) throws(TensorError) -> Tensor {
        let normed1 = try h.layerNorm(weight: layerNorm1.weight, bias: layerNorm1.bias, epsilon: epsilon)
        let mixed: Tensor
        if sources.isEmpty {
            let value = try valueProjection()
            mixed = try Tensor.linear(normed1, weight: value.weight, bias: value.bias)
        } else {
            let projected = try Tensor.linear(normed1, weight: qkv.weight, bias: qkv.bias)
            mixed = try Tensor.selfSimilarityAttention(projected, heads: heads, sources: sources)
        }
        guard residual else { return try Tensor.linear(mixed, weight: output.weight, bias: output.bias) }
        let z = try Tensor.linear(mixed, weight: output.weight, bias: output.bias, adding: h)
        return try residualMLP(z, activation: activation, epsilon: epsilon)
    }

    /// CAT-Seg's dense last block (`forward_dense`, §3.6) on `h [B, T, D]`:
    /// `z' = out_proj(v_proj(LN1(h))) + h[b, 0]` (the CLS row of the input
    /// broadcast to every token), then `z = z' + fc2(act(fc1(LN2(z'))))`.
    func denseValuePath(_ h: Tensor, activation: CLIPActivation, epsilon: Float) throws(TensorError) -> Tensor {
        let normed1 = try h.layerNorm(weight: layerNorm1.weight, bias: layerNorm1.bias, epsilon: epsilon)
        let value = try valueProjection()
        let values = try Tensor.linear(normed1, weight: value.weight, bias: value.bias)
        var z = try Tensor.linear(values, weight: output.weight, bias: output.bias)
        let batch = h.shape[0], tokens = h.shape[1], d = h.shape[2]
        z.withUnsafeMutableBufferPointer { out in
            h.withUnsafeBufferPointer { src in
                for b in 0..<batch {
                    let cls = b * tokens * d
                    for t in 0..<tokens {
                        let row = (b * tokens + t) * d
                        for i in 0..<d { out[row + i] += src[cls + i] }
                    }
                }
            }
        }
        return try residualMLP(z, activation: activation, epsilon: epsilon)
    }
}
