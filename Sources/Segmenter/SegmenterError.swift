/// Why a checkpoint, an image or a request cannot be segmented; messages name the file, key or value.
public struct SegmenterError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
