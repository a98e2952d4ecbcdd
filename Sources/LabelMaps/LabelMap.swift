/// A decoded label map: one class id (or ignore value) per pixel, row-major.
///
/// Values are `UInt16` so 16-bit label files (e.g. ignore 65535) keep their
/// values; 8-bit and palette files are widened without change.
public struct LabelMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height` values; pixel (x, y) is at `y * width + x`.
    public var values: [UInt16]
    /// True when the values came from an RGB colour-coded file through a colour table, so
    /// they are already evaluation ids (no `reduce_zero_label` may be applied to them).
    public var isColorCoded: Bool = false

    /// Wraps `values`; their count must be `width * height` (a programming error otherwise).
    public init(width: Int, height: Int, values: [UInt16]) {
        precondition(width >= 0 && height >= 0, "LabelMap size must not be negative")
        precondition(values.count == width * height,
                     "LabelMap of \(width)x\(height) needs \(width * height) values, got \(values.count)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// A map with every pixel set to `value`.
    public init(width: Int, height: Int, repeating value: UInt16) {
        self.init(width: width, height: height, values: [UInt16](repeating: value, count: width * height))
    }

    /// The value at column `x`, row `y`.
    public subscript(x x: Int, y y: Int) -> UInt16 {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// The (x, y) position of a row-major index, for error messages.
    func position(ofIndex index: Int) -> (x: Int, y: Int) {
        width > 0 ? (index % width, index / width) : (0, 0)
    }
}
