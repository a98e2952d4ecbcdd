import LabelMaps
import Testing

/// Label files read as a forced `LabelFormat` (fixtures from Fixtures/make_label_format_fixtures.py,
/// whose formulas the expectations recompute).
@Suite struct LabelFormatTests {
    func read(_ name: String, _ format: LabelFormat?, colors: ColorTable? = classTable) throws -> LabelMap {
        try LabelMapReader.read(path: fixture(name), colors: colors, format: format)
    }

    // MARK: index

    @Test func indexReadsGrayAndPaletteAsTheFileDoes() throws {
        #expect(try read("gray8_gama.png", .index).values == grid(6, 4) { x, y in (40 * x + 7 * y) % 256 })
        let palette = try read("palette8.png", .index)
        #expect(palette.values == grid(5, 4) { x, y in (x + 4 * y) % 20 })
        #expect(!palette.isColorCoded)
    }

    @Test func indexReadsRGBWithEqualChannelsThroughTheFirst() throws {
        let map = try read("format_rgb_gray.png", .index)
        #expect(map.values == grid(6, 4) { x, y in (3 * x + 5 * y) % 256 })
        #expect(!map.isColorCoded)
        // Without a format the same file is colour-coded, and its grays are no class colours.
        #expect(labelMapError { _ = try read("format_rgb_gray.png", nil) }?.kind == .unknownColor)
    }

    @Test func indexReadsSixteenBitRGBWithEqualChannels() throws {
        #expect(try read("format_rgb16_gray.png", .index).values == grid(3, 2) { x, y in 1000 * x + 300 * y })
    }

    @Test func indexRejectsRGBWhoseChannelsDifferNamingThePixel() throws {
        let error = labelMapError { _ = try read("format_rgb_differ.png", .index) }
        #expect(error?.kind == .labelFormatMismatch)
        let v = (3 * 4 + 5 * 2) % 256
        #expect(error?.description.contains("pixel (4, 2): (\(v), \(v), \(v + 1))") == true, "\(String(describing: error))")
        #expect(error?.description.contains("format_rgb_differ.png") == true)
        // The 16-bit fixture of make_fixtures.py has unequal channels at its first pixel.
        let wide = labelMapError { _ = try read("rgb16.png", .index) }
        #expect(wide?.description.contains("pixel (0, 0): (1000, 2000, 3000)") == true, "\(String(describing: wide))")
    }

    // MARK: palette

    @Test func paletteReadsPaletteIndices() throws {
        #expect(try read("palette8.png", .palette).values == grid(5, 4) { x, y in (x + 4 * y) % 20 })
        #expect(try read("format_palette_classes.png", .palette).values == grid(5, 4) { x, y in (x + 2 * y) % 6 })
    }

    @Test func paletteRejectsOtherFilesSayingWhatTheyAre() throws {
        let gray = labelMapError { _ = try read("gray8_gama.png", .palette) }
        #expect(gray?.kind == .labelFormatMismatch)
        #expect(gray?.description.contains("is an 8-bit gray PNG, not a palette PNG") == true, "\(String(describing: gray))")
        let color = labelMapError { _ = try read("rgb_gama.png", .palette) }
        #expect(color?.description.contains("is an 8-bit RGB PNG") == true, "\(String(describing: color))")
        let alpha = labelMapError { _ = try read("rgba.png", .palette) }
        #expect(alpha?.description.contains("RGBA") == true)
    }

    // MARK: color

    @Test func colorReadsRGBAsTheFileDoes() throws {
        let map = try read("rgb_gama.png", .color)
        #expect(map.values == grid(6, 4) { x, y in (x + 2 * y) % 6 })
        #expect(map.isColorCoded)
    }

    @Test func colorReadsAPaletteThroughItsEntryColours() throws {
        let map = try read("format_palette_classes.png", .color)
        // Entry i holds class 5 - i's colour.
        #expect(map.values == grid(5, 4) { x, y in 5 - (x + 2 * y) % 6 })
        #expect(map.isColorCoded)
        // Without a format the indices are read.
        #expect(try read("format_palette_classes.png", nil).values == grid(5, 4) { x, y in (x + 2 * y) % 6 })
    }

    @Test func colorFailsOnAPaletteColourNoClassHas() throws {
        let error = labelMapError { _ = try read("format_palette_unknown.png", .color) }
        #expect(error?.kind == .unknownColor)
        #expect(error?.description.contains("unknown colour (9,9,9) at pixel (4, 3)") == true, "\(String(describing: error))")
    }

    @Test func colorNeedsATableAndRejectsGray() throws {
        #expect(labelMapError { _ = try read("format_palette_classes.png", .color, colors: nil) }?.kind == .colorTableNeeded)
        let gray = labelMapError { _ = try read("gray8_gama.png", .color) }
        #expect(gray?.kind == .labelFormatMismatch)
        #expect(gray?.description.contains("is an 8-bit gray PNG") == true)
    }
}
