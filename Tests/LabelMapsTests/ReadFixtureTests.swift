import LabelMaps
import Testing

/// Files written by PIL (and a hand-written encoder), read back through libpng.
@Suite struct ReadFixtureTests {
    @Test func paletteFileGivesIndicesNotLuminance() throws {
        let map = try LabelMapReader.read(path: fixture("palette8.png"), colors: nil)
        #expect(map.width == 5 && map.height == 4)
        #expect(map.values == grid(5, 4) { x, y in (x + 4 * y) % 20 })

        let raw = try DecodedPNG.read(path: fixture("palette8.png"))
        let expectedPalette: [RGB] = (0..<20).map { rgb(255 - 10 * $0, (13 * $0) % 256, 200) }
        #expect(raw.layout == .palette(bitDepth: 8, entries: expectedPalette))
    }

    @Test func colourTableIsIgnoredForPaletteFiles() throws {
        // The file's colour type decides: palette → indices even when a table is given.
        let map = try LabelMapReader.read(path: fixture("palette8.png"), colors: classTable)
        #expect(map.values == grid(5, 4) { x, y in (x + 4 * y) % 20 })
    }

    @Test func oneAndFourBitPalettesAreUnpacked() throws {
        let oneBit = try LabelMapReader.read(path: fixture("palette1.png"), colors: nil)
        #expect(oneBit.width == 9 && oneBit.height == 2)
        #expect(oneBit.values == grid(9, 2) { x, y in (x + y) % 2 })
        #expect(try DecodedPNG.read(path: fixture("palette1.png")).layout.bitDepth == 1)

        let fourBit = try LabelMapReader.read(path: fixture("palette4.png"), colors: nil)
        #expect(fourBit.values == grid(5, 3) { x, y in (3 * x + 5 * y) % 11 })
        #expect(try DecodedPNG.read(path: fixture("palette4.png")).layout.bitDepth == 4)
    }

    @Test func sixteenBitGrayKeepsValuesAbove255() throws {
        let map = try LabelMapReader.read(path: fixture("gray16.png"), colors: nil)
        let expected = grid(5, 3) { x, y in (4099 * x + 13001 * y) % 65536 }
        #expect(map.values == expected)
        #expect(expected.contains { $0 > 255 })
        #expect(try DecodedPNG.read(path: fixture("gray16.png")).layout == .gray(bitDepth: 16))
    }

    @Test func oneBitGrayGivesZeroAndOneNotScaled() throws {
        let map = try LabelMapReader.read(path: fixture("gray1.png"), colors: nil)
        #expect(map.values == grid(10, 2) { x, y in (x * y + x) % 2 })
    }

    /// Pillow (mmseg's default loader) stretches 2- and 4-bit gray to 0-255; the values must match it.
    @Test func twoAndFourBitGrayAreScaledAsPillowReadsThem() throws {
        let two = try LabelMapReader.read(path: fixture("gray2.png"), colors: nil)
        #expect(two.values == grid(7, 3) { x, y in 85 * ((x + 2 * y) % 4) })
        let four = try LabelMapReader.read(path: fixture("gray4.png"), colors: nil)
        #expect(four.values == grid(9, 3) { x, y in 17 * ((3 * x + 5 * y) % 16) })
    }

    @Test func gammaChunkDoesNotChangeGrayValues() throws {
        let map = try LabelMapReader.read(path: fixture("gray8_gama.png"), colors: nil)
        #expect(map.values == grid(6, 4) { x, y in (40 * x + 7 * y) % 256 })
    }

    @Test func rgbFileIsMappedThroughColourTable() throws {
        let map = try LabelMapReader.read(path: fixture("rgb_gama.png"), colors: classTable)
        #expect(map.values == grid(6, 4) { x, y in (x + 2 * y) % 6 })

        // Raw samples are the stored colours, untouched by the gAMA chunk.
        let raw = try DecodedPNG.read(path: fixture("rgb_gama.png"))
        #expect(raw.layout == .rgb(bitDepth: 8))
        guard case .uint8(let samples) = raw.samples else {
            Issue.record("expected 8-bit samples")
            return
        }
        let expected = grid(6, 4) { x, y in (x + 2 * y) % 6 }.flatMap { label in
            let color = classColors[Int(label)]
            return [color.r, color.g, color.b]
        }
        #expect(samples == expected)
    }

    @Test func rgbaFileIgnoresAlpha() throws {
        let map = try LabelMapReader.read(path: fixture("rgba.png"), colors: classTable)
        #expect(map.values == grid(4, 2) { x, y in (x + y) % 6 })
    }

    @Test func grayAlphaGivesGrayValues() throws {
        let map = try LabelMapReader.read(path: fixture("gray_alpha.png"), colors: nil)
        #expect(map.values == grid(4, 3) { x, y in 50 * x + y })
    }

    @Test func interlacedFileIsDeinterlaced() throws {
        let map = try LabelMapReader.read(path: fixture("interlaced.png"), colors: nil)
        #expect(map.width == 11 && map.height == 9)
        #expect(map.values == grid(11, 9) { x, y in (23 * x + 17 * y) % 256 })
    }

    @Test func sixteenBitRGBIsUnsupported() throws {
        let path = try fixture("rgb16.png")
        let error = labelMapError { _ = try LabelMapReader.read(path: path, colors: classTable) }
        #expect(error?.kind == .unsupportedLayout)
        #expect(error?.description.contains("rgb16.png") == true)
        #expect(error?.description.contains("unsupported") == true)
        // Raw access still works.
        #expect(try DecodedPNG.read(path: path).samples == .uint16([1000, 2000, 3000, 4, 5, 6, 7, 8, 9, 65535, 0, 1]))
    }

    @Test func decodeFromBytesMatchesReadFromPath() throws {
        for name in ["palette8.png", "gray16.png", "interlaced.png", "rgb_gama.png"] {
            let path = try fixture(name)
            let fromBytes = try LabelMapReader.decode(bytes: bytes(of: path), name: name, colors: classTable)
            #expect(fromBytes == (try LabelMapReader.read(path: path, colors: classTable)), "\(name)")
        }
    }
}
