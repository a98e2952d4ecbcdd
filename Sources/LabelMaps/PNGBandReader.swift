import CPNGRaw

/// A non-interlaced PNG label file decoded a band of rows at a time (libpng's row reader), so
/// scoring a large PNG tile holds a few rows per file instead of the whole map
/// (docs/label-files.md §2). Values are exactly those of `LabelMapReader.decode`: gray values
/// (2- and 4-bit gray stretched as Pillow does), palette indices, or colours looked up in the
/// colour table.
///
/// Interlaced files and runs with a `LabelFormat` are decoded whole instead
/// (`LabelBandReaders.open` chooses).
public final class PNGBandReader: LabelBandReader {
    public let name: String
    public let width: Int
    public let height: Int
    public let isColorCoded: Bool
    public private(set) var rowsRead = 0
    public var preferredBandRows: Int { 64 }
    public var georeferencing: Georeferencing? { nil }
    /// Streamed from disk: callers hash the file themselves.
    public var fileBytes: [UInt8]? { nil }

    private let stream: OpaquePointer
    private let layout: PNGLayout
    private let channels: Int
    private let bytesPerSample: Int
    private let colors: ColorTable?
    private var samples: [UInt8] = []

    /// Opens `path`; nil when the file is interlaced (its rows exist only once every pass is read).
    init?(path: String, colors: ColorTable?, maxPixels: Int) throws(LabelMapError) {
        var image = ovpng_image()
        var message = [CChar](repeating: 0, count: RawPNG.errorCapacity)
        var opened: OpaquePointer?
        let status = message.withUnsafeMutableBufferPointer { text in
            ovpng_stream_open(path, &opened, &image, UInt64(max(maxPixels, 1)), text.baseAddress, text.count)
        }
        guard status == Int32(OVPNG_OK), let opened else {
            throw LabelMapError(RawPNG.kind(ofStatus: status), file: path, detail: RawPNG.describe(status: status, message: message, maxPixels: maxPixels))
        }
        if image.interlaced != 0 {
            ovpng_stream_close(opened)
            return nil
        }
        let layout = RawPNG.layout(of: image)
        switch layout {
        case .rgb(let depth), .rgba(let depth):
            guard depth == 8 else {
                ovpng_stream_close(opened)
                throw LabelMapError(.unsupportedLayout, file: path,
                    detail: "unsupported layout: \(depth)-bit \(image.channels == 3 ? "RGB" : "RGBA"); colour-coded label maps must be 8-bit")
            }
            guard colors != nil else {
                ovpng_stream_close(opened)
                throw LabelMapError(.colorTableNeeded, file: path,
                                    detail: "is an RGB colour-coded label map; a colour table is needed to read it")
            }
            isColorCoded = true
        case .gray, .grayAlpha, .palette:
            isColorCoded = false
        }
        self.stream = opened
        self.name = path
        self.width = Int(image.width)
        self.height = Int(image.height)
        self.layout = layout
        self.channels = Int(image.channels)
        self.bytesPerSample = Int(image.bit_depth) / 8
        self.colors = colors
    }

    deinit { ovpng_stream_close(stream) }

    public func readRows(_ rows: Int, into output: UnsafeMutableBufferPointer<UInt16>) throws(LabelMapError) {
        guard rows >= 0, rowsRead + rows <= height, output.count >= rows * width else {
            throw LabelMapError(.invalidArgument, file: name, detail: "cannot read \(rows) rows from row \(rowsRead) of \(height)")
        }
        if rows == 0 { return }
        let rowBytes = width * channels * bytesPerSample
        if samples.count < rows * rowBytes { samples = [UInt8](repeating: 0, count: rows * rowBytes) }
        var message = [CChar](repeating: 0, count: RawPNG.errorCapacity)
        let status = samples.withUnsafeMutableBufferPointer { buffer in
            message.withUnsafeMutableBufferPointer { text in
                ovpng_stream_read_rows(stream, UInt32(rows), buffer.baseAddress, text.baseAddress, text.count)
            }
        }
        guard status == Int32(OVPNG_OK) else {
            throw LabelMapError(RawPNG.kind(ofStatus: status), file: name, detail: RawPNG.describe(status: status, message: message))
        }
        let pixels = rows * width
        let firstRow = rowsRead
        rowsRead += rows
        switch layout {
        case .gray, .grayAlpha, .palette:
            if bytesPerSample == 2 {
                samples.withUnsafeBytes { raw in
                    let wide = raw.bindMemory(to: UInt16.self)
                    for i in 0..<pixels { output[i] = wide[i * channels] }
                }
            } else {
                var scale: UInt16 = 1
                if case .gray(let depth) = layout, depth == 2 || depth == 4 { scale = 255 / UInt16((1 << depth) - 1) }
                for i in 0..<pixels { output[i] = UInt16(samples[i * channels]) * scale }
            }
        case .rgb, .rgba:
            guard let colors else { return }
            let unknown = samples.withUnsafeBufferPointer { buffer in
                colors.map(samples: buffer, channels: channels, pixelCount: pixels, into: output)
            }
            if let index = unknown {
                let offset = index * channels
                let color = RGB(samples[offset], samples[offset + 1], samples[offset + 2])
                throw LabelMapError(.unknownColor, file: name,
                    detail: "unknown colour \(color) at pixel (\(index % width), \(firstRow + index / width)); the colour table has \(colors.count) colours")
            }
        }
    }
}
