/// An 8-bit sRGB colour as stored in a PNG: used for colour-coded label maps
/// (each class has one colour) and for palettes written into palette PNGs.
public struct RGB: Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.init(r: r, g: g, b: b)
    }

    /// `(r,g,b)` with decimal components, as it appears in error messages.
    public var description: String { "(\(r),\(g),\(b))" }

    /// The colour as `0x00RRGGBB`: the key of the fast colour table.
    @inline(__always)
    var packed: UInt32 { UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) }

    @inline(__always)
    init(packed: UInt32) {
        self.init(r: UInt8(truncatingIfNeeded: packed >> 16),
                  g: UInt8(truncatingIfNeeded: packed >> 8),
                  b: UInt8(truncatingIfNeeded: packed))
    }
}
