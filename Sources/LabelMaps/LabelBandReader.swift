/// A label file read a band of rows at a time, so that large tiles (e.g. ISPRS Potsdam's
/// 6000×6000 labels) are counted without holding the whole map (docs/label-files.md §2).
///
/// Rows come in order, top to bottom; each call continues where the last stopped. Values are
/// exactly those `LabelMapReader.decode` gives for the same file: the file's colour type (or the
/// `LabelFormat` asked for) decides whether they are gray values, palette indices or colours
/// looked up in a `ColorTable`.
public protocol LabelBandReader: AnyObject {
    /// The file path or name, for error messages.
    var name: String { get }
    var width: Int { get }
    var height: Int { get }
    /// True when values come from colours through a colour table (`LabelMap.isColorCoded`).
    var isColorCoded: Bool { get }
    /// A good band height for this file: a multiple of what its decoder produces at once.
    var preferredBandRows: Int { get }
    /// Rows already handed out.
    var rowsRead: Int { get }
    /// GeoTIFF tags of the file, nil when it has none (and for PNG).
    var georeferencing: Georeferencing? { get }
    /// The file's bytes when the reader holds them anyway (PNG), so callers can hash them
    /// without reading the file again; nil for readers that stream the file (TIFF).
    var fileBytes: [UInt8]? { get }
    /// Decodes the next `rows` rows into `output`, which must hold at least `rows × width` values.
    /// Throws when fewer than `rows` rows remain, and on corrupt data or an unknown colour
    /// (the error names the pixel in whole-image coordinates).
    func readRows(_ rows: Int, into output: UnsafeMutableBufferPointer<UInt16>) throws(LabelMapError)
}

extension LabelBandReader {
    /// Reads all remaining rows into one `LabelMap` (the whole map when nothing was read yet).
    public func readRemaining() throws(LabelMapError) -> LabelMap {
        let rows = height - rowsRead
        var failure: LabelMapError?
        let values = [UInt16](unsafeUninitializedCapacity: rows * width) { output, initialized in
            do throws(LabelMapError) {
                try readRows(rows, into: output)
            } catch {
                failure = error
                output.initialize(repeating: 0)
            }
            initialized = rows * width
        }
        if let failure { throw failure }
        var map = LabelMap(width: width, height: rows, values: values)
        map.isColorCoded = isColorCoded
        return map
    }
}

/// Opening label files as band readers, whatever their container.
public enum LabelBandReaders {
    /// Opens the label file at `path`: TIFF and non-interlaced PNG are streamed (only the header
    /// is read here); interlaced PNG, and PNG read with a label format, are decoded whole and
    /// handed out in bands; JPEG is refused (lossy). Other files go to the PNG
    /// decoder, whose error says they are not PNG.
    public static func open(
        path: String, colors: ColorTable?, format: LabelFormat? = nil,
        maxPixels: Int = LabelMapReader.defaultMaxPixels
    ) throws(LabelMapError) -> any LabelBandReader {
        let head = try FileBytes.head(path: path, count: 8)
        switch RasterFileFormat.sniff(head) {
        case .tiff:
            return try TIFFLabelReader(path: path, colors: colors, format: format, maxPixels: maxPixels)
        case .jpeg:
            throw LabelMapReader.jpegRefusal(name: path)
        case .png, nil:
            // Rows straight from libpng when nothing needs the whole map (a label format reads
            // the whole file; interlaced rows only exist once every pass is read).
            if format == nil, let reader = try PNGBandReader(path: path, colors: colors, maxPixels: maxPixels) {
                return reader
            }
            let bytes: [UInt8]
            let map: LabelMap
            do {
                bytes = try FileBytes.read(path: path)
                map = try LabelMapReader.decode(bytes: bytes, name: path, colors: colors, format: format, maxPixels: maxPixels)
            } catch let error as LabelMapError {
                throw error
            } catch {
                throw LabelMapError(.corrupt, file: path, detail: "\(error)")
            }
            return DecodedBandReader(name: path, map: map, fileBytes: bytes)
        }
    }
}

/// Bands of a map decoded whole (the PNG path: libpng decodes the file at once).
public final class DecodedBandReader: LabelBandReader {
    public let name: String
    public let fileBytes: [UInt8]?
    private let map: LabelMap
    public private(set) var rowsRead = 0

    public init(name: String, map: LabelMap, fileBytes: [UInt8]? = nil) {
        self.name = name
        self.map = map
        self.fileBytes = fileBytes
    }

    public var width: Int { map.width }
    public var height: Int { map.height }
    public var isColorCoded: Bool { map.isColorCoded }
    public var preferredBandRows: Int { 64 }
    public var georeferencing: Georeferencing? { nil }

    public func readRows(_ rows: Int, into output: UnsafeMutableBufferPointer<UInt16>) throws(LabelMapError) {
        guard rows >= 0, rowsRead + rows <= height, output.count >= rows * width else {
            throw LabelMapError(.invalidArgument, file: name,
                                detail: "cannot read \(rows) rows from row \(rowsRead) of \(height)")
        }
        let start = rowsRead * width
        map.values.withUnsafeBufferPointer { values in
            for i in 0..<(rows * width) { output[i] = values[start + i] }
        }
        rowsRead += rows
    }
}
