import Foundation
@testable import LabelMaps
import Testing

/// JPEG imagery through `RasterImage` against Pillow: the fixtures and the RGB Pillow decodes them to
/// (`Image.open(path).convert("RGB")`) are made by Fixtures/make_jpeg_fixtures.py.
///
/// Tolerance: 0. Measured: Debian's libjpeg-turbo 2.1.5 and the libjpeg-turbo 3.2.0 bundled with
/// Pillow 13.0 decode every fixture (and 513×389 noise images at 4:4:4, 4:2:2, 4:2:0 and
/// progressive) to identical bytes, both with the accurate integer IDCT and fancy upsampling.
struct JPEGDecodingTests {
    struct Manifest: Decodable {
        struct Entry: Decodable {
            let file: String
            let width: Int
            let height: Int
            let colorspace: String
            let expected_rgb: String
        }
        let images: [Entry]
    }

    func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("jpeg_fixtures.json"))))
    }

    @Test func decodesAsPillowDoes() throws {
        let entries = try manifest().images
        // 4:2:0, 4:4:4, gray, progressive and EXIF-rotated.
        #expect(entries.count == 5)
        for entry in entries {
            let image = try RasterImage.readRGB(path: fixture(entry.file))
            let expected = try bytes(of: fixture(entry.expected_rgb))
            #expect(image.width == entry.width && image.height == entry.height, "\(entry.file)")
            #expect(image.stored == .jpeg(JPEGColorspace(rawValue: entry.colorspace) ?? .cmyk), "\(entry.file)")
            #expect(image.stored.isEightBitColor)
            #expect(image.pixels.count == expected.count, "\(entry.file)")
            let largest = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? -1
            #expect(largest == 0, "\(entry.file): largest difference from Pillow \(largest)")
        }
    }

    @Test func grayBecomesEqualChannels() throws {
        let image = try RasterImage.readRGB(path: fixture("gray.jpg"))
        #expect(image.stored == .jpeg(.gray))
        for pixel in stride(from: 0, to: image.pixels.count, by: 3) {
            #expect(image.pixels[pixel] == image.pixels[pixel + 1] && image.pixels[pixel] == image.pixels[pixel + 2])
        }
    }

    /// The EXIF orientation tag is not applied: the stored 37×29 grid, as Pillow's `Image.open`.
    @Test func exifOrientationIsNotApplied() throws {
        let image = try RasterImage.readRGB(path: fixture("rotated_exif.jpg"))
        #expect(image.width == 37 && image.height == 29)
    }

    @Test func cmykIsRefusedByName() throws {
        let path = try fixture("cmyk.jpg")
        let error = labelMapError { _ = try RasterImage.readRGB(path: path) }
        #expect(error?.kind == .unsupportedLayout)
        #expect(error?.description.hasPrefix(path + ": is a CMYK JPEG") == true, "\(String(describing: error))")
    }

    @Test func truncatedAndCorruptFilesAreErrorsWithLibjpegsReason() throws {
        let directory = try TemporaryDirectory()
        let full = try bytes(of: fixture("photo420.jpg"))
        let cut = directory.file("cut.jpg")
        for length in [3, 40, full.count / 2, full.count - 2] {
            // Cut before the frame header (3, 40) or inside the scan (libjpeg's "Premature end of JPEG file").
            try write(Array(full[..<length]), to: cut)
            let error = labelMapError { _ = try RasterImage.readRGB(path: cut) }
            #expect(error?.kind == .corrupt, "cut to \(length): \(String(describing: error))")
            #expect(error?.description.hasPrefix(cut + ": truncated or corrupt JPEG (") == true,
                    "cut to \(length): \(String(describing: error))")
        }
        try write(Array(full[..<(full.count / 2)]), to: cut)
        let inScan = labelMapError { _ = try RasterImage.readRGB(path: cut) }
        #expect(inScan?.description == cut + ": truncated or corrupt JPEG (libjpeg-turbo: Premature end of JPEG file)")
    }

    @Test func pixelLimitIsCheckedBeforeDecoding() throws {
        let path = try fixture("photo444.jpg")
        let error = labelMapError { _ = try RasterImage.readRGB(path: path, maxPixels: 37 * 29 - 1) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.description == "\(path): too large: 37×29 = 1073 pixels; the limit is 1072 pixels per image; raise it with the environment variable OVSEG_MAX_PIXELS (docs/robustness.md §3)")
        #expect((try? RasterImage.readRGB(path: path, maxPixels: 37 * 29)) != nil)
    }

    /// PNG goes through the existing decoder: same pixels as `DecodedPNG.rgbPixels`.
    @Test func pngGoesThroughThePNGDecoder() throws {
        let path = try fixture("rgba.png")
        let image = try RasterImage.readRGB(path: path)
        let png = try DecodedPNG.read(path: path)
        #expect(image.pixels == (try png.rgbPixels(name: path)))
        #expect(image.stored == .png(png.layout) && image.stored.isEightBitColor)
        #expect(!(try RasterImage.readRGB(path: fixture("gray16.png"))).stored.isEightBitColor)
    }

    /// TIFF photos (ISPRS and UC Merced tiles) decode through the TIFF reader to the same RGB as the
    /// PNG twin tifffile wrote them from, whatever the strip, tile, plane or codec layout.
    @Test(arguments: [
        "rgb_lzw_strips.tif", "rgb_planar_tiles_lzw.tif", "rgb_bigtiff.tif", "rgba_packbits.tif",
        "rgb_deflate_predictor_tiles.tif", "rgb_pillow_lzw.tif",
    ])
    func tiffImageryDecodesLikeItsPNGTwin(name: String) throws {
        let reference = try RasterImage.readRGB(path: fixture("tiff/colors.png"))
        let image = try RasterImage.readRGB(path: fixture("tiff/" + name))
        #expect(image.width == 40 && image.height == 37)
        #expect(image.pixels == reference.pixels)
        #expect(image.stored.format == .tiff && image.stored.isEightBitColor)
        #expect(!(try RasterImage.readRGB(path: fixture("tiff/gray8_none_strips.tif"))).stored.isEightBitColor)
    }

    /// Found by content, not by name: a JPEG saved as `.png` still decodes.
    @Test func formatIsSniffedNotTakenFromTheName() throws {
        let directory = try TemporaryDirectory()
        let misnamed = directory.file("photo.png")
        try write(try bytes(of: fixture("photo444.jpg")), to: misnamed)
        #expect(try RasterImage.readRGB(path: misnamed).stored == .jpeg(.ycbcr))
    }

    @Test func lookupByIDTriesExtensionsInOrder() throws {
        let directory = try TemporaryDirectory()
        #expect(RasterImage.path(forID: "a", in: directory.path) == nil)
        try write([1], to: directory.file("a.tiff"))
        #expect(RasterImage.path(forID: "a", in: directory.path) == directory.file("a.tiff"))
        try write([1], to: directory.file("a.JPG"))
        #expect(RasterImage.path(forID: "a", in: directory.path) == directory.file("a.JPG"))
        try write([1], to: directory.file("a.png"))
        #expect(RasterImage.path(forID: "a", in: directory.path) == directory.file("a.png"))
        // A folder named like an image is not one.
        try FileManager.default.createDirectory(atPath: directory.file("b.png"), withIntermediateDirectories: false)
        #expect(RasterImage.path(forID: "b", in: directory.path) == nil)
    }

    /// Every label reader refuses JPEG by content with one line naming the file.
    @Test func jpegLabelsAreRefused() throws {
        let jpeg = try bytes(of: fixture("gray.jpg"))
        let expected = LabelMapError(
            .unsupportedFormat, file: "gt/a.jpg",
            detail: "is a JPEG file; JPEG is lossy, so its pixel values are not the labels that were saved — label maps must be PNG or TIFF")
        #expect(labelMapError { _ = try LabelMapReader.decode(bytes: jpeg, name: "gt/a.jpg", colors: nil) } == expected)
        #expect(labelMapError { _ = try RawSamples.withSamples(bytes: jpeg, name: "gt/a.jpg") { _, _, _, _ in 0 } } == expected)
        let directory = try TemporaryDirectory()
        let path = directory.file("a.png")
        try write(jpeg, to: path)
        #expect(labelMapError { _ = try LabelMapReader.read(path: path, colors: nil) }?.kind == .unsupportedFormat)
    }
}
