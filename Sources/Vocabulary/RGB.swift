/// An 8-bit RGB colour: a class colour in a palette or colour-coded label file.
///
/// Defined here so the Vocabulary module stands alone; the integrator may unify it
/// with the LabelMaps module's colour type.
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

    /// `(r,g,b)`, the form used in error messages and summaries.
    public var description: String { "(\(r),\(g),\(b))" }
}
