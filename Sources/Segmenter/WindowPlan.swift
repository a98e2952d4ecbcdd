import Tensor

/// CAT-Seg's sliding-window inference (docs/segmentation-core.md §4.9): the image is resized
/// to `resolution²`, cut into `window²` tiles at `stride` (nn.Unfold order, row-major), and a
/// global view (the whole image resized to `window²`) is appended as the last batch item.
/// Probabilities come back through nn.Fold divided by the overlap count, averaged with the
/// global view resized to `resolution²`.
public struct WindowPlan: Sendable, Equatable {
    public let resolution: Int
    public let window: Int
    public let stride: Int
    /// Top-left corners (y, x) of the local windows, in nn.Unfold order.
    public let offsets: [(y: Int, x: Int)]

    public init(resolution: Int, window: Int, stride: Int) throws(SegmenterError) {
        guard resolution > 0, window > 0, stride > 0, window <= resolution else {
            throw SegmenterError(.input,
                "sliding window \(window) with stride \(stride) does not fit an output resolution of \(resolution)")
        }
        guard (resolution - window) % stride == 0 else {
            throw SegmenterError(.input,
                "sliding windows of \(window) at stride \(stride) leave the border of a \(resolution)² image uncovered "
                    + "((\(resolution) − \(window)) must be a multiple of \(stride))")
        }
        self.resolution = resolution
        self.window = window
        self.stride = stride
        let blocks = (resolution - window) / stride + 1
        var offsets: [(y: Int, x: Int)] = []
        for by in 0..<blocks {
            for bx in 0..<blocks { offsets.append((by * stride, bx * stride)) }
        }
        self.offsets = offsets
    }

    public static func == (lhs: WindowPlan, rhs: WindowPlan) -> Bool {
        lhs.resolution == rhs.resolution && lhs.window == rhs.window && lhs.stride == rhs.stride
    }

    /// The local windows then the global view: `[windows + 1, 3, window, window]`, still in 0–255.
    public func windows(of image: Tensor) throws(SegmenterError) -> Tensor {
        do {
            let resized = try image.resized(to: .size(height: resolution, width: resolution), mode: .bilinear)
            let global = try image.resized(to: .size(height: window, width: window), mode: .bilinear)
            let plane = window * window
            var scalars = [Float](repeating: 0, count: (offsets.count + 1) * 3 * plane)
            let source = resized.scalars
            for (index, offset) in offsets.enumerated() {
                for channel in 0..<3 {
                    let base = (index * 3 + channel) * plane
                    let sourcePlane = channel * resolution * resolution
                    for y in 0..<window {
                        let from = sourcePlane + (offset.y + y) * resolution + offset.x
                        for x in 0..<window { scalars[base + y * window + x] = source[from + x] }
                    }
                }
            }
            let globalBase = offsets.count * 3 * plane
            for (i, value) in global.scalars.enumerated() { scalars[globalBase + i] = value }
            return try Tensor(shape: [offsets.count + 1, 3, window, window], scalars: scalars)
        } catch {
            throw SegmenterError(.model, "sliding windows: \(error)", underlying: error)
        }
    }

    /// Combines per-window probabilities `[windows + 1, T, window, window]` into `[T, resolution, resolution]`:
    /// the folded local maps divided by their overlap count, averaged with the global view.
    public func combine(_ probabilities: Tensor) throws(SegmenterError) -> Tensor {
        guard probabilities.rank == 4, probabilities.shape[0] == offsets.count + 1,
              probabilities.shape[2] == window, probabilities.shape[3] == window else {
            throw SegmenterError(.input,
                "window probabilities \(probabilities.shape) do not match \(offsets.count + 1) windows of \(window)²")
        }
        let t = probabilities.shape[1]
        let area = resolution * resolution
        let plane = window * window
        var sum = [Float](repeating: 0, count: t * area)
        var overlap = [Float](repeating: 0, count: area)
        let source = probabilities.scalars
        for (index, offset) in offsets.enumerated() {
            for y in 0..<window {
                for x in 0..<window { overlap[(offset.y + y) * resolution + offset.x + x] += 1 }
            }
            for c in 0..<t {
                let from = (index * t + c) * plane
                let to = c * area
                for y in 0..<window {
                    let row = to + (offset.y + y) * resolution + offset.x
                    for x in 0..<window { sum[row + x] += source[from + y * window + x] }
                }
            }
        }
        do {
            let globalStart = offsets.count * t * plane
            let global = try Tensor(shape: [1, t, window, window], scalars: Array(source[globalStart..<(globalStart + t * plane)]))
                .resized(to: .size(height: resolution, width: resolution), mode: .bilinear)
            let globalScalars = global.scalars
            var combined = [Float](repeating: 0, count: t * area)
            for c in 0..<t {
                for p in 0..<area {
                    let local = sum[c * area + p] / overlap[p]
                    combined[c * area + p] = (local + globalScalars[c * area + p]) / 2
                }
            }
            return try Tensor(shape: [t, resolution, resolution], scalars: combined)
        } catch {
            throw SegmenterError(.model, "combining windows: \(error)", underlying: error)
        }
    }
}
