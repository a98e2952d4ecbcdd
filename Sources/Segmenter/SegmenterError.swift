/// Why a checkpoint, an image or a request cannot be segmented: a kind, the file it concerns where
/// there is one, a message naming the file, key or value, and the lower-level error it wraps.
public struct SegmenterError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The checkpoint lacks a tensor or key, or holds values the segmenter cannot use.
        case checkpoint
        /// An image cannot be read or is not 8-bit RGB(A).
        case image
        /// A request (size, windows, classes) cannot be served.
        case input
        /// A model computation failed (a tower or the head refused its input).
        case model
    }

    public let kind: Kind
    /// The file concerned, where there is one.
    public let file: String?
    public let message: String
    /// The error this one wraps, where there is one.
    public let underlying: (any Error)?

    public init(_ kind: Kind, file: String? = nil, _ message: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.file = file
        self.message = message
        self.underlying = underlying
    }

    /// Wraps a lower-level error: its description becomes the message.
    public init(_ kind: Kind, file: String? = nil, wrapping error: any Error) {
        self.init(kind, file: file, "\(error)", underlying: error)
    }

    public var description: String { message }

    public static func == (lhs: SegmenterError, rhs: SegmenterError) -> Bool {
        lhs.kind == rhs.kind && lhs.file == rhs.file && lhs.message == rhs.message
    }
}
