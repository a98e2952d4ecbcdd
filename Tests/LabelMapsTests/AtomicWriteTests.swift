import Foundation
import LabelMaps
import Testing

@Suite struct AtomicWriteTests {
    @Test func failingWriteKeepsPreviousFileAndLeavesNoTemporary() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("labels.png")
        let original = LabelMap(width: 3, height: 2, values: [0, 1, 2, 3, 4, 5])
        try LabelMapWriter.writeGray8(original, to: path)
        let originalBytes = try bytes(of: path)

        // libpng refuses a 0x0 image after the temporary file was created.
        let empty = LabelMap(width: 0, height: 0, values: [])
        let writes: [() throws -> Void] = [{ try LabelMapWriter.writeGray8(empty, to: path) },
                                            { try LabelMapWriter.writeGray16(empty, to: path) },
                                            { try LabelMapWriter.writePalette(empty, palette: classColors, to: path) },
                                            { try LabelMapWriter.writeRGB(width: 0, height: 0, pixels: [], to: path) }]
        for write in writes {
            let error = labelMapError(write)
            #expect(error?.kind == .writeFailed)
            #expect(error?.description.contains("libpng") == true || error?.description.contains("zero") == true,
                    "\(String(describing: error))")
        }
        // A validation failure must not touch the file either.
        _ = labelMapError { try LabelMapWriter.writePalette(original, palette: [RGB(0, 0, 0)], to: path) }

        #expect(try bytes(of: path) == originalBytes)
        #expect(try directory.contents() == ["labels.png"])
        #expect(try LabelMapReader.read(path: path, colors: nil) == original)
    }

    @Test func failedRenameRemovesTemporary() throws {
        let directory = try TemporaryDirectory()
        let blocker = directory.file("occupied")
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        let error = labelMapError { try LabelMapWriter.writeGray8(LabelMap(width: 1, height: 1, repeating: 7), to: blocker) }
        #expect(error?.kind == .writeFailed)
        #expect(try directory.contents() == ["occupied"])
    }

    @Test func writeIntoMissingDirectoryCreatesIt() throws {
        // As every ovseg output (`AtomicFile`): a missing folder is created like `mkdir -p`.
        let directory = try TemporaryDirectory()
        let map = LabelMap(width: 1, height: 1, repeating: 7)
        try LabelMapWriter.writeGray8(map, to: directory.file("no/such/x.png"))
        #expect(try LabelMapReader.read(path: directory.file("no/such/x.png"), colors: nil) == map)
    }

    @Test func rgbEncodedInMemoryDecodesToTheSamePixels() throws {
        let pixels: [UInt8] = (0..<(5 * 3 * 3)).map { UInt8(($0 * 37) % 256) }
        let png = try LabelMapWriter.encodeRGB(width: 5, height: 3, pixels: pixels)
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        let decoded = try RasterImage.decode(bytes: png, name: "memory.png")
        #expect(decoded.width == 5 && decoded.height == 3 && decoded.pixels == pixels)
    }

    @Test func successfulOverwriteReplacesFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("labels.png")
        try LabelMapWriter.writeGray8(LabelMap(width: 2, height: 1, values: [1, 2]), to: path)
        let replacement = LabelMap(width: 1, height: 2, values: [9, 8])
        try LabelMapWriter.writeGray8(replacement, to: path)
        #expect(try LabelMapReader.read(path: path, colors: nil) == replacement)
        #expect(try directory.contents() == ["labels.png"])
    }
}
