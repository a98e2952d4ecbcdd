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

    /// Reads an image through `RasterImage.readRGB` (the format is recognised by content): an 8-bit
    /// RGB or RGBA PNG (alpha dropped), or a JPEG (RGB, YCbCr or gray; gray becomes R = G = B, as
    /// Pillow's `convert("RGB")`; EXIF orientation not applied, as Pillow's `Image.open`). Gray,
    /// palette and 16-bit PNGs are refused: a model must see the colours the dataset stores, not a
    /// conversion guessed here (docs/image-formats.md §2).
    public static func read(path: String) throws(SegmenterError) -> RGBImage {
        let raster: RasterImage
        do {
            raster = try RasterImage.readRGB(path: path)
        } catch {
            throw SegmenterError(.image, file: path, wrapping: error)
        }
        guard raster.stored.isEightBitColor else {
            throw SegmenterError(.image, file: path, "\(path): a \(raster.stored); images must be 8-bit RGB or RGBA PNG or TIFF, or JPEG")
        }
        return try RGBImage(width: raster.width, height: raster.height, pixels: raster.pixels)
    }
}
