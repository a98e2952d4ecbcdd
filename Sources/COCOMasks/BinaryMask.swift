/// A binary mask in row-major order (`pixels[y * width + x]`, 0 or 1): the form predictions read
/// from PNG files take, and the form intersections are counted on.
public struct BinaryMask: Sendable, Equatable {
    public let height: Int
    public let width: Int
    /// Row-major, one byte per pixel, 0 (outside) or 1 (inside).
    public private(set) var pixels: [UInt8]

    /// An empty mask.
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
        pixels = [UInt8](repeating: 0, count: height * width)
    }

    /// A mask from row-major values; any non-zero value is inside.
    public init(height: Int, width: Int, rowMajor values: [UInt8]) {
        precondition(values.count == height * width, "mask values do not match its size")
        self.height = height
        self.width = width
        pixels = values.map { $0 == 0 ? 0 : 1 }
    }

    /// Pixels inside the mask.
    public var area: Int {
        var total = 0
        for value in pixels { total &+= Int(value) }
        return total
    }

    public subscript(x x: Int, y y: Int) -> Bool {
        get { pixels[y * width + x] != 0 }
        set { pixels[y * width + x] = newValue ? 1 : 0 }
    }

    /// The union of two masks of the same size.
    public func union(_ other: BinaryMask) -> BinaryMask {
        precondition(other.height == height && other.width == width, "masks of different sizes")
        var result = self
        for index in pixels.indices where other.pixels[index] != 0 { result.pixels[index] = 1 }
        return result
    }

    /// Pixels inside both masks (same size required).
    public func intersectionArea(_ other: BinaryMask) -> Int {
        precondition(other.height == height && other.width == width, "masks of different sizes")
        var total = 0
        for index in pixels.indices { total &+= Int(pixels[index] & other.pixels[index]) }
        return total
    }
}
