import FileOutput
#if canImport(Glibc)
import Glibc
#endif
import CPNGRaw

/// Writes label maps and RGB images as PNG. Every write is atomic: a temporary
/// file in the destination directory is renamed over `path` only after libpng
/// finished; on failure it is removed and an existing file at `path` is kept.
public enum LabelMapWriter {
    /// Writes an 8-bit palette PNG whose indices are the label values and whose
    /// palette (1...256 colours) is only for display. Every value must be `< palette.count`.
    /// `compressionLevel` is zlib's 0...9 (nil: libpng's default); it changes the bytes, never the pixels.
    public static func writePalette(_ map: LabelMap, palette: [RGB], to path: String, compressionLevel: Int? = nil) throws {
        guard (1...256).contains(palette.count) else {
            throw LabelMapError(.invalidArgument, file: path,
                                detail: "a palette needs 1 to 256 colours, got \(palette.count)")
        }
        let indices = try narrowTo8Bit(map, limit: palette.count, path: path, what: "palette range 0...\(palette.count - 1)")
        let paletteBytes = palette.flatMap { [$0.r, $0.g, $0.b] }
        try write8(path: path, width: map.width, height: map.height, colorType: RawPNG.colorTypePalette,
                   samples: indices, palette: paletteBytes, compressionLevel: compressionLevel)
    }

    /// Writes an 8-bit gray PNG; every value must be `<= 255`. `compressionLevel` as in `writePalette`.
    public static func writeGray8(_ map: LabelMap, to path: String, compressionLevel: Int? = nil) throws {
        let gray = try narrowTo8Bit(map, limit: 256, path: path, what: "8-bit range 0...255")
        try write8(path: path, width: map.width, height: map.height, colorType: RawPNG.colorTypeGray,
                   samples: gray, palette: [], compressionLevel: compressionLevel)
    }

    /// Writes a 16-bit gray PNG holding the values unchanged.
    public static func writeGray16(_ map: LabelMap, to path: String) throws {
        try checkCount(map, path: path)
        let (width, height) = try checkedSize(map.width, map.height, path: path)
        try atomically(path) { temporary in
            try callWriter(path: path) { message, capacity in
                map.values.withUnsafeBufferPointer { values in
                    ovpng_write_gray16(temporary, width, height, values.baseAddress, message, capacity)
                }
            }
        }
    }

    /// Writes an 8-bit RGB PNG from `width * height * 3` interleaved bytes
    /// (synthetic scenes, colour-coded ground truth). `compressionLevel` as in `writePalette`.
    public static func writeRGB(
        width: Int, height: Int, pixels: [UInt8], to path: String, compressionLevel: Int? = nil
    ) throws {
        guard width >= 0, height >= 0, pixels.count == width * height * 3 else {
            throw LabelMapError(.invalidArgument, file: path,
                                detail: "an RGB image of \(width)x\(height) needs \(max(width * height * 3, 0)) bytes, got \(pixels.count)")
        }
        try write8(path: path, width: width, height: height, colorType: RawPNG.colorTypeRGB,
                   samples: pixels, palette: [], compressionLevel: compressionLevel)
    }

    /// Encodes an 8-bit RGB image (`width * height * 3` interleaved bytes) as PNG in memory,
    /// for outputs that embed or stage it themselves (report tiles): no file is written.
    public static func encodeRGB(width: Int, height: Int, pixels: [UInt8], compressionLevel: Int? = nil) throws -> [UInt8] {
        guard width >= 0, height >= 0, pixels.count == width * height * 3 else {
            throw LabelMapError(.invalidArgument, file: "(PNG in memory)",
                                detail: "an RGB image of \(width)x\(height) needs \(max(width * height * 3, 0)) bytes, got \(pixels.count)")
        }
        let (width32, height32) = try checkedSize(width, height, path: "(PNG in memory)")
        var bytes: UnsafeMutablePointer<UInt8>?
        var length = 0
        defer { free(bytes) }
        try callWriter(path: "(PNG in memory)") { message, capacity in
            pixels.withUnsafeBufferPointer { samples in
                ovpng_encode_rgb8(width32, height32, samples.baseAddress, Int32(compressionLevel ?? -1), &bytes, &length, message, capacity)
            }
        }
        guard let bytes else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }

    // MARK: helpers

    /// The values as bytes, or an error naming the first value `>= limit` and its position.
    private static func narrowTo8Bit(_ map: LabelMap, limit: Int, path: String, what: String) throws -> [UInt8] {
        try checkCount(map, path: path)
        var bytes = [UInt8](repeating: 0, count: map.values.count)
        for (index, value) in map.values.enumerated() {
            guard Int(value) < limit else {
                let (x, y) = map.position(ofIndex: index)
                throw LabelMapError(.valueOutOfRange, file: path,
                                    detail: "value \(value) at pixel (\(x), \(y)) is outside the \(what)")
            }
            bytes[index] = UInt8(truncatingIfNeeded: value)
        }
        return bytes
    }

    /// `values` is mutable, so its count may no longer match the size.
    private static func checkCount(_ map: LabelMap, path: String) throws {
        guard map.values.count == map.width * map.height else {
            throw LabelMapError(.invalidArgument, file: path,
                                detail: "a \(map.width)x\(map.height) label map has \(map.values.count) values")
        }
    }

    private static func checkedSize(_ width: Int, _ height: Int, path: String) throws -> (UInt32, UInt32) {
        guard let width32 = UInt32(exactly: width), let height32 = UInt32(exactly: height) else {
            throw LabelMapError(.invalidArgument, file: path, detail: "cannot write an image of \(width)x\(height) pixels")
        }
        return (width32, height32)
    }

    private static func write8(path: String, width: Int, height: Int, colorType: Int32,
                               samples: [UInt8], palette: [UInt8], compressionLevel: Int?) throws {
        let (width32, height32) = try checkedSize(width, height, path: path)
        if let compressionLevel, !(0...9).contains(compressionLevel) {
            throw LabelMapError(.invalidArgument, file: path,
                                detail: "the zlib compression level must be 0...9, got \(compressionLevel)")
        }
        let level = Int32(compressionLevel ?? -1)
        try atomically(path) { temporary in
            try callWriter(path: path) { message, capacity in
                samples.withUnsafeBufferPointer { sampleBuffer in
                    palette.withUnsafeBufferPointer { paletteBuffer in
                        ovpng_write8(temporary, width32, height32, colorType, sampleBuffer.baseAddress,
                                     paletteBuffer.baseAddress, Int32(palette.count / 3), level, message, capacity)
                    }
                }
            }
        }
    }

    /// `AtomicFile.write(to:)` with its own failures (creating, flushing or renaming the
    /// temporary file) reported as `LabelMapError.writeFailed` naming `path`.
    private static func atomically(_ path: String, _ body: (String) throws -> Void) throws {
        do {
            try AtomicFile.write(to: path, body)
        } catch let error as FileOutputError {
            throw LabelMapError(.writeFailed, file: path, detail: error.reason)
        }
    }

    /// Runs a C writer with an error buffer and turns a failure into a `LabelMapError`.
    private static func callWriter(path: String,
                                   _ write: (UnsafeMutablePointer<CChar>?, Int) -> Int32) throws {
        var message = [CChar](repeating: 0, count: RawPNG.errorCapacity)
        var code: Int32 = 0
        let status = message.withUnsafeMutableBufferPointer { buffer in
            let status = write(buffer.baseAddress, buffer.count)
            code = errno
            return status
        }
        guard status == Int32(OVPNG_OK) else {
            let kind: LabelMapError.Kind = status == Int32(OVPNG_ERROR_ARGUMENT) ? .invalidArgument : .writeFailed
            // A failed write (a full disk, a file-size limit) is named as such (docs/robustness.md §4).
            let detail = status == Int32(OVPNG_ERROR_WRITE) && code != 0
                ? "cannot write PNG: \(AtomicFile.writeFailure(code))" : "cannot write PNG: \(RawPNG.cString(message))"
            throw LabelMapError(kind, file: path, detail: detail)
        }
    }
}
