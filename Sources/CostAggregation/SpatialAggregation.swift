import Foundation
import Tensor

/// A `(weight, bias)` pair of an `nn.Linear` or `nn.LayerNorm`.
typealias Affine = (weight: Tensor, bias: Tensor)

/// One guided Swin block (`swin_block.block_{1,2}`, docs/segmentation-core.md §4.6):
/// `x += proj(WindowAttention([LN1(x), g]))`, `x += fc2(GELU(fc1(LN2(x))))`,
/// q and k from the concatenation with the (layer-normed) appearance guidance
/// `g`, v from `LN1(x)` alone, no relative position bias, −100 between regions
/// of a shifted window.
///
/// The q/k weights are split at load into the part that reads `x` and the
/// part that reads `g`: `g` is the same for every class of an image, so its
/// contribution is one GEMM per image pixel, added to the per-class products.
/// The three `x` projections are stacked into one `[3C, C]` GEMM.
struct SwinBlock: Sendable {
    let norm1: Affine
    /// `[3C, C]` (q, k, v rows) and `[3C]`.
    let qkv: Affine
    /// `[2C, Cg]`: the guidance columns of q and k.
    let guidanceQK: Tensor
    let projection: Affine
    let norm2: Affine
    let fc1: Affine
    let fc2: Affine

    /// `g·[Wq_g; Wk_g]ᵀ` for the normed guidance rows `[B·H·W, Cg]` → `[B·H·W, 2C]`.
    func guidanceTerms(_ guidance: Tensor) throws(TensorError) -> Tensor {
        try Tensor.linear(guidance, weight: guidanceQK)
    }

    /// Runs the block on `x` = `[maps·H·W, C]` (maps = images × classes, class
    /// maps of image `b` at `b·classes ..< (b+1)·classes`).
    func apply(
        _ x: inout Tensor, guidance: Tensor, maps: Int, classes: Int, resolution: Int,
        window: SwinWindows, heads: Int
    ) throws(TensorError) {
        let c = norm1.weight.count
        let pixels = resolution * resolution
        let u = try x.layerNorm(weight: norm1.weight, bias: norm1.bias)
        let qkvRows = try Tensor.linear(u, weight: qkv.weight, bias: qkv.bias)
        let headWidth = c / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let tokens = window.size * window.size
        var windowRows = [Float](repeating: 0, count: tokens * 3 * c)
        var scores = [Float](repeating: 0, count: tokens * tokens)
        var windowOut = [Float](repeating: 0, count: tokens * c)
        var attended = [Float](repeating: 0, count: maps * pixels * c)
        try qkvRows.scalars.withUnsafeBufferPointer { (pqkv) throws(TensorError) in
        try guidance.scalars.withUnsafeBufferPointer { (pg) throws(TensorError) in
        try windowRows.withUnsafeMutableBufferPointer { (pw) throws(TensorError) in
        try scores.withUnsafeMutableBufferPointer { (ps) throws(TensorError) in
        try windowOut.withUnsafeMutableBufferPointer { (po) throws(TensorError) in
        try attended.withUnsafeMutableBufferPointer { (pa) throws(TensorError) in
            let rows = pw.baseAddress!, sc = ps.baseAddress!, out = po.baseAddress!
            for map in 0..<maps {
                let image = map / classes
                for w in 0..<window.count {
                    let pixelsOfWindow = window.pixels[w]
                    // Gather the window's q|k|v rows, adding the image's guidance terms to q and k.
                    for (i, pixel) in pixelsOfWindow.enumerated() {
                        let dst = rows + i * 3 * c
                        dst.update(from: pqkv.baseAddress! + (map * pixels + pixel) * 3 * c, count: 3 * c)
                        let g = pg.baseAddress! + (image * pixels + pixel) * 2 * c
                        for j in 0..<(2 * c) { dst[j] += g[j] }
                    }
                    for h in 0..<heads {
                        try BLAS.sgemm(
                            transposeA: false, transposeB: true, m: tokens, n: tokens, k: headWidth, alpha: scale,
                            a: rows + h * headWidth, lda: 3 * c, b: rows + c + h * headWidth, ldb: 3 * c,
                            c: sc, ldc: tokens)
                        if let labels = window.labels?[w] {
                            for i in 0..<tokens {
                                let row = sc + i * tokens
                                for j in 0..<tokens where labels[i] != labels[j] { row[j] += -100 }
                            }
                        }
                        for i in 0..<tokens { Tensor.softmaxRow(sc + i * tokens, count: tokens) }
                        try BLAS.sgemm(
                            transposeA: false, transposeB: false, m: tokens, n: headWidth, k: tokens,
                            a: sc, lda: tokens, b: rows + 2 * c + h * headWidth, ldb: 3 * c,
                            c: out + h * headWidth, ldc: c)
                    }
                    // Windows tile the map, so each pixel is written exactly once (the reverse shift).
                    for (i, pixel) in pixelsOfWindow.enumerated() {
                        (pa.baseAddress! + (map * pixels + pixel) * c).update(from: out + i * c, count: c)
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        let attendedRows = try Tensor(shape: [maps * pixels, c], scalars: attended)
        addInPlace(&x, try Tensor.linear(attendedRows, weight: projection.weight, bias: projection.bias))
        var hidden = try Tensor.linear(try x.layerNorm(weight: norm2.weight, bias: norm2.bias),
                                       weight: fc1.weight, bias: fc1.bias)
        geluInPlace(&hidden)
        addInPlace(&x, try Tensor.linear(hidden, weight: fc2.weight, bias: fc2.bias))
    }
}

/// Window bookkeeping of one Swin block on a square map: for each window (row
/// major) the original pixel index of each of its tokens (row major inside
/// the window of the cyclically shifted map), and for a shifted block the
/// region label of each token (tokens of different regions get −100).
struct SwinWindows {
    let size: Int
    let pixels: [[Int]]
    let labels: [[Int]]?
    var count: Int { pixels.count }

    /// As the authors' block: a map not larger than the window is one window
    /// without shift.
    init(resolution: Int, window requested: Int, shift requestedShift: Int) {
        let window = resolution <= requested ? resolution : requested
        let shift = resolution <= requested ? 0 : requestedShift
        let perSide = resolution / window
        var pixels: [[Int]] = []
        var labels: [[Int]] = []
        func region(_ v: Int) -> Int { v < resolution - window ? 0 : v < resolution - shift ? 1 : 2 }
        for wy in 0..<perSide {
            for wx in 0..<perSide {
                var p: [Int] = [], l: [Int] = []
                for iy in 0..<window {
                    for ix in 0..<window {
                        let ys = wy * window + iy, xs = wx * window + ix
                        p.append(((ys + shift) % resolution) * resolution + (xs + shift) % resolution)
                        l.append(region(ys) * 3 + region(xs))
                    }
                }
                pixels.append(p)
                labels.append(l)
            }
        }
        size = window
        self.pixels = pixels
        self.labels = shift > 0 ? labels : nil
    }
}

/// `swin_block` of one aggregator layer: `guidance_norm` and the two blocks
/// (shift 0, then window/2).
struct SwinPair: Sendable {
    let guidanceNorm: Affine
    let first: SwinBlock
    let second: SwinBlock
}
