/// A COCO run-length encoded mask (docs/referring.md §2).
///
/// The pixels are visited in column-major order (down the first column, then the next: index
/// `x * height + y`), and `counts` alternates run lengths of outside and inside pixels, starting
/// with outside (so a mask whose first pixel is inside starts with a count of 0). The counts sum
/// to `height * width`; `init(height:width:counts:)` checks it.
public struct RunLengthMask: Sendable, Equatable {
    public let height: Int
    public let width: Int
    public let counts: [UInt32]

    /// The largest mask accepted, 2³⁰ pixels (32768²): a sample's target and prediction are held
    /// decoded (a byte per pixel), so a forged `size` must not trigger a huge allocation; COCO's
    /// 32-bit counts would allow 2³² − 1.
    public static let maximumPixels = 1 << 30

    /// A mask from uncompressed counts (COCO's `{"size": [h, w], "counts": [...]}`).
    public init(height: Int, width: Int, counts: [UInt32]) throws(COCOMaskError) {
        try Self.checkSize(height: height, width: width)
        var total = 0
        for count in counts { total += Int(count) }
        guard total == height * width else {
            throw COCOMaskError("RLE counts sum to \(total), but the mask is \(height)×\(width) = \(height * width) pixels")
        }
        self.height = height
        self.width = width
        self.counts = counts
    }

    /// Counts already known to be valid (encoders in this module).
    init(uncheckedHeight height: Int, width: Int, counts: [UInt32]) {
        self.height = height
        self.width = width
        self.counts = counts
    }

    static func checkSize(height: Int, width: Int) throws(COCOMaskError) {
        guard height >= 1, width >= 1 else { throw COCOMaskError("mask size \(height)×\(width) is empty") }
        guard height.multipliedReportingOverflow(by: width).overflow == false, height * width <= maximumPixels else {
            throw COCOMaskError("mask size \(height)×\(width) exceeds \(maximumPixels) pixels")
        }
    }

    /// The run-length encoding of a mask (what pycocotools' `encode` computes).
    public init(encoding mask: BinaryMask) {
        var counts: [UInt32] = []
        var current: UInt8 = 0
        var run: UInt32 = 0
        for x in 0..<mask.width {
            for y in 0..<mask.height {
                let value = mask.pixels[y * mask.width + x]
                if value != current {
                    counts.append(run)
                    run = 0
                    current = value
                }
                run += 1
            }
        }
        counts.append(run)
        self.init(uncheckedHeight: mask.height, width: mask.width, counts: counts)
    }

    /// Pixels inside the mask: the sum of the odd-indexed counts.
    public var area: Int {
        var total = 0
        var index = 1
        while index < counts.count {
            total += Int(counts[index])
            index += 2
        }
        return total
    }

    /// The mask in row-major order.
    public func decoded() -> BinaryMask {
        var mask = BinaryMask(height: height, width: width)
        var position = 0
        var inside = false
        for count in counts {
            let run = Int(count)
            if inside {
                for index in position..<(position + run) {
                    let x = index / height
                    let y = index - x * height
                    mask[x: x, y: y] = true
                }
            }
            position += run
            inside.toggle()
        }
        return mask
    }
}
