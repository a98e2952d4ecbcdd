/// Why a COCO segmentation could not be turned into a mask. The message says what is wrong with
/// the value; the caller (the annotation reader) adds the file and the sample.
public struct COCOMaskError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
