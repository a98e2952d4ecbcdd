/// Why a label map or PNG could not be read or written. The description is one
/// line naming the file and the problem (libpng's own message included where
/// there is one), ready to show to the user.
public struct LabelMapError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of problem, for callers that react differently (e.g. skip missing files).
    public enum Kind: Sendable, Equatable {
        case cannotOpen
        case notPNG
        /// A container not read in this role: a JPEG label map (lossy, refused), or TIFF imagery.
        case unsupportedFormat
        case corrupt
        case unsupportedLayout
        /// The file is not what a forced `LabelFormat` reads (e.g. RGB for `palette`, or an RGB
        /// file with unequal channels for `index`).
        case labelFormatMismatch
        case colorTableNeeded
        case unknownColor
        case valueOutOfRange
        case tooLarge
        case invalidArgument
        case writeFailed
    }

    public let kind: Kind
    /// The file path or name given by the caller.
    public let file: String
    /// What went wrong, without the file name.
    public let detail: String

    public init(_ kind: Kind, file: String, detail: String) {
        self.kind = kind
        self.file = file
        self.detail = detail
    }

    public var description: String { "\(file): \(detail)" }
}
