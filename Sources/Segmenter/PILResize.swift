/// Pillow's `Image.resize(size, Image.BILINEAR)` on 8-bit RGB, reproduced exactly.
///
/// detectron2's test-time `ResizeShortestEdge` resizes uint8 images with PIL, so
/// CAT-Seg and SGSeg see PIL's output: a triangle filter whose support widens with the
/// downscaling factor (antialiasing), fixed-point weights with 22 fractional bits, and
/// a horizontal pass then a vertical pass, each rounded to 8 bits.
enum PILResize {
    private static let precisionBits = 32 - 8 - 2

    /// Per output index: first source index and fixed-point weights.
    struct Coefficients {
        var start: [Int]
        var weights: [[Int32]]
    }

    static func coefficients(input: Int, output: Int) -> Coefficients {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale
        var starts = [Int]()
        var weights = [[Int32]]()
        for index in 0..<output {
            let center = (Double(index) + 0.5) * scale
            let inverse = 1.0 / filterScale
            var minimum = Int(center - support + 0.5)  // C truncation, then clamped
            if minimum < 0 { minimum = 0 }
            var maximum = Int(center + support + 0.5)
            if maximum > input { maximum = input }
            let count = max(0, maximum - minimum)
            var raw = [Double](repeating: 0, count: count)
            var total = 0.0
            for k in 0..<count {
                var x = (Double(k + minimum) - center + 0.5) * inverse
                if x < 0 { x = -x }
                let w = x < 1 ? 1 - x : 0
                raw[k] = w
                total += w
            }
            let unit = Double(1 << precisionBits)
            let fixed: [Int32] = raw.map { value in
                let normalised = total != 0 ? value / total : value
                return normalised < 0 ? Int32(normalised * unit - 0.5) : Int32(normalised * unit + 0.5)
            }
            starts.append(minimum)
            weights.append(fixed)
        }
        return Coefficients(start: starts, weights: weights)
    }

    private static func clip8(_ value: Int64) -> UInt8 {
        if value >= Int64(1) << (precisionBits + 8) { return 255 }
        if value <= 0 { return 0 }
        return UInt8(truncatingIfNeeded: value >> precisionBits)
    }

    /// Resizes `image` to `width × height` as Pillow's BILINEAR resample does.
    static func resize(_ image: RGBImage, width: Int, height: Int) throws(SegmenterError) -> RGBImage {
        var pixels = image.pixels
        var currentWidth = image.width
        let rounding = Int64(1) << (precisionBits - 1)
        if width != image.width {
            let c = coefficients(input: image.width, output: width)
            var out = [UInt8](repeating: 0, count: width * image.height * 3)
            for y in 0..<image.height {
                for x in 0..<width {
                    for channel in 0..<3 {
                        var sum = rounding
                        for (k, weight) in c.weights[x].enumerated() {
                            sum += Int64(pixels[(y * currentWidth + c.start[x] + k) * 3 + channel]) * Int64(weight)
                        }
                        out[(y * width + x) * 3 + channel] = clip8(sum)
                    }
                }
            }
            pixels = out
            currentWidth = width
        }
        if height != image.height {
            let c = coefficients(input: image.height, output: height)
            var out = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    for channel in 0..<3 {
                        var sum = rounding
                        for (k, weight) in c.weights[y].enumerated() {
                            sum += Int64(pixels[((c.start[y] + k) * width + x) * 3 + channel]) * Int64(weight)
                        }
                        out[(y * width + x) * 3 + channel] = clip8(sum)
                    }
                }
            }
            pixels = out
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// detectron2 `ResizeShortestEdge(short, max)` output size: scale the short side to `short`,
    /// cap the long side at `maximum`, round each side with `int(v + 0.5)`.
    static func shortestEdgeSize(width: Int, height: Int, short: Int, maximum: Int) -> (width: Int, height: Int) {
        let h = Double(height), w = Double(width)
        let scale = Double(short) / min(h, w)
        var newH: Double, newW: Double
        if h < w {
            newH = Double(short)
            newW = scale * w
        } else {
            newH = scale * h
            newW = Double(short)
        }
        if max(newH, newW) > Double(maximum) {
            let cap = Double(maximum) / max(newH, newW)
            newH *= cap
            newW *= cap
        }
        return (Int(newW + 0.5), Int(newH + 0.5))
    }
}
