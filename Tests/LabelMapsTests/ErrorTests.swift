#if canImport(Glibc)
import Glibc
#endif
import LabelMaps
import Testing

@Suite struct ErrorTests {
    @Test func everyTruncationIsAnErrorNotACrash() throws {
        for name in ["palette8.png", "gray16.png", "interlaced.png", "rgb_gama.png"] {
            let full = try bytes(of: fixture(name))
            for length in 0..<full.count {
                let error = labelMapError {
                    _ = try LabelMapReader.decode(bytes: Array(full[..<length]), name: name, colors: classTable)
                }
                #expect(error != nil, "\(name) cut to \(length) bytes decoded without error")
                guard let error else { continue }
                #expect(error.kind == (length < 8 ? .notPNG : .corrupt), "\(name) cut to \(length): \(error)")
                #expect(error.description.hasPrefix(name))
            }
        }
    }

    /// Opening a FIFO for reading waits for a writer; the reader must refuse it without waiting.
    @Test func aFIFOIsRefusedWithoutWaiting() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("pipe.png")
        #expect(mkfifo(path, 0o600) == 0)
        let error = labelMapError { _ = try LabelMapReader.read(path: path, colors: nil) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description == "\(path): cannot open file (not a regular file)")
    }

    @Test func truncatedFileOnDiskNamesTheFileAndLibpngMessage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cut.png")
        let full = try bytes(of: fixture("gray16.png"))
        try write(Array(full[..<(full.count - 20)]), to: path)
        let error = labelMapError { _ = try LabelMapReader.read(path: path, colors: nil) }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("truncated") == true)
    }

    @Test func corruptedDataIsAnError() throws {
        var damaged = try bytes(of: fixture("interlaced.png"))
        damaged[60] ^= 0xFF  // inside the IDAT chunk: its CRC no longer matches
        let error = labelMapError { _ = try LabelMapReader.decode(bytes: damaged, name: "damaged.png", colors: nil) }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.contains("damaged.png") == true)
    }

    @Test func garbageBytesAreNotAPNG() throws {
        let garbage = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let error = labelMapError { _ = try LabelMapReader.decode(bytes: garbage, name: "noise.png", colors: nil) }
        #expect(error?.kind == .notPNG)
        #expect(error?.description == "noise.png: not a PNG file (bad signature)")

        // A valid signature followed by garbage is a libpng error.
        let error2 = labelMapError {
            _ = try LabelMapReader.decode(bytes: pngSignature + garbage, name: "noise2.png", colors: nil)
        }
        #expect(error2?.kind == .corrupt)
    }

    @Test func emptyFileIsNotAPNG() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("empty.png")
        try write([], to: path)
        let error = labelMapError { _ = try LabelMapReader.read(path: path, colors: nil) }
        #expect(error?.kind == .notPNG)
        #expect(error?.description.contains("empty") == true)
        #expect(error?.description.contains(path) == true)
    }

    @Test func missingFileAndDirectoryCannotBeOpened() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("missing.png")
        let error = labelMapError { _ = try LabelMapReader.read(path: missing, colors: nil) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description.contains(missing) == true)
        #expect(error?.description.contains("No such file") == true)

        let directoryError = labelMapError { _ = try LabelMapReader.read(path: directory.path, colors: nil) }
        #expect(directoryError?.kind == .cannotOpen)
    }

    @Test func unknownColourNamesColourAndPosition() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("coded.png")
        var pixels = [UInt8](repeating: 255, count: 8 * 5 * 3)  // all white = class 0
        let stray = (5 + 3 * 8) * 3  // pixel (5, 3)
        pixels[stray] = 12
        pixels[stray + 1] = 34
        pixels[stray + 2] = 56
        pixels[pixels.count - 3] = 1  // a second unknown colour later on
        try LabelMapWriter.writeRGB(width: 8, height: 5, pixels: pixels, to: path)
        let error = labelMapError { _ = try LabelMapReader.read(path: path, colors: classTable) }
        #expect(error?.kind == .unknownColor)
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("(12,34,56)") == true)
        #expect(error?.description.contains("(5, 3)") == true)
    }

    @Test func rgbWithoutColourTableIsAnError() throws {
        let error = labelMapError { _ = try LabelMapReader.read(path: fixture("rgb_gama.png"), colors: nil) }
        #expect(error?.kind == .colorTableNeeded)
        #expect(error?.description.contains("colour table") == true)
        #expect(error?.description.contains("rgb_gama.png") == true)
    }

    @Test func paletteValueOutOfRangeOnWrite() throws {
        let directory = try TemporaryDirectory()
        var map = LabelMap(width: 4, height: 3, repeating: 1)
        map[x: 2, y: 1] = 6
        let error = labelMapError {
            try LabelMapWriter.writePalette(map, palette: classColors, to: directory.file("p.png"))
        }
        #expect(error?.kind == .valueOutOfRange)
        #expect(error?.description.contains("value 6") == true)
        #expect(error?.description.contains("(2, 1)") == true)
        #expect(try directory.contents().isEmpty)

        let tooManyColours = [RGB](repeating: RGB(0, 0, 0), count: 257)
        let paletteError = labelMapError {
            try LabelMapWriter.writePalette(map, palette: tooManyColours, to: directory.file("p.png"))
        }
        #expect(paletteError?.kind == .invalidArgument)
    }

    @Test func forgedHugeHeaderIsRejectedBeforeAllocation() throws {
        // IHDR claims 1,000,000 x 1,000,000 8-bit gray pixels, followed by a few bytes of "data".
        let header = bigEndian(1_000_000) + bigEndian(1_000_000) + [8, 0, 0, 0, 0]
        let forged = pngSignature + pngChunk("IHDR", header) + pngChunk("IDAT", [0x78, 0x9C, 1, 2, 3])
            + pngChunk("IEND", [])
        let error = labelMapError { _ = try LabelMapReader.decode(bytes: forged, name: "forged.png", colors: nil) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.description.contains("1000000×1000000 = 1000000000000 pixels; the limit is") == true)

        // Without any IDAT libpng stops first: still an error, never an allocation.
        let headerOnly = pngSignature + pngChunk("IHDR", header) + pngChunk("IEND", [])
        let headerOnlyError = labelMapError {
            _ = try LabelMapReader.decode(bytes: headerOnly, name: "forged.png", colors: nil)
        }
        #expect(headerOnlyError?.kind == .corrupt)

        let small = try bytes(of: fixture("gray16.png"))  // 5 x 3 = 15 pixels
        let bounded = labelMapError {
            _ = try LabelMapReader.decode(bytes: small, name: "gray16.png", colors: nil, maxPixels: 14)
        }
        #expect(bounded?.kind == .tooLarge)
        #expect(try LabelMapReader.decode(bytes: small, name: "gray16.png", colors: nil, maxPixels: 15).width == 5)
    }
}

/// `DecodedPNG.read(path:)` goes through the C file reader (`ovpng_read`), the
/// label-map path through the memory reader: both must agree and fail cleanly.
@Suite struct FileReaderTests {
    @Test func fileAndMemoryReadersAgree() throws {
        for name in ["palette1.png", "gray16.png", "interlaced.png", "rgba.png", "gray_alpha.png"] {
            let path = try fixture(name)
            #expect(try DecodedPNG.read(path: path) == DecodedPNG.decode(bytes: bytes(of: path), name: path), "\(name)")
        }
    }

    @Test func fileReaderReportsErrors() throws {
        let directory = try TemporaryDirectory()
        let missing = labelMapError { _ = try DecodedPNG.read(path: directory.file("missing.png")) }
        #expect(missing?.kind == .cannotOpen)
        #expect(missing?.description.contains("missing.png: cannot open file (No such file") == true)

        let empty = directory.file("empty.png")
        try write([], to: empty)
        #expect(labelMapError { _ = try DecodedPNG.read(path: empty) }?.kind == .notPNG)

        let cut = directory.file("cut.png")
        let full = try bytes(of: fixture("palette8.png"))
        for length in [9, 20, 40, full.count - 13, full.count - 1] {
            try write(Array(full[..<length]), to: cut)
            let error = labelMapError { _ = try DecodedPNG.read(path: cut) }
            #expect(error?.kind == .corrupt, "cut to \(length): \(String(describing: error))")
        }

        let huge = labelMapError { _ = try DecodedPNG.read(path: fixture("gray16.png"), maxPixels: 10) }
        #expect(huge?.kind == .tooLarge)
        #expect(labelMapError { _ = try DecodedPNG.read(path: directory.path) }?.kind == .cannotOpen)
    }
}
