import Foundation
import LabelMaps
import Testing

/// TIFF files written by tifffile and Pillow (scripts/fixtures/make_tiff_fixtures.py), read
/// through libtiff and compared with numpy's arrays (`expected.json`) and with the same labels
/// read from PNG.
@Suite struct TIFFReaderTests {
    struct Expected: Decodable {
        struct Geo: Decodable {
            let model_pixel_scale: [Double]
            let model_tiepoint: [Double]
            let geo_keys: [Int]
            let geo_double_params: [Double]
            let geo_ascii_params: String
        }
        let width: Int
        let height: Int
        let ids: [UInt16]
        let gray16: [UInt16]
        let gray1: [UInt16]
        let georeferencing: Geo
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: tiff("expected.json"))))
    }

    static func tiff(_ name: String) throws -> String { try fixture("tiff/" + name) }

    static func read(_ name: String, colors: ColorTable? = classTable, format: LabelFormat? = nil) throws -> LabelMap {
        try TIFFLabelReader(path: tiff(name), colors: colors, format: format).readRemaining()
    }

    @Test(arguments: ["gray8_none_strips.tif", "gray8_lzw_predictor.tif", "gray8_deflate_tiles.tif", "gray8_packbits.tif",
                      "geotiff_gray8.tif", "palette8_lzw.tif", "palette8_pillow.tif", "rgb_equal_channels.tif"])
    func indexFilesGiveTheIDs(name: String) throws {
        let expected = try Self.expected()
        let map = try Self.read(name, format: name.hasPrefix("rgb") ? .index : nil)
        #expect(map.width == expected.width && map.height == expected.height)
        #expect(map.values == expected.ids)
        #expect(!map.isColorCoded)
        // The same labels saved as a gray PNG decode to the same values.
        #expect(map == (try LabelMapReader.read(path: Self.tiff("ids.png"), colors: nil)))
    }

    @Test(arguments: ["rgb_lzw_strips.tif", "rgb_deflate_predictor_tiles.tif", "rgba_packbits.tif", "rgb_planar_strips.tif",
                      "rgb_planar_tiles_lzw.tif", "rgb_bigtiff.tif", "rgb_pillow_lzw.tif"])
    func colourFilesGiveTheIDsThroughTheTable(name: String) throws {
        let expected = try Self.expected()
        let map = try Self.read(name)
        #expect(map.values == expected.ids)
        #expect(map.isColorCoded)
        #expect(map == (try LabelMapReader.read(path: Self.tiff("colors.png"), colors: classTable)))
    }

    @Test(arguments: ["palette8_lzw.tif", "palette8_pillow.tif"])
    func paletteFilesReadAsColoursUseTheirEntries(name: String) throws {
        // palette8_lzw stores entries × 257, Pillow's × 256: both give the 8-bit colours back.
        let map = try Self.read(name, format: .color)
        #expect(map.values == (try Self.expected().ids))
        #expect(map.isColorCoded)
        #expect(try Self.read(name, format: .palette).values == (try Self.expected().ids))
    }

    @Test func sixteenBitGrayKeepsItsValues() throws {
        let expected = try Self.expected()
        for name in ["gray16_lzw_tiles.tif", "gray16_bigendian_deflate_predictor.tif"] {
            let map = try Self.read(name)
            #expect(map.values == expected.gray16, "\(name)")
            #expect(map == (try LabelMapReader.read(path: Self.tiff("gray16.png"), colors: nil)))
        }
    }

    @Test func oneBitGrayIsUnpackedWithoutScaling() throws {
        #expect(try Self.read("gray1_pillow.tif").values == (try Self.expected().gray1))
    }

    @Test func decodeDispatchesOnTheSignature() throws {
        let bytes = try FileBytes.read(path: Self.tiff("rgb_planar_tiles_lzw.tif"))
        let map = try LabelMapReader.decode(bytes: bytes, name: "memory.tif", colors: classTable)
        #expect(map.values == (try Self.expected().ids))
        #expect(try LabelMapReader.read(path: Self.tiff("gray8_deflate_tiles.tif"), colors: nil).values == (try Self.expected().ids))
    }

    @Test func bandsConcatenateToTheWholeMap() throws {
        let expected = try Self.expected()
        for name in ["rgb_planar_strips.tif", "rgb_deflate_predictor_tiles.tif", "gray8_lzw_predictor.tif", "ids.png"] {
            let reader = try LabelBandReaders.open(path: Self.tiff(name), colors: classTable)
            var values: [UInt16] = []
            var buffer = [UInt16](repeating: 0, count: 16 * reader.width)
            for rows in [1, 5, 3, 16, 5, 7] where reader.rowsRead + rows <= reader.height {
                try buffer.withUnsafeMutableBufferPointer { try reader.readRows(rows, into: $0) }
                values += buffer.prefix(rows * reader.width)
            }
            values += try reader.readRemaining().values
            #expect(values == expected.ids, "\(name)")
            #expect(reader.rowsRead == reader.height)
            #expect(throws: LabelMapError.self) { try buffer.withUnsafeMutableBufferPointer { try reader.readRows(1, into: $0) } }
        }
    }

    @Test func rawSamplesOfATIFFMatchThePNGs() throws {
        func samples(_ name: String) throws -> (PNGLayout, [UInt8]) {
            try RawSamples.withSamples(bytes: FileBytes.read(path: Self.tiff(name)), name: name) { _, _, layout, samples in
                guard case .uint8(let values) = samples else { throw FixtureMissing(name: "\(name): 16-bit samples") }
                return (layout, Array(values))
            }
        }
        let (pngLayout, pngSamples) = try samples("colors.png")
        for name in ["rgb_planar_tiles_lzw.tif", "rgb_lzw_strips.tif"] {
            let (layout, values) = try samples(name)
            #expect(layout == pngLayout && values == pngSamples, "\(name)")
        }
        let (paletteLayout, indices) = try samples("palette8_pillow.tif")
        guard case .palette(8, let entries) = paletteLayout else {
            Issue.record("palette8_pillow.tif: layout \(paletteLayout)")
            return
        }
        #expect(Array(entries.prefix(6)) == classColors)
        let expectedIDs = try Self.expected().ids
        #expect(indices.map(UInt16.init) == expectedIDs)
        let (grayLayout, gray) = try samples("gray8_deflate_tiles.tif")
        let ids = try Self.expected().ids
        #expect(grayLayout == .gray(bitDepth: 8))
        #expect(gray.map(UInt16.init) == ids)
    }

    @Test func geoTIFFTagsAreCapturedAsStored() throws {
        let expected = try Self.expected().georeferencing
        let reader = try TIFFLabelReader(path: Self.tiff("geotiff_gray8.tif"), colors: nil)
        let geo = try #require(reader.georeferencing)
        #expect(geo.modelPixelScale == expected.model_pixel_scale)
        #expect(geo.modelTiepoint == expected.model_tiepoint)
        #expect(geo.geoKeys == expected.geo_keys)
        #expect(geo.geoDoubleParams == expected.geo_double_params)
        #expect(geo.geoASCIIParams == expected.geo_ascii_params)
        #expect(geo.modelTransformation == nil)
        #expect(try TIFFLabelReader(path: Self.tiff("gray8_packbits.tif"), colors: nil).georeferencing == nil)
    }

    static func failure(_ name: String, colors: ColorTable? = classTable, format: LabelFormat? = nil) throws -> LabelMapError {
        // Whole-file decoding (no format) and the band reader must refuse alike.
        if format == nil {
            do {
                _ = try LabelMapReader.read(path: tiff(name), colors: colors)
                throw FixtureMissing(name: "\(name) was decoded without an error")
            } catch let error as LabelMapError {
                _ = error
            }
        }
        do {
            _ = try read(name, colors: colors, format: format)
        } catch let error as LabelMapError {
            return error
        }
        throw FixtureMissing(name: "\(name) was read without an error")
    }

    @Test func refusedVariantsSayWhy() throws {
        let cases: [(String, String)] = [
            ("float32.tif", "floating-point samples"),
            ("int16.tif", "signed integer samples"),
            ("jpeg.tif", "JPEG is lossy"),
            ("two_pages.tif", "2 images (multi-page)"),
            ("miniswhite.tif", "MinIsWhite"),
            ("rgb16.tif", "16-bit RGB"),
        ]
        for (name, phrase) in cases {
            let error = try Self.failure(name)
            #expect(error.kind == .unsupportedLayout, "\(name): \(error)")
            #expect(error.description.contains(phrase), "\(name): \(error)")
            #expect(error.description.hasPrefix(try Self.tiff(name)), "\(name): \(error)")
        }
        #expect(try Self.failure("two_pages.tif").description.contains("overviews and masks"))
    }

    @Test func unknownColoursNameThePixel() throws {
        let error = try Self.failure("rgb_unknown_colour_tiles.tif")
        #expect(error.kind == .unknownColor)
        #expect(error.detail == "unknown colour (1,2,3) at pixel (13, 21); the colour table has 6 colours")
        let entry = try Self.failure("palette8_unknown_entry.tif", format: .color)
        #expect(entry.kind == .unknownColor)
        #expect(entry.detail.contains("(10,20,30) (palette entry 6) at pixel (9, 5)"), "\(entry)")
        let channels = try Self.failure("rgb_unequal_channels.tif", format: .index)
        #expect(channels.detail.contains("channels (3,9,3) at pixel (7, 4)"), "\(channels)")
        let table = try Self.failure("rgb_lzw_strips.tif", colors: nil)
        #expect(table.kind == .colorTableNeeded)
        #expect(try Self.failure("gray8_packbits.tif", format: .palette).detail.contains("not a palette file"))
    }

    @Test func sizeIsBoundedBeforeDecoding() throws {
        #expect(throws: LabelMapError.self) {
            try TIFFLabelReader(path: Self.tiff("rgb_lzw_strips.tif"), colors: classTable, maxPixels: 40 * 36)
        }
        let path = try Self.tiff("rgb_lzw_strips.tif")
        do {
            _ = try TIFFLabelReader(path: path, colors: classTable, maxPixels: 100)
            Issue.record("the pixel bound was not applied")
        } catch {
            #expect(error.kind == .tooLarge)
            #expect(error.detail.contains("40×37 = 1480 pixels; the limit is 100 pixels per image; raise it with the environment variable OVSEG_MAX_PIXELS"), "\(error)")
        }
    }

    @Test func jpegLabelsAndDamagedTIFFsAreErrors() throws {
        let directory = try TemporaryDirectory()
        let jpeg = directory.path + "/labels.png"
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16] + Array(repeating: 0, count: 32)).write(to: URL(fileURLWithPath: jpeg))
        do {
            _ = try LabelBandReaders.open(path: jpeg, colors: nil)
            Issue.record("a JPEG label file was accepted")
        } catch {
            #expect(error.description.contains("is a JPEG file; JPEG is lossy, so its pixel values are not the labels that were saved"))
        }
        // A TIFF cut in the middle of its pixel data: libtiff's reason is in the message.
        let whole = try FileBytes.read(path: Self.tiff("rgb_deflate_predictor_tiles.tif"))
        let cut = directory.path + "/cut.tif"
        try Data(whole.prefix(whole.count / 2)).write(to: URL(fileURLWithPath: cut))
        do {
            _ = try TIFFLabelReader(path: cut, colors: classTable).readRemaining()
            Issue.record("a truncated TIFF was read")
        } catch {
            #expect(error.description.hasPrefix(cut))
            #expect(error.description.contains("libtiff"), "\(error)")
        }
    }
}
