import LabelMaps

/// An 8-bit RGB image, row-major with interleaved channels (`height × width × 3` bytes).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws(SegmenterError) {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw SegmenterError(.image, "an RGB image of \(width)×\(height) needs \(max(0, width * height * 3)) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Reads an 8-bit RGB or RGBA PNG (alpha dropped). Gray, palette and 16-bit files are refused:
    /// a model must see the colours the dataset stores, not a conversion guessed here.
    public static func read(path: String) throws(SegmenterError) -> RGBImage {
        let decoded: DecodedPNG
        do {
            decoded = try DecodedPNG.read(path: path)
        } catch {
            throw SegmenterError(.image, file: path, wrapping: error)
        }
        guard decoded.isEightBitColor else {
            throw SegmenterError(.image, file: path, "\(path): a \(decoded.layout) PNG; images must be 8-bit RGB or RGBA")
        }
        let pixels: [UInt8]
        do {
            pixels = try decoded.rgbPixels(name: path)
        } catch {
            throw SegmenterError(.image, file: path, wrapping: error)
        }
        return try RGBImage(width: decoded.width, height: decoded.height, pixels: pixels)
    }
}
