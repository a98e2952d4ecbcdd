/// How the pixels of a label file are read, when a run insists on one reading instead of
/// letting the file's own colour type decide (`--label-format`, or a vocabulary's release format).
///
/// - `index`: class values are stored directly: gray samples, or a palette file's indices.
///   A three-channel file whose channels are equal everywhere (gray labels saved as RGB) is read
///   through its first channel; one whose channels differ is an error naming the first pixel.
/// - `palette`: the file must be a palette file; its indices are the values.
/// - `color`: class colours: RGB(A) pixels, or a palette file's entries, looked up in the colour table.
public enum LabelFormat: String, Sendable, CaseIterable, Codable {
    case index
    case palette
    case color
}

/// The container a label or image file is stored in, recognised by its first bytes.
public enum RasterFileFormat: String, Sendable, CaseIterable {
    case png
    case tiff
    case jpeg

    /// File-name extensions (lower case, without the dot) that hold each format.
    public var extensions: [String] {
        switch self {
        case .png: ["png"]
        case .tiff: ["tif", "tiff"]
        case .jpeg: ["jpg", "jpeg"]
        }
    }

    /// The format whose signature starts `bytes`, or `nil`.
    public static func sniff<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> RasterFileFormat? {
        let head = Array(bytes.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return .png }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
            || head.starts(with: [0x49, 0x49, 0x2B, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2B]) {
            return .tiff
        }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// The format an extension names (case-insensitive), or `nil`.
    public init?(extension ext: String) {
        let lower = ext.lowercased()
        guard let match = Self.allCases.first(where: { $0.extensions.contains(lower) }) else { return nil }
        self = match
    }
}
