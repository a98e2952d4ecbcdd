import CTurboJPEG

/// The colour space a JPEG stores its samples in, as libjpeg-turbo reads it from the file's
/// frame header and JFIF/Adobe markers.
public enum JPEGColorspace: String, Sendable, Equatable {
    case ycbcr = "YCbCr"
    case rgb = "RGB"
    case gray
    case cmyk = "CMYK"
    case ycck = "YCCK"
}

/// A JPEG decoded to interleaved 8-bit RGB by libjpeg-turbo (TurboJPEG API).
///
/// Decoding uses libjpeg's defaults, the settings Pillow's `Image.open(...).convert("RGB")` decodes
/// with: the accurate integer IDCT (`JDCT_ISLOW`) and fancy (smooth) chroma upsampling; neither
/// `TJFLAG_FASTDCT` nor `TJFLAG_FASTUPSAMPLE` is set. A gray JPEG becomes R = G = B, exactly as
/// Pillow's `"L"` → `"RGB"` conversion. The EXIF orientation tag is **not** applied, as Pillow's
/// `Image.open` does not apply it: the reference preprocessing the core's parity is measured
/// against sees the stored pixel grid (docs/image-formats.md §2).
///
/// CMYK and YCCK (Adobe) JPEGs are refused: the conversion to RGB depends on the colour profile
/// and on Adobe's inverted-ink convention, and a guessed conversion would feed a model colours the
/// dataset never had.
public struct DecodedJPEG: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// What the file stores before the conversion to RGB.
    public let colorspace: JPEGColorspace
    /// Row-major RGB, `width × height × 3` bytes.
    public let rgb: [UInt8]

    /// How JPEGs are decoded, as a model run's `provenance.config` records it (`jpeg_decoding`) when
    /// any of its images is a JPEG (docs/results-file.md §2.12).
    public static let settings = "libjpeg-turbo, accurate integer IDCT, fancy upsampling, EXIF orientation not applied (as Pillow)"

    /// Decodes a JPEG held in memory. `name` identifies it in errors; the header's width × height
    /// is checked against `maxPixels` before any pixel buffer is allocated.
    public static func decode(bytes: [UInt8], name: String,
                              maxPixels: Int = LabelMapReader.defaultMaxPixels) throws(LabelMapError) -> DecodedJPEG {
        guard let handle = tjInitDecompress() else {
            throw LabelMapError(.corrupt, file: name, detail: "cannot start the JPEG decoder (libjpeg-turbo: \(message(nil)))")
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspaceCode: Int32 = 0
        let headerStatus = bytes.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspaceCode)
        }
        guard headerStatus == 0 else {
            throw LabelMapError(.corrupt, file: name, detail: "truncated or corrupt JPEG (libjpeg-turbo: \(message(handle)))")
        }
        guard width > 0, height > 0 else {
            // libjpeg-turbo reads a file cut before its frame header as tables only, without an error.
            throw LabelMapError(.corrupt, file: name,
                                detail: "truncated or corrupt JPEG (no image size: the file ends before its frame header)")
        }
        let colorspace = try Self.colorspace(code: colorspaceCode, name: name)
        let pixelCount = Int(width) * Int(height)
        guard pixelCount <= maxPixels else {
            throw LabelMapError(.tooLarge, file: name,
                                detail: "too large: \(width)×\(height) = \(pixelCount) pixels; \(PixelLimit.hint(maxPixels))")
        }
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        let status = bytes.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), target.baseAddress,
                              width, width * 3, height, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        if status != 0 {
            let reason = message(handle)
            // libjpeg-turbo decodes through recoverable problems (a "warning"), as Pillow does, except a
            // file cut short: libjpeg pads it with gray, which Pillow refuses ("image file is truncated").
            let fatal = tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue)
            if fatal || reason.contains("Premature end") {
                throw LabelMapError(.corrupt, file: name, detail: "truncated or corrupt JPEG (libjpeg-turbo: \(reason))")
            }
        }
        return DecodedJPEG(width: Int(width), height: Int(height), colorspace: colorspace, rgb: rgb)
    }

    static func colorspace(code: Int32, name: String) throws(LabelMapError) -> JPEGColorspace {
        switch UInt32(bitPattern: code) {
        case TJCS_YCbCr.rawValue: return .ycbcr
        case TJCS_RGB.rawValue: return .rgb
        case TJCS_GRAY.rawValue: return .gray
        case TJCS_CMYK.rawValue, TJCS_YCCK.rawValue:
            let kind = code == Int32(TJCS_CMYK.rawValue) ? "CMYK" : "YCCK"
            throw LabelMapError(.unsupportedLayout, file: name,
                                detail: "is a \(kind) JPEG; ovseg reads RGB, YCbCr and gray JPEGs only (convert it to RGB with its colour profile first)")
        default:
            throw LabelMapError(.unsupportedLayout, file: name, detail: "JPEG with an unknown colour space (code \(code))")
        }
    }

    /// libjpeg-turbo's message for the last error of `handle` (or of the last `tjInit*` when nil).
    static func message(_ handle: tjhandle?) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
