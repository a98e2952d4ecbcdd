import CPNGRaw

/// The colour type and bit depth a PNG file declares, with its palette.
/// `bitDepth` is the depth in the file (1, 2, 4, 8 or 16).
public enum PNGLayout: Sendable, Equatable {
    case gray(bitDepth: Int)
    case grayAlpha(bitDepth: Int)
    case palette(bitDepth: Int, entries: [RGB])
    case rgb(bitDepth: Int)
    case rgba(bitDepth: Int)

    /// Samples per pixel in `DecodedPNG.samples`.
    public var channels: Int {
        switch self {
        case .gray, .palette: 1
        case .grayAlpha: 2
        case .rgb: 3
        case .rgba: 4
        }
    }

    public var bitDepth: Int {
        switch self {
        case .gray(let depth), .grayAlpha(let depth), .palette(let depth, _), .rgb(let depth), .rgba(let depth):
            depth
        }
    }
}

/// Decoded samples: 8-bit storage for files of depth 1–8 (sub-byte samples
/// unpacked, values not scaled), 16-bit storage for 16-bit files.
public enum PNGSamples: Sendable, Equatable {
    case uint8([UInt8])
    case uint16([UInt16])
}

/// A PNG decoded to exactly the samples it stores: no gamma correction, no
/// palette expansion, no colour conversion. For callers that need raw access
/// (e.g. RGB images for a model); label maps should go through `LabelMapReader`.
public struct DecodedPNG: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let layout: PNGLayout
    /// Row-major, `layout.channels` interleaved samples per pixel.
    public let samples: PNGSamples

    /// Decodes a PNG held in memory. `name` is used in error messages.
    public static func decode(bytes: [UInt8], name: String,
                              maxPixels: Int = LabelMapReader.defaultMaxPixels) throws -> DecodedPNG {
        try make(.bytes(bytes), name: name, maxPixels: maxPixels)
    }

    /// Reads and decodes the PNG at `path` (libpng reads the file directly).
    public static func read(path: String, maxPixels: Int = LabelMapReader.defaultMaxPixels) throws -> DecodedPNG {
        try make(.file(path), name: path, maxPixels: maxPixels)
    }

    private static func make(_ source: RawPNG.Source, name: String, maxPixels: Int) throws -> DecodedPNG {
        try RawPNG.withDecoded(source, name: name, maxPixels: maxPixels) { image, layout in
            let count = image.size
            let samples: PNGSamples
            if image.bit_depth == 16 {
                samples = .uint16(Array(UnsafeBufferPointer(
                    start: UnsafeRawPointer(image.data)?.assumingMemoryBound(to: UInt16.self), count: count / 2)))
            } else {
                samples = .uint8(Array(UnsafeBufferPointer(start: image.data, count: count)))
            }
            return DecodedPNG(width: Int(image.width), height: Int(image.height), layout: layout, samples: samples)
        }
    }
}

/// The bridge to the C decoder: the only place that touches `ovpng_image`.
enum RawPNG {
    /// PNG colour-type codes (PNG specification, IHDR).
    static let colorTypeGray: Int32 = 0
    static let colorTypeRGB: Int32 = 2
    static let colorTypePalette: Int32 = 3
    static let colorTypeGrayAlpha: Int32 = 4
    static let colorTypeRGBA: Int32 = 6

    static let errorCapacity = 512

    /// Where the PNG comes from: bytes already in memory, or a file libpng reads itself.
    enum Source {
        case bytes([UInt8])
        case file(String)
    }

    /// Decodes `source` and passes the C image (valid only inside `body`) and its layout.
    static func withDecoded<Result>(_ source: Source, name: String, maxPixels: Int,
                                    _ body: (ovpng_image, PNGLayout) throws -> Result) throws -> Result {
        var image = ovpng_image()
        var message = [CChar](repeating: 0, count: errorCapacity)
        let bound = UInt64(max(maxPixels, 1))
        let status = message.withUnsafeMutableBufferPointer { text in
            switch source {
            case .bytes(let bytes):
                bytes.withUnsafeBufferPointer { buffer in
                    ovpng_read_memory(buffer.baseAddress, buffer.count, &image, bound, text.baseAddress, text.count)
                }
            case .file(let path):
                ovpng_read(path, &image, bound, text.baseAddress, text.count)
            }
        }
        defer { ovpng_free(&image) }
        guard status == Int32(OVPNG_OK) else {
            throw LabelMapError(kind(ofStatus: status), file: name, detail: describe(status: status, message: message, maxPixels: maxPixels))
        }
        return try body(image, layout(of: image))
    }

    static func kind(ofStatus status: Int32) -> LabelMapError.Kind {
        switch Int(status) {
        case Int(OVPNG_ERROR_OPEN): .cannotOpen
        case Int(OVPNG_ERROR_SIGNATURE): .notPNG
        case Int(OVPNG_ERROR_TOO_LARGE), Int(OVPNG_ERROR_MEMORY): .tooLarge
        case Int(OVPNG_ERROR_WRITE): .writeFailed
        case Int(OVPNG_ERROR_ARGUMENT): .invalidArgument
        default: .corrupt
        }
    }

    static func describe(status: Int32, message: [CChar], maxPixels: Int? = nil) -> String {
        let text = cString(message)
        switch Int(status) {
        case Int(OVPNG_ERROR_DECODE): return "truncated or corrupt PNG (libpng: \(text))"
        case Int(OVPNG_ERROR_TOO_LARGE): return "too large: \(text)" + (maxPixels.map { "; " + PixelLimit.hint($0) } ?? "")
        case Int(OVPNG_ERROR_MEMORY): return "out of memory: \(text)"
        default: return text
        }
    }

    static func cString(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func layout(of image: ovpng_image) -> PNGLayout {
        let depth = Int(image.file_bit_depth)
        switch image.color_type {
        case colorTypeGray: return .gray(bitDepth: depth)
        case colorTypeGrayAlpha: return .grayAlpha(bitDepth: depth)
        case colorTypeRGB: return .rgb(bitDepth: depth)
        case colorTypeRGBA: return .rgba(bitDepth: depth)
        default:
            let count = Int(image.palette_count)
            let entries = withUnsafeBytes(of: image.palette) { bytes in
                (0..<count).map { RGB(bytes[3 * $0], bytes[3 * $0 + 1], bytes[3 * $0 + 2]) }
            }
            return .palette(bitDepth: depth, entries: entries)
        }
    }
}
