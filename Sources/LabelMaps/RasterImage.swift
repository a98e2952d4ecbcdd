#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A photo (a model's input, a report's picture) decoded to interleaved 8-bit RGB: the one entry
/// point for imagery, whatever the container. The format is recognised by the file's first bytes
/// (`RasterFileFormat.sniff`), never by its name (docs/image-formats.md §1).
///
/// - PNG: every layout, through `DecodedPNG.rgbPixels` (alpha dropped, gray repeated, palette
///   looked up, 16-bit samples keep their high byte). Callers that accept only stored colours check
///   `stored.isEightBitColor`.
/// - JPEG: libjpeg-turbo with Pillow's settings (`DecodedJPEG`); gray becomes R = G = B; CMYK/YCCK
///   refused; EXIF orientation not applied (as Pillow's `Image.open`).
/// - TIFF: through `TIFFLabelReader`'s stored samples (8-bit RGB/RGBA, gray, palette; every strip,
///   tile and lossless compression it reads, docs/label-files.md §1), converted like a PNG of the
///   same layout. ISPRS tiles, UC Merced and OpenEarthMap ship their imagery so.
public struct RasterImage: Sendable, Equatable {
    /// What the file stores, before the conversion to RGB.
    public enum Stored: Sendable, Equatable, CustomStringConvertible {
        case png(PNGLayout)
        case jpeg(JPEGColorspace)
        /// A TIFF, described by the PNG layout of its stored samples.
        case tiff(PNGLayout)

        public var format: RasterFileFormat {
            switch self {
            case .png: .png
            case .jpeg: .jpeg
            case .tiff: .tiff
            }
        }

        /// Whether the RGB pixels are the file's own colours, without a conversion guessed by ovseg:
        /// 8-bit RGB or RGBA PNGs, and JPEGs (whose RGB is the decoder's, as in every JPEG reader;
        /// a gray JPEG is its one channel repeated).
        public var isEightBitColor: Bool {
            switch self {
            case .png(.rgb(8)), .png(.rgba(8)), .tiff(.rgb(8)), .tiff(.rgba(8)), .jpeg: true
            case .png, .tiff: false
            }
        }

        /// E.g. "rgb(bitDepth: 8) PNG", "YCbCr JPEG".
        public var description: String {
            switch self {
            case .png(let layout): "\(layout) PNG"
            case .jpeg(let colorspace): "\(colorspace.rawValue) JPEG"
            case .tiff(let layout): "\(layout) TIFF"
            }
        }
    }

    public let width: Int
    public let height: Int
    /// Row-major RGB, `width × height × 3` bytes.
    public let pixels: [UInt8]
    public let stored: Stored

    /// The extensions (lower case, without the dot) image folders are searched for, in the order a
    /// lookup by id tries them (`path(forID:in:)`): png, jpg, jpeg, tif, tiff.
    public static let extensions: [String] = [RasterFileFormat.png, .jpeg, .tiff].flatMap(\.extensions)

    /// Reads and decodes the image at `path`. Throws `LabelMapError` naming the file.
    public static func readRGB(path: String, maxPixels: Int = LabelMapReader.defaultMaxPixels) throws(LabelMapError) -> RasterImage {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path: path)
        } catch let error as LabelMapError {
            throw error
        } catch {
            throw LabelMapError(.cannotOpen, file: path, detail: "\(error)")
        }
        return try decode(bytes: bytes, name: path, maxPixels: maxPixels)
    }

    /// Decodes an image held in memory; `name` identifies it in errors. Bytes that are neither PNG,
    /// JPEG nor TIFF go to the PNG decoder, whose error says the file is not a PNG.
    public static func decode(bytes: [UInt8], name: String,
                              maxPixels: Int = LabelMapReader.defaultMaxPixels) throws(LabelMapError) -> RasterImage {
        switch RasterFileFormat.sniff(bytes) {
        case .jpeg:
            let jpeg = try DecodedJPEG.decode(bytes: bytes, name: name, maxPixels: maxPixels)
            return RasterImage(width: jpeg.width, height: jpeg.height, pixels: jpeg.rgb, stored: .jpeg(jpeg.colorspace))
        case .tiff:
            let reader = try TIFFLabelReader(
                bytes: bytes, name: name, colors: nil, format: nil, maxPixels: maxPixels, rawSamplesOnly: true)
            let (layout, samples) = try reader.rawSamples()
            let decoded = DecodedPNG(width: reader.width, height: reader.height, layout: layout, samples: samples)
            return RasterImage(width: decoded.width, height: decoded.height, pixels: try decoded.rgbPixels(name: name), stored: .tiff(layout))
        case .png, nil:
            let png: DecodedPNG
            do {
                png = try DecodedPNG.decode(bytes: bytes, name: name, maxPixels: maxPixels)
            } catch let error as LabelMapError {
                throw error
            } catch {
                throw LabelMapError(.corrupt, file: name, detail: "\(error)")
            }
            return RasterImage(width: png.width, height: png.height, pixels: try png.rgbPixels(name: name), stored: .png(png.layout))
        }
    }

    /// The container of the file at `path` by its first bytes, or nil (unreadable or unrecognised).
    public static func format(ofFileAt path: String) -> RasterFileFormat? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var head = [UInt8](repeating: 0, count: 8)
        let got = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 8) }
        return got > 0 ? RasterFileFormat.sniff(head.prefix(got)) : nil
    }

    /// The first existing file `folder/id.ext` for `ext` in `extensions` (each tried in lower, then
    /// upper case: `.jpg`, `.JPG`), or nil. Lets a report find a dataset's photo whatever its format.
    public static func path(forID id: String, in folder: String) -> String? {
        for ext in extensions {
            for candidate in [ext, ext.uppercased()] {
                let path = folder + "/" + id + "." + candidate
                if FileBytes.isRegularFile(path) { return path }
            }
        }
        return nil
    }
}
