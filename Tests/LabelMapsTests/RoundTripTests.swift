import LabelMaps
import Testing

@Suite struct RoundTripTests {
    @Test func paletteWriteThenReadGivesIdenticalIndices() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("labels.png")
        let palette: [RGB] = (0..<200).map { rgb($0, 255 - $0, ($0 * 7) % 256) }
        let map = LabelMap(width: 17, height: 13, values: grid(17, 13) { x, y in (x * 31 + y * 11) % 200 })
        try LabelMapWriter.writePalette(map, palette: palette, to: path)

        #expect(try LabelMapReader.read(path: path, colors: nil) == map)
        #expect(try DecodedPNG.read(path: path).layout == .palette(bitDepth: 8, entries: palette))
    }

    @Test func gray16RoundTripKeepsFullRange() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("labels16.png")
        var map = LabelMap(width: 9, height: 7, values: grid(9, 7) { x, y in (x * 7919 + y * 104_729) % 65536 })
        map[x: 0, y: 0] = 65535
        map[x: 8, y: 6] = 256
        try LabelMapWriter.writeGray16(map, to: path)
        #expect(try LabelMapReader.read(path: path, colors: nil) == map)
        #expect(try DecodedPNG.read(path: path).layout == .gray(bitDepth: 16))
    }

    @Test func gray8RoundTripAndRangeCheck() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("labels8.png")
        let map = LabelMap(width: 16, height: 16, values: grid(16, 16) { x, y in x + 16 * y })
        try LabelMapWriter.writeGray8(map, to: path)
        #expect(try LabelMapReader.read(path: path, colors: nil) == map)

        var tooWide = map
        tooWide[x: 3, y: 2] = 256
        let error = labelMapError { try LabelMapWriter.writeGray8(tooWide, to: directory.file("bad.png")) }
        #expect(error?.kind == .valueOutOfRange)
        #expect(error?.description.contains("256") == true)
        #expect(error?.description.contains("(3, 2)") == true)
    }

    @Test func rgbWriteThenReadWithColourTable() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("coded.png")
        let labels = grid(10, 6) { x, y in (x / 2 + y) % classColors.count }
        let pixels = labels.flatMap { label -> [UInt8] in
            let color = classColors[Int(label)]
            return [color.r, color.g, color.b]
        }
        try LabelMapWriter.writeRGB(width: 10, height: 6, pixels: pixels, to: path)
        let map = try LabelMapReader.read(path: path, colors: classTable)
        #expect(map.values == labels)
        #expect(map.isColorCoded)
        #expect(try DecodedPNG.read(path: path).samples == .uint8(pixels))
    }

    @Test func colourTableFindsEveryMemberAndNoOther() {
        // Enough colours to force probing collisions in the open-addressing table.
        var generator = SplitMix(seed: 42)
        var mapping: [RGB: UInt16] = [:]
        while mapping.count < 1000 {
            let packed = generator.next()
            mapping[RGB(UInt8(packed & 0xFF), UInt8((packed >> 8) & 0xFF), UInt8((packed >> 16) & 0xFF))] =
                UInt16(mapping.count)
        }
        let table = ColorTable(mapping)
        #expect(table.count == 1000)
        for (color, label) in mapping { #expect(table.label(for: color) == label) }
        var misses = 0
        for _ in 0..<5000 {
            let packed = generator.next()
            let color = RGB(UInt8(packed & 0xFF), UInt8((packed >> 8) & 0xFF), UInt8((packed >> 16) & 0xFF))
            if mapping[color] == nil, table.label(for: color) != nil { misses += 1 }
        }
        #expect(misses == 0)
        #expect(ColorTable([:]).label(for: RGB(0, 0, 0)) == nil)
    }

    @Test func rgbDescriptionIsCompact() {
        #expect(RGB(255, 0, 0).description == "(255,0,0)")
    }
}

/// Deterministic 64-bit generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
