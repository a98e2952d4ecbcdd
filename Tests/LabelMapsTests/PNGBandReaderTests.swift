import Foundation
import LabelMaps
import Testing

/// Streaming a PNG row by row gives exactly the values of decoding it whole.
@Suite struct PNGBandReaderTests {
    /// Reads `path` in bands of `rows` through `LabelBandReaders.open`.
    static func bands(_ path: String, colors: ColorTable?, rows: Int) throws -> (reader: any LabelBandReader, values: [UInt16]) {
        let reader = try LabelBandReaders.open(path: path, colors: colors)
        var values: [UInt16] = []
        var buffer = [UInt16](repeating: 0, count: rows * reader.width)
        while reader.rowsRead < reader.height {
            let count = min(rows, reader.height - reader.rowsRead)
            try buffer.withUnsafeMutableBufferPointer { try reader.readRows(count, into: $0) }
            values += buffer.prefix(count * reader.width)
        }
        return (reader, values)
    }

    @Test(arguments: [
        ("gray1.png", false), ("gray2.png", false), ("gray4.png", false), ("gray16.png", false),
        ("gray8_gama.png", false), ("gray_alpha.png", false), ("palette1.png", false), ("palette4.png", false),
        ("palette8.png", false), ("rgb_gama.png", true), ("rgba.png", true),
    ])
    func bandsEqualTheWholeDecode(name: String, coloured: Bool) throws {
        let colors = coloured ? classTable : nil
        let whole = try LabelMapReader.read(path: fixture(name), colors: colors)
        for rows in [1, 2, 64] {
            let (reader, values) = try Self.bands(fixture(name), colors: colors, rows: rows)
            #expect(reader is PNGBandReader, "\(name) should stream")
            #expect(reader.fileBytes == nil)
            #expect(values == whole.values, "\(name) in bands of \(rows)")
            #expect(reader.isColorCoded == whole.isColorCoded)
            // Nothing is left: reading the rest again is an empty read, not a second end of file.
            #expect(try reader.readRemaining().values.isEmpty)
        }
    }

    @Test func interlacedFilesAreDecodedWhole() throws {
        let (reader, values) = try Self.bands(fixture("interlaced.png"), colors: nil, rows: 3)
        #expect(!(reader is PNGBandReader))
        #expect(values == (try LabelMapReader.read(path: fixture("interlaced.png"), colors: nil)).values)
    }

    /// A file cut inside its image data fails on a read, with libpng's reason and the file named.
    @Test func aTruncatedFileFailsWhileStreaming() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cut.png")
        let full = try bytes(of: fixture("gray16.png"))
        try write(Array(full[..<(full.count - 20)]), to: path)
        do {
            _ = try Self.bands(path, colors: nil, rows: 1)
            Issue.record("a truncated PNG streamed without error")
        } catch let error as LabelMapError {
            #expect(error.kind == .corrupt)
            #expect(error.description.hasPrefix(path + ": truncated or corrupt PNG"), "\(error)")
        }
    }

    /// An unknown colour in a later band is named by its whole-image pixel.
    @Test func anUnknownColourIsNamedInImageCoordinates() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("odd.png")
        var pixels = [UInt8](repeating: 0, count: 5 * 9 * 3)
        let known = classColors[1]
        for i in 0..<(5 * 9) { pixels[3 * i] = known.r; pixels[3 * i + 1] = known.g; pixels[3 * i + 2] = known.b }
        let odd = (7 * 5 + 3) * 3
        pixels[odd] = 1; pixels[odd + 1] = 2; pixels[odd + 2] = 3
        try LabelMapWriter.writeRGB(width: 5, height: 9, pixels: pixels, to: path)
        do {
            _ = try Self.bands(path, colors: classTable, rows: 2)
            Issue.record("an unknown colour was accepted")
        } catch let error as LabelMapError {
            #expect(error.kind == .unknownColor)
            #expect(error.description.contains("unknown colour (1,2,3) at pixel (3, 7)"), "\(error)")
        }
    }
}
