import Foundation
import SafeTensors
import Tensor

/// Sizes of an EVA02 vision tower, derived from tensor shapes plus what
/// shapes cannot tell (heads, the RoPE training grid).
public struct EVA02VisionConfiguration: Sendable, Equatable {
    public var width: Int
    /// Number of blocks; the last one runs only in CSA mode.
    public var blocks: Int
    public var heads: Int
    /// SwiGLU hidden size (`w1`/`w2` outputs; 2730 for EVA02-L).
    public var mlpHidden: Int
    public var patchSize: Int
    /// Side of the square patch grid (`pos_embed` holds 1 + grid² rows).
    public var grid: Int
    /// Output size of `head` (768 for EVA02-L).
    public var embedDimension: Int
    /// `pt_hw_seq_len` of the RoPE tables: positions are `i·ropeTrainingGrid/grid`.
    public var ropeTrainingGrid: Int
    /// Every vision LayerNorm uses 1e-6 (docs/sgseg-released.md §6.1).
    public var layerNormEpsilon: Float = 1e-6

    /// The only input side the tower accepts (`patchSize · grid`, 336 for EVA02-L/14-336).
    public var imageSize: Int { patchSize * grid }
    public var headWidth: Int { width / heads }
}

/// Result of `EVA02VisionEncoder.dense` for `B` images.
public struct EVA02DenseOutput: Sendable {
    /// `[B, N, E]`: `head(norm(CSA(last block)))` of the patch tokens (CLS
    /// dropped), each token L2-normalised; tokens row-major over the grid.
    public var dense: Tensor
    /// Patch tokens (CLS dropped) of the requested block outputs, after the
    /// MLP residual: `[B, N, width]` per 0-based block index.
    public var taps: [Int: Tensor]
    /// Side of the patch grid (N = grid²).
    public var grid: Int
}

/// Weights of one EVA02 block (sub-LN attention with RoPE, SwiGLU MLP with sub-LN).
struct EVA02VisionBlock: Sendable {
    var norm1: (weight: Tensor, bias: Tensor)
    /// `q_proj | k_proj | v_proj` stacked `[3D, D]` with bias `q_bias | 0 | v_bias`:
    /// one GEMM, and attention reads the heads in place.
    var qkv: (weight: Tensor, bias: Tensor)
    var innerNorm: (weight: Tensor, bias: Tensor)
    var projection: (weight: Tensor, bias: Tensor)
    var norm2: (weight: Tensor, bias: Tensor)
    /// `w1 | w2` stacked `[2H, D]`: the gate and the value of SwiGLU in one GEMM.
    var gateAndValue: (weight: Tensor, bias: Tensor)
    var ffnNorm: (weight: Tensor, bias: Tensor)
    var down: (weight: Tensor, bias: Tensor)

    static func load(_ file: SafeTensorsFile, prefix p: String, width d: Int, hidden: Int) throws -> EVA02VisionBlock {
        func norm(_ name: String, _ size: Int) throws -> (weight: Tensor, bias: Tensor) {
            (try file.tensor(p + name + ".weight", shape: [size]), try file.tensor(p + name + ".bias", shape: [size]))
        }
        func linear(_ name: String, _ out: Int, _ input: Int) throws -> (weight: Tensor, bias: Tensor) {
            (try file.tensor(p + name + ".weight", shape: [out, input]), try file.tensor(p + name + ".bias", shape: [out]))
        }
        let q = try file.tensor(p + "attn.q_proj.weight", shape: [d, d])
        let k = try file.tensor(p + "attn.k_proj.weight", shape: [d, d])
        let v = try file.tensor(p + "attn.v_proj.weight", shape: [d, d])
        let qBias = try file.tensor(p + "attn.q_bias", shape: [d])
        let vBias = try file.tensor(p + "attn.v_bias", shape: [d])
        let w1 = try linear("mlp.w1", hidden, d)
        let w2 = try linear("mlp.w2", hidden, d)
        return EVA02VisionBlock(
            norm1: try norm("norm1", d),
            qkv: (try Tensor(shape: [3 * d, d], scalars: q.scalars + k.scalars + v.scalars),
                  try Tensor(shape: [3 * d], scalars: qBias.scalars + [Float](repeating: 0, count: d) + vBias.scalars)),
            innerNorm: try norm("attn.inner_attn_ln", d),
            projection: try linear("attn.proj", d, d),
            norm2: try norm("norm2", d),
            gateAndValue: (try Tensor(shape: [2 * hidden, d], scalars: w1.weight.scalars + w2.weight.scalars),
                           try Tensor(shape: [2 * hidden], scalars: w1.bias.scalars + w2.bias.scalars)),
            ffnNorm: try norm("mlp.ffn_ln", hidden),
            down: try linear("mlp.w3", d, hidden))
    }
}

/// EVA02-CLIP vision tower in SGSeg's dense mode (docs/sgseg-released.md §6.1).
///
/// Blocks 0…L−2 are standard EVA02 blocks: `h += proj(innerLN(attn(LN1 h)))`
/// with 2-D RoPE on the queries and keys of the patch tokens (CLS untouched),
/// then `h += w3(ffnLN(SiLU(w1 u) ⊙ w2 u))` with `u = LN2 h`. The last block
/// runs in CSA mode only: `proj(innerLN((softmax(qqᵀ) + softmax(kkᵀ))·v))`
/// per head, unscaled and without RoPE, residual or MLP. Its patch rows go
/// through `norm`, `head` and an L2 normalisation per token.
///
/// All `B` images share every GEMM (M = B·(1 + N) tokens). The RoPE tables are
/// computed once at load; the `rope.freqs_*` buffers of a checkpoint are not
/// read (they are deterministic and the authors' loader drops them too).
public struct EVA02VisionEncoder: Sendable {
    /// Key prefix of the tower inside an SGSeg checkpoint.
    public static let checkpointPrefix = "sem_seg_head.predictor.clip_model.visual."

    public let configuration: EVA02VisionConfiguration
    let classToken: Tensor           // [D]
    let positionEmbedding: Tensor    // [1 + N, D]
    let patchWeight: Tensor          // [D, 3, P, P]
    let patchBias: Tensor            // [D]
    let blocks: [EVA02VisionBlock]
    let norm: (weight: Tensor, bias: Tensor)
    let head: (weight: Tensor, bias: Tensor)
    /// cos / sin of the RoPE angles, `[N, headWidth]` row-major.
    let ropeCos: [Float]
    let ropeSin: [Float]

    /// Reads the tower under `prefix` from `file`. Sizes come from the shapes
    /// (`patch_embed.proj.weight`, `pos_embed`, `blocks.{i}`, `mlp.w1`, `head`);
    /// heads from `heads`, else `__metadata__["sgseg.clip.vision_heads"]`, else
    /// width / 64. A missing or misshapen tensor is an error naming its key
    /// and both shapes.
    ///
    /// - Parameter ropeTrainingGrid: EVA's `pt_hw_seq_len` (16 for every
    ///   released EVA02-CLIP), which shapes cannot tell.
    public init(
        file: SafeTensorsFile, prefix: String = EVA02VisionEncoder.checkpointPrefix, heads: Int? = nil,
        ropeTrainingGrid: Int = 16
    ) throws(EVA02Error) {
        let p = prefix
        do {
            let patch = try file.entry(p + "patch_embed.proj.weight")
            guard patch.shape.count == 4, patch.shape[1] == 3, patch.shape[2] == patch.shape[3], patch.shape[2] > 0,
                  patch.shape[0] > 0 else {
                throw EVA02Error.unsupportedConfiguration("\(patch.name) has shape \(patch.shape), expected [D, 3, P, P]")
            }
            let width = patch.shape[0], patchSize = patch.shape[2]
            let positions = try file.entry(p + "pos_embed")
            let grid = positions.shape.count == 3 ? Int(Double(max(positions.shape[1] - 1, 0)).squareRoot().rounded()) : 0
            guard positions.shape.count == 3, grid > 0, positions.shape == [1, 1 + grid * grid, width] else {
                throw EVA02Error.unsupportedConfiguration(
                    "\(positions.name) has shape \(positions.shape), expected [1, 1 + g², \(width)] for a square grid g")
            }
            var blockCount = 0
            while file.contains(p + "blocks.\(blockCount).norm1.weight") { blockCount += 1 }
            guard blockCount > 0 else { throw EVA02Error.unsupportedConfiguration("no '\(p)blocks.0.*' tensors") }
            let w1 = try file.entry(p + "blocks.0.mlp.w1.weight")
            guard w1.shape.count == 2, w1.shape[0] > 0, w1.shape[1] == width else {
                throw EVA02Error.unsupportedConfiguration("\(w1.name) has shape \(w1.shape), expected [H, \(width)]")
            }
            let headEntry = try file.entry(p + "head.weight")
            guard headEntry.shape.count == 2, headEntry.shape[0] > 0, headEntry.shape[1] == width else {
                throw EVA02Error.unsupportedConfiguration("\(headEntry.name) has shape \(headEntry.shape), expected [E, \(width)]")
            }
            let headCount = try resolveHeads(heads, file: file, key: CheckpointMetadataKey.CLIP.visionHeads, width: width, tower: "vision")
            guard (width / headCount) % 4 == 0 else {
                throw EVA02Error.unsupportedConfiguration(
                    "head width \(width / headCount) is not a multiple of 4, which the 2-D RoPE needs")
            }
            guard ropeTrainingGrid > 0 else {
                throw EVA02Error.unsupportedConfiguration("RoPE training grid \(ropeTrainingGrid) must be positive")
            }
            let c = EVA02VisionConfiguration(
                width: width, blocks: blockCount, heads: headCount, mlpHidden: w1.shape[0], patchSize: patchSize,
                grid: grid, embedDimension: headEntry.shape[0], ropeTrainingGrid: ropeTrainingGrid)
            configuration = c
            classToken = try file.tensor(p + "cls_token", shape: [1, 1, width]).reshaped([width])
            positionEmbedding = try file.tensor(positions.name).reshaped([1 + grid * grid, width])
            patchWeight = try file.tensor(patch.name)
            patchBias = try file.tensor(p + "patch_embed.proj.bias", shape: [width])
            var loaded: [EVA02VisionBlock] = []
            for index in 0..<blockCount {
                loaded.append(try EVA02VisionBlock.load(file, prefix: p + "blocks.\(index).", width: width, hidden: c.mlpHidden))
            }
            blocks = loaded
            norm = (try file.tensor(p + "norm.weight", shape: [width]), try file.tensor(p + "norm.bias", shape: [width]))
            head = (try file.tensor(headEntry.name), try file.tensor(p + "head.bias", shape: [c.embedDimension]))
            (ropeCos, ropeSin) = EVA02VisionEncoder.ropeTables(headWidth: c.headWidth, trainingGrid: ropeTrainingGrid, grid: grid)
        } catch {
            throw EVA02Error.loading(error)
        }
    }

    /// cos/sin tables `[grid², headWidth]` of EVA02's 2-D RoPE (§6.1 step 4):
    /// frequencies `f_i = 10000^(−2i/(headWidth/2))`, `i < headWidth/4`;
    /// positions `τ = k/grid·trainingGrid`; each angle repeated for the two
    /// members of a pair; row angles `τ_y f` in the first half, column angles
    /// `τ_x f` in the second. Float32 in the reference's operation order, so
    /// the tables agree with PyTorch's to the last bits of `cos`/`sin`.
    static func ropeTables(headWidth: Int, trainingGrid: Int, grid: Int) -> ([Float], [Float]) {
        let half = headWidth / 2, frequencies = half / 2
        var inverse = [Float](repeating: 0, count: frequencies)
        for i in 0..<frequencies {
            // 10000^e as e^(e·ln 10000), in portable arithmetic (the C library's powf differs between CPUs).
            inverse[i] = 1 / Float(PortableMath.exp(Double(Float(2 * i) / Float(half)) * 9.210_340_371_976_182_736))
        }
        let positions = (0..<grid).map { Float($0) / Float(grid) * Float(trainingGrid) }
        var cosTable = [Float](repeating: 0, count: grid * grid * headWidth)
        var sinTable = cosTable
        /// Writes the pair `(2i, 2i+1)` of one half of a token's row.
        func write(_ start: Int, _ position: Float, _ i: Int) {
            let angle = Double(position * inverse[i])
            let (c, s) = (Float(PortableMath.cos(angle)), Float(PortableMath.sin(angle)))
            cosTable[start + 2 * i] = c
            cosTable[start + 2 * i + 1] = c
            sinTable[start + 2 * i] = s
            sinTable[start + 2 * i + 1] = s
        }
        for y in 0..<grid {
            for x in 0..<grid {
                let row = (y * grid + x) * headWidth
                for i in 0..<frequencies {
                    write(row, positions[y], i)
                    write(row + half, positions[x], i)
                }
            }
        }
        return (cosTable, sinTable)
    }

    /// Dense CSA features and guidance taps for normalised pixels
    /// `[B, 3, S, S]` with `S = configuration.imageSize` (the released model
    /// resizes every window to 336 first; other sizes would need interpolated
    /// positions and are refused).
    ///
    /// - Parameter taps: 0-based standard blocks (`0 ≤ tap < blocks − 1`)
    ///   whose outputs to return.
    public func dense(_ pixels: Tensor, taps: [Int] = []) throws(EVA02Error) -> EVA02DenseOutput {
        let c = configuration, size = c.imageSize
        guard pixels.rank == 4, pixels.shape[0] > 0, pixels.shape[1] == 3 else {
            throw .invalidInput("pixels must be [B, 3, \(size), \(size)] with B ≥ 1, got \(pixels.shape)")
        }
        guard pixels.shape[2] == size, pixels.shape[3] == size else {
            throw .invalidInput(
                "image size \(pixels.shape[2])×\(pixels.shape[3]) differs from the tower's native \(size)×\(size); resize the windows to \(size) first")
        }
        let last = c.blocks - 1
        for tap in taps where tap < 0 || tap >= last {
            throw .invalidInput("tap \(tap) is not a standard block (0…\(last - 1)); block \(last) runs in CSA mode")
        }
        let wanted = Set(taps)
        do throws(TensorError) {
            var h = try embed(pixels)
            var tapped: [Int: Tensor] = [:]
            for index in 0..<last {
                h = try standardBlock(blocks[index], h)
                if wanted.contains(index) { tapped[index] = try patchRows(h) }
            }
            let z = try csaBlock(blocks[last], h)
            let normed = try z.layerNorm(weight: norm.weight, bias: norm.bias, epsilon: c.layerNormEpsilon)
            let projected = try Tensor.linear(normed, weight: head.weight, bias: head.bias)
            return EVA02DenseOutput(dense: try projected.l2Normalized(), taps: tapped, grid: c.grid)
        } catch {
            throw .computation(error)
        }
    }

    /// Patch embedding, CLS prepended, positions added: `[B, 1 + N, D]`.
    func embed(_ pixels: Tensor) throws(TensorError) -> Tensor {
        let c = configuration, d = c.width, n = c.grid * c.grid, batch = pixels.shape[0]
        let patches = try Tensor.conv2d(pixels, weight: patchWeight, bias: patchBias, stride: Pair(c.patchSize))
        guard patches.shape == [batch, d, c.grid, c.grid] else {
            throw .shapeMismatch(operation: "EVA02 patch embedding", detail: "got \(patches.shape)")
        }
        var embedded = try Tensor(shape: [batch, n + 1, d])
        embedded.withUnsafeMutableBufferPointer { out in
            patches.withUnsafeBufferPointer { planes in
                positionEmbedding.withUnsafeBufferPointer { pos in
                    classToken.withUnsafeBufferPointer { cls in
                        for b in 0..<batch {
                            let base = b * (n + 1) * d
                            for i in 0..<d { out[base + i] = cls[i] + pos[i] }
                            for channel in 0..<d {
                                let plane = (b * d + channel) * n
                                for t in 0..<n {
                                    out[base + (t + 1) * d + channel] = planes[plane + t] + pos[(t + 1) * d + channel]
                                }
                            }
                        }
                    }
                }
            }
        }
        return embedded
    }

    /// One standard block on `h [B, 1 + N, D]`.
    func standardBlock(_ block: EVA02VisionBlock, _ h: Tensor) throws(TensorError) -> Tensor {
        let c = configuration, eps = c.layerNormEpsilon
        let u = try h.layerNorm(weight: block.norm1.weight, bias: block.norm1.bias, epsilon: eps)
        var qkv = try Tensor.linear(u, weight: block.qkv.weight, bias: block.qkv.bias)
        applyRoPE(&qkv)
        let mixed = try Tensor.packedSelfAttention(qkv, heads: c.heads)
        let attended = try mixed.layerNorm(weight: block.innerNorm.weight, bias: block.innerNorm.bias, epsilon: eps)
        let h1 = try Tensor.linear(attended, weight: block.projection.weight, bias: block.projection.bias, adding: h)
        let u2 = try h1.layerNorm(weight: block.norm2.weight, bias: block.norm2.bias, epsilon: eps)
        let gateAndValue = try Tensor.linear(u2, weight: block.gateAndValue.weight, bias: block.gateAndValue.bias)
        let hidden = try gateAndValue.swiGLU(hidden: c.mlpHidden)
            .layerNorm(weight: block.ffnNorm.weight, bias: block.ffnNorm.bias, epsilon: eps)
        return try Tensor.linear(hidden, weight: block.down.weight, bias: block.down.bias, adding: h1)
    }

    /// The last block in CSA mode on `h [B, 1 + N, D]`, patch rows only:
    /// `proj(innerLN((softmax(qqᵀ) + softmax(kkᵀ))·v))`, `[B, N, D]`.
    /// Computed as `softmax(qqᵀ)·v + softmax(kkᵀ)·v` (the same sum).
    func csaBlock(_ block: EVA02VisionBlock, _ h: Tensor) throws(TensorError) -> Tensor {
        let c = configuration, eps = c.layerNormEpsilon
        let u = try h.layerNorm(weight: block.norm1.weight, bias: block.norm1.bias, epsilon: eps)
        let qkv = try Tensor.linear(u, weight: block.qkv.weight, bias: block.qkv.bias)
        let (q, k, v) = try EVA02VisionEncoder.split(qkv)
        let fromQueries = try Tensor.scaledDotProductAttention(query: q, key: q, value: v, heads: c.heads, scale: 1)
        let fromKeys = try Tensor.scaledDotProductAttention(query: k, key: k, value: v, heads: c.heads, scale: 1)
        let mixed = try patchRows(fromQueries + fromKeys)
        let attended = try mixed.layerNorm(weight: block.innerNorm.weight, bias: block.innerNorm.bias, epsilon: eps)
        return try Tensor.linear(attended, weight: block.projection.weight, bias: block.projection.bias)
    }

    /// Rotates the query and key columns of every patch row of the packed
    /// projections `[B, 1 + N, 3D]` in place (the CLS row stays as it is):
    /// `out₂ⱼ = x₂ⱼ·cos − x₂ⱼ₊₁·sin`, `out₂ⱼ₊₁ = x₂ⱼ₊₁·cos + x₂ⱼ·sin`.
    func applyRoPE(_ qkv: inout Tensor) {
        let c = configuration, d = c.width, hw = c.headWidth, n = c.grid * c.grid
        let batch = qkv.shape[0], rowWidth = 3 * d
        ropeCos.withUnsafeBufferPointer { cosines in
            ropeSin.withUnsafeBufferPointer { sines in
                qkv.withUnsafeMutableBufferPointer { buffer in
                    // Patch rows split over the thread budget (each row is rotated independently).
                    let rows = batch * n
                    let workers = max(1, min(BLAS.threadCount, rows * 2 * d / 65_536))
                    Parallel.forEach(workers) { worker in
                        for patch in (rows * worker / workers)..<(rows * (worker + 1) / workers) {
                            let b = patch / n, t = patch % n
                            let row = (b * (n + 1) + t + 1) * rowWidth
                            let table = t * hw
                            for column in stride(from: 0, to: 2 * d, by: hw) {
                                let x = row + column
                                for j in stride(from: 0, to: hw, by: 2) {
                                    let even = buffer[x + j], odd = buffer[x + j + 1]
                                    buffer[x + j] = even * cosines[table + j] - odd * sines[table + j]
                                    buffer[x + j + 1] = odd * cosines[table + j + 1] + even * sines[table + j + 1]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Rows 1… of each batch entry of `h [B, 1 + N, W]`: `[B, N, W]`.
    func patchRows(_ h: Tensor) throws(TensorError) -> Tensor {
        let batch = h.shape[0], tokens = h.shape[1], w = h.shape[2]
        var out = try Tensor(shape: [batch, tokens - 1, w])
        out.withUnsafeMutableBufferPointer { dst in
            h.withUnsafeBufferPointer { src in
                for b in 0..<batch {
                    let from = (b * tokens + 1) * w, to = b * (tokens - 1) * w, count = (tokens - 1) * w
                    for i in 0..<count { dst[to + i] = src[from + i] }
                }
            }
        }
        return out
    }

    /// Splits packed projections `[B, S, 3D]` into three `[B, S, D]` tensors.
    static func split(_ qkv: Tensor) throws(TensorError) -> (Tensor, Tensor, Tensor) {
        let batch = qkv.shape[0], tokens = qkv.shape[1], d = qkv.shape[2] / 3, rows = batch * tokens
        var parts = [try Tensor(shape: [batch, tokens, d]), try Tensor(shape: [batch, tokens, d]), try Tensor(shape: [batch, tokens, d])]
        qkv.withUnsafeBufferPointer { src in
            for part in 0..<3 {
                parts[part].withUnsafeMutableBufferPointer { dst in
                    for r in 0..<rows {
                        for i in 0..<d { dst[r * d + i] = src[r * 3 * d + part * d + i] }
                    }
                }
            }
        }
        return (parts[0], parts[1], parts[2])
    }
}
