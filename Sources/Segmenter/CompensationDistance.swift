import Tensor

/// The distance SGSeg's training loss keeps small between the tuned and the frozen encoder's
/// dense features (docs/sgseg-released.md §2), as a diagnostic of how far fine-tuning drifted:
///
/// `SmoothL1_mean(POD(ReLU(F_tuned)), POD(ReLU(F_frozen)))` with β = 1, where POD average-pools
/// a `C×g×g` map onto 1×1, 2×2 and 4×4 grids (kernel `g / s`) and concatenates each grid's row
/// sums and column sums. The training loss is 0.1 × this value.
public enum CompensationDistance {
    public static let scales = [1, 2, 4]

    /// Distance for one feature map pair `[C, g, g]` (or `[1, C, g, g]`), optionally restricted to
    /// the grid cells where `mask` is true (the other cells are zeroed before pooling, in both maps).
    public static func distance(tuned: Tensor, frozen: Tensor, mask: [Bool]? = nil) throws(SegmenterError) -> Double {
        let shape = tuned.rank == 4 ? Array(tuned.shape.dropFirst()) : tuned.shape
        guard tuned.shape == frozen.shape, shape.count == 3, tuned.rank == 3 || tuned.shape[0] == 1 else {
            throw SegmenterError(.input, "compensation distance needs two [C, H, W] maps of one shape, got \(tuned.shape) and \(frozen.shape)")
        }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        if let mask, mask.count != h * w {
            throw SegmenterError(.input, "a region mask of \(mask.count) cells does not match a \(h)×\(w) feature grid")
        }
        let a = pooledDescriptor(tuned.scalars, channels: c, height: h, width: w, mask: mask)
        let b = pooledDescriptor(frozen.scalars, channels: c, height: h, width: w, mask: mask)
        guard !a.isEmpty else { throw SegmenterError(.input, "the feature grid \(h)×\(w) is too small to pool") }
        var total = 0.0
        for i in a.indices {
            let d = abs(a[i] - b[i])
            total += d < 1 ? 0.5 * d * d : d - 0.5
        }
        return total / Double(a.count)
    }

    /// POD of `ReLU(x)`: per scale, average pools of kernel `width / s`, then the sums over rows
    /// (one value per channel and pooled column) and over columns (per channel and pooled row).
    static func pooledDescriptor(_ x: [Float], channels c: Int, height h: Int, width w: Int, mask: [Bool]?) -> [Double] {
        var descriptor: [Double] = []
        for scale in scales {
            let kernel = w / scale
            guard kernel > 0 else { continue }
            let rows = h / kernel, columns = w / kernel
            guard rows > 0, columns > 0 else { continue }
            var horizontal = [Double](repeating: 0, count: c * columns)
            var vertical = [Double](repeating: 0, count: c * rows)
            for channel in 0..<c {
                for py in 0..<rows {
                    for px in 0..<columns {
                        var sum: Float = 0
                        for y in (py * kernel)..<((py + 1) * kernel) {
                            for xx in (px * kernel)..<((px + 1) * kernel) {
                                let cell = y * w + xx
                                if let mask, !mask[cell] { continue }
                                sum += max(x[(channel * h + y) * w + xx], 0)
                            }
                        }
                        let mean = Double(sum) / Double(kernel * kernel)
                        horizontal[channel * columns + px] += mean
                        vertical[channel * rows + py] += mean
                    }
                }
            }
            descriptor += horizontal
            descriptor += vertical
        }
        return descriptor
    }

    /// Which cells of a `grid×grid` feature map belong to a class set: a cell is in the region when
    /// the most frequent evaluated class among the image pixels it covers is in `classes`.
    /// `labels` holds evaluation ids (−1 = not evaluated) of a `width×height` image that the
    /// feature map covers whole (the global view).
    public static func regionMask(
        labels: [Int32], width: Int, height: Int, grid: Int, classes: Set<Int32>, classCount: Int
    ) -> [Bool] {
        var mask = [Bool](repeating: false, count: grid * grid)
        guard width > 0, height > 0, labels.count == width * height, classCount > 0 else { return mask }
        var counts = [Int](repeating: 0, count: classCount)
        for gy in 0..<grid {
            let y0 = gy * height / grid, y1 = max(y0 + 1, (gy + 1) * height / grid)
            for gx in 0..<grid {
                let x0 = gx * width / grid, x1 = max(x0 + 1, (gx + 1) * width / grid)
                for i in counts.indices { counts[i] = 0 }
                for y in y0..<min(y1, height) {
                    for x in x0..<min(x1, width) {
                        let label = Int(labels[y * width + x])
                        if label >= 0 && label < classCount { counts[label] += 1 }
                    }
                }
                var best = -1, bestCount = 0
                for (label, count) in counts.enumerated() where count > bestCount {
                    best = label
                    bestCount = count
                }
                if best >= 0 && classes.contains(Int32(best)) { mask[gy * grid + gx] = true }
            }
        }
        return mask
    }
}
