import CTIFFShim

/// Reads TIFF and GeoTIFF label files through libtiff, a band of rows at a time
/// (docs/label-files.md).
///
/// What is read: 1/2/4/8/16-bit unsigned gray (MinIsBlack) and palette files, 8-bit RGB and
/// RGBA (extra samples ignored), contiguous or separate planes (PlanarConfig 1 or 2), strips or
/// tiles, BigTIFF, any compression this libtiff decodes (none, LZW, deflate, PackBits, …) with
/// any predictor. Values are what the PNG path gives for the same labels: gray values, palette
/// indices, or RGB colours looked up in a `ColorTable`.
///
/// What is refused, with an error naming the file: JPEG/old-JPEG compression (lossy), float and
/// signed samples, MinIsWhite gray (Pillow inverts it, other tools do not: the values are
/// ambiguous), 16-bit RGB, other photometric interpretations (YCbCr, CMYK, …), and files with
/// more than one image (pages, GeoTIFF overviews or masks).
///
/// Memory: strip files are decoded one row at a time (libtiff scanlines), tiled files one row
/// of tiles at a time, so a band costs `width × max(band, tile height)` samples whatever the
/// image size (files with separate planes decode one strip per plane).
public final class TIFFLabelReader: LabelBandReader {
    public let name: String
    public let width: Int
    public let height: Int
    public let isColorCoded: Bool
    public let preferredBandRows: Int
    public private(set) var rowsRead = 0
    public let georeferencing: Georeferencing?
    public var fileBytes: [UInt8]? { nil }

    /// How samples become values.
    enum Reading {
        /// Sample 0 of each pixel (gray value or palette index).
        case value
        /// RGB colours through a colour table.
        case colors(ColorTable)
        /// RGB read as an index file: channel 0, which must equal the other two.
        case equalChannels
        /// Palette indices through their entries' colours: label value per index, −1 for an
        /// entry whose colour the table does not know.
        case paletteColors(values: [Int32], entries: [RGB], tableCount: Int)
    }

    private let handle: OpaquePointer
    private let reading: Reading
    /// The file's layout in PNG terms, for raw sample access (`RawSamples`).
    let rawLayout: PNGLayout?
    private let bitsPerSample: Int
    private let samplesPerPixel: Int
    private let separatePlanes: Bool
    private let tiled: Bool
    private let tileWidth: Int
    private let tileLength: Int
    private let rowsPerStrip: Int
    /// Bytes of one decoded strip, tile or scanline from libtiff.
    private let rawSize: Int
    /// Rows a block holds: 1 (scanlines), rows per strip (separate planes) or the tile height.
    private let blockRows: Int
    /// Decoded, unpacked samples of the current block, `samplesPerPixel` per pixel, row-major;
    /// 8-bit storage for depths up to 8, 16-bit storage for 16.
    private var block8: [UInt8] = []
    private var block16: [UInt16] = []
    /// First image row of the current block, −1 before any.
    private var blockStart = -1
    private var raw: [UInt8]

    /// Opens the TIFF at `path` and reads its header; pixel data is decoded as rows are asked for.
    public convenience init(path: String, colors: ColorTable?, format: LabelFormat? = nil,
                            maxPixels: Int = LabelMapReader.defaultMaxPixels) throws(LabelMapError) {
        var message = [CChar](repeating: 0, count: Int(OVTIFF_MESSAGE_CAPACITY))
        let opened = message.withUnsafeMutableBufferPointer { text in
            ovtiff_open(path, text.baseAddress, text.count)
        }
        guard let opened else {
            throw LabelMapError(.cannotOpen, file: path, detail: "cannot open TIFF (libtiff: \(RawPNG.cString(message)))")
        }
        try self.init(handle: opened, name: path, colors: colors, format: format, maxPixels: maxPixels)
    }

    /// Reads a TIFF held in memory (copied); `name` identifies it in errors.
    public convenience init(bytes: [UInt8], name: String, colors: ColorTable?, format: LabelFormat? = nil,
                            maxPixels: Int = LabelMapReader.defaultMaxPixels) throws(LabelMapError) {
        try self.init(bytes: bytes, name: name, colors: colors, format: format, maxPixels: maxPixels, rawSamplesOnly: false)
    }

    /// `rawSamplesOnly`: samples are wanted as stored (`rawSamples`), so no reading is chosen.
    convenience init(bytes: [UInt8], name: String, colors: ColorTable?, format: LabelFormat?, maxPixels: Int,
                     rawSamplesOnly: Bool) throws(LabelMapError) {
        var message = [CChar](repeating: 0, count: Int(OVTIFF_MESSAGE_CAPACITY))
        let opened = bytes.withUnsafeBytes { source in
            message.withUnsafeMutableBufferPointer { text in
                ovtiff_open_memory(source.baseAddress, source.count, name, text.baseAddress, text.count)
            }
        }
        guard let opened else {
            throw LabelMapError(.corrupt, file: name, detail: "not a readable TIFF (libtiff: \(RawPNG.cString(message)))")
        }
        try self.init(handle: opened, name: name, colors: colors, format: format, maxPixels: maxPixels, rawSamplesOnly: rawSamplesOnly)
    }

    private init(handle: OpaquePointer, name: String, colors: ColorTable?, format: LabelFormat?,
                 maxPixels: Int, rawSamplesOnly: Bool = false) throws(LabelMapError) {
        self.handle = handle
        self.name = name
        var info = ovtiff_info()
        guard ovtiff_get_info(handle, &info) == 0 else {
            let reason = String(cString: ovtiff_message(handle))
            ovtiff_close(handle)
            throw LabelMapError(.corrupt, file: name, detail: "TIFF has no image size (libtiff: \(reason))")
        }
        do {
            try Self.check(info, name: name, maxPixels: maxPixels)
            reading = rawSamplesOnly ? .value : try Self.reading(info, name: name, colors: colors, format: format)
        } catch {
            ovtiff_close(handle)
            throw error
        }
        width = Int(info.width)
        height = Int(info.height)
        bitsPerSample = Int(info.bits_per_sample)
        samplesPerPixel = Int(info.samples_per_pixel)
        separatePlanes = info.planar_config == 2 && samplesPerPixel > 1
        tiled = info.is_tiled != 0
        tileWidth = Int(info.tile_width)
        tileLength = Int(info.tile_length)
        rowsPerStrip = Int(info.rows_per_strip)
        // A block never holds rows below the image: a tile or strip taller than the image (a header
        // may declare 655 376-row tiles over 37 rows) would otherwise size the buffers by its height.
        if tiled {
            rawSize = info.tile_size
            blockRows = min(tileLength, height)
        } else if separatePlanes {
            rawSize = info.strip_size
            blockRows = min(rowsPerStrip, height)
        } else {
            rawSize = info.scanline_size
            blockRows = 1
        }
        raw = []
        switch reading {
        case .colors, .paletteColors: isColorCoded = true
        case .value, .equalChannels: isColorCoded = false
        }
        preferredBandRows = min(max(64, blockRows), max(height, 1))
        rawLayout = Self.pngLayout(info)
        georeferencing = Self.georeferencing(handle)
    }

    deinit { ovtiff_close(handle) }

    // MARK: - Header checks

    static func compressionName(_ code: UInt16) -> String {
        switch code {
        case 1: "none"
        case 2: "CCITT RLE"
        case 5: "LZW"
        case 6: "old-style JPEG"
        case 7: "JPEG"
        case 8, 32946: "deflate"
        case 32773: "PackBits"
        case 34887: "LERC"
        case 34925: "LZMA"
        case 50000: "ZSTD"
        case 50001: "WebP"
        default: "compression \(code)"
        }
    }

    private static func check(_ info: ovtiff_info, name: String, maxPixels: Int) throws(LabelMapError) {
        if info.directory_count > 1 {
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF holds \(info.directory_count) images (multi-page); a label file must hold one. "
                    + "GeoTIFF overviews and masks are extra images too: write the labels without them")
        }
        if info.compression == 6 || info.compression == 7 {
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF is \(compressionName(info.compression))-compressed; JPEG is lossy: label files must be "
                    + "lossless (PNG, or TIFF with no, LZW, deflate or PackBits compression)")
        }
        if info.codec_configured == 0 {
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF uses \(compressionName(info.compression)), which this libtiff cannot decode")
        }
        switch info.sample_format {
        case 1: break
        case 2:
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF has signed integer samples; label values must be unsigned 8- or 16-bit integers")
        case 3:
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF has floating-point samples; label values must be unsigned 8- or 16-bit integers "
                    + "(float label maps are not read: rounding would decide the classes)")
        default:
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF has sample format \(info.sample_format); label values must be unsigned integers")
        }
        let bits = Int(info.bits_per_sample)
        let samples = Int(info.samples_per_pixel)
        switch info.photometric {
        case 0:
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF is MinIsWhite gray (0 is white); tools disagree on its values (Pillow inverts them), "
                    + "so label files must be MinIsBlack gray, palette or RGB")
        case 1, 3:
            guard [1, 2, 4, 8, 16].contains(bits) else {
                throw LabelMapError(.unsupportedLayout, file: name, detail: "TIFF has \(bits)-bit samples; gray and palette labels must have 1, 2, 4, 8 or 16 bits")
            }
            guard samples >= 1, bits >= 8 || samples == 1 else {
                throw LabelMapError(.unsupportedLayout, file: name, detail: "TIFF has \(samples) samples of \(bits) bits per pixel; sub-byte labels must have one sample")
            }
            if info.photometric == 3 && info.has_colormap == 0 {
                throw LabelMapError(.corrupt, file: name, detail: "TIFF is a palette file without a colour map")
            }
        case 2:
            guard bits == 8 else {
                throw LabelMapError(.unsupportedLayout, file: name,
                    detail: "unsupported layout: \(bits)-bit RGB TIFF; colour-coded label maps must be 8-bit")
            }
            guard samples >= 3 else {
                throw LabelMapError(.corrupt, file: name, detail: "RGB TIFF with \(samples) samples per pixel")
            }
        default:
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF photometric interpretation \(info.photometric) (e.g. YCbCr, CMYK) is not read; "
                    + "label files must be gray (MinIsBlack), palette or RGB")
        }
        let pixels = Int(info.width).multipliedReportingOverflow(by: Int(info.height))
        guard info.width > 0, info.height > 0 else {
            throw LabelMapError(.corrupt, file: name, detail: "TIFF is \(info.width)×\(info.height): empty image")
        }
        guard !pixels.overflow, pixels.partialValue <= maxPixels else {
            throw LabelMapError(.tooLarge, file: name,
                detail: "too large: \(info.width)×\(info.height) = \(Int(info.width) * Int(info.height)) pixels; \(PixelLimit.hint(maxPixels))")
        }
        if info.is_tiled != 0 {
            guard info.tile_width > 0, info.tile_length > 0, info.tile_size > 0,
                  Int(info.tile_width) * Int(info.tile_length) <= max(maxPixels, 1 << 24) else {
                throw LabelMapError(.corrupt, file: name, detail: "TIFF declares tiles of \(info.tile_width)×\(info.tile_length)")
            }
            // One decoded tile is held in memory: it may exceed the image (tiles are padded to a
            // multiple of 16) but not by more than 16 MiB, so a header cannot make a small image
            // allocate gigabytes (e.g. 16×655 376 tiles of 238 samples over a 40×37 image).
            let imageBytes = Double(info.width) * Double(info.height) * Double(info.samples_per_pixel)
                * Double(info.bits_per_sample) / 8
            guard Double(info.tile_size) <= max(imageBytes, Double(1 << 24)) else {
                throw LabelMapError(.corrupt, file: name,
                    detail: "TIFF declares tiles of \(info.tile_width)×\(info.tile_length) (\(info.tile_size) bytes each) "
                        + "for a \(info.width)×\(info.height) image")
            }
        } else {
            guard info.rows_per_strip > 0, info.strip_size > 0, info.scanline_size > 0 else {
                throw LabelMapError(.corrupt, file: name, detail: "TIFF declares no readable strips")
            }
        }
    }

    private static func reading(_ info: ovtiff_info, name: String, colors: ColorTable?,
                                format: LabelFormat?) throws(LabelMapError) -> Reading {
        let isRGB = info.photometric == 2
        let isPalette = info.photometric == 3
        switch format {
        case nil:
            if !isRGB { return .value }
        case .index:
            return isRGB ? .equalChannels : .value
        case .palette:
            guard isPalette else {
                throw LabelMapError(.unsupportedLayout, file: name,
                    detail: "is a \(isRGB ? "RGB" : "gray") TIFF, not a palette file (label format palette)")
            }
            return .value
        case .color:
            if isPalette {
                guard info.bits_per_sample <= 8 else {
                    throw LabelMapError(.unsupportedLayout, file: name,
                        detail: "is a \(info.bits_per_sample)-bit palette TIFF; palette colours are read for up to 8-bit palettes")
                }
                guard let colors else {
                    throw LabelMapError(.colorTableNeeded, file: name,
                                        detail: "is read through its palette colours; a colour table is needed to read it")
                }
                let count = 1 << Int(info.bits_per_sample)
                var entries: [RGB] = []
                var values: [Int32] = []
                entries.reserveCapacity(count)
                values.reserveCapacity(count)
                for index in 0..<count {
                    // TIFF colour maps are 16-bit; Pillow keeps the high byte (value // 256).
                    let color = RGB(UInt8(info.colormap_red[index] >> 8), UInt8(info.colormap_green[index] >> 8),
                                    UInt8(info.colormap_blue[index] >> 8))
                    entries.append(color)
                    values.append(colors.label(for: color).map { Int32($0) } ?? -1)
                }
                return .paletteColors(values: values, entries: entries, tableCount: colors.count)
            }
            guard isRGB else {
                throw LabelMapError(.unsupportedLayout, file: name,
                    detail: "is a gray TIFF; label format color needs RGB or palette files")
            }
        }
        guard let colors else {
            throw LabelMapError(.colorTableNeeded, file: name,
                                detail: "is an RGB colour-coded label map; a colour table is needed to read it")
        }
        return .colors(colors)
    }

    /// The PNG layout with the same samples per pixel, or nil when there is none.
    private static func pngLayout(_ info: ovtiff_info) -> PNGLayout? {
        let bits = Int(info.bits_per_sample)
        switch (info.photometric, info.samples_per_pixel) {
        case (1, 1): return .gray(bitDepth: bits)
        case (1, 2): return .grayAlpha(bitDepth: bits)
        case (2, 3): return .rgb(bitDepth: bits)
        case (2, 4): return .rgba(bitDepth: bits)
        case (3, 1):
            let entries = (0..<(1 << bits)).map { index in
                RGB(UInt8(info.colormap_red[index] >> 8), UInt8(info.colormap_green[index] >> 8),
                    UInt8(info.colormap_blue[index] >> 8))
            }
            return .palette(bitDepth: bits, entries: entries)
        default: return nil
        }
    }

    /// Every sample of the file as stored (unpacked, interleaved, row-major): 8-bit storage for
    /// depths up to 8, 16-bit storage for 16, with its layout in PNG terms. For `RawSamples`.
    func rawSamples() throws(LabelMapError) -> (layout: PNGLayout, samples: PNGSamples) {
        guard let layout = rawLayout else {
            throw LabelMapError(.unsupportedLayout, file: name,
                detail: "TIFF with \(samplesPerPixel) samples per pixel has no gray, gray+alpha, palette, RGB or RGBA layout")
        }
        let rowSamples = width * samplesPerPixel
        var bytes: [UInt8] = [], words: [UInt16] = []
        if bitsPerSample == 16 { words.reserveCapacity(height * rowSamples) } else { bytes.reserveCapacity(height * rowSamples) }
        var y = 0
        while y < height {
            try loadBlock(containing: y)
            let rows = min(blockRows, height - y)
            if bitsPerSample == 16 { words += block16.prefix(rows * rowSamples) } else { bytes += block8.prefix(rows * rowSamples) }
            y += rows
        }
        rowsRead = height
        return (layout, bitsPerSample == 16 ? .uint16(words) : .uint8(bytes))
    }

    private static func georeferencing(_ handle: OpaquePointer) -> Georeferencing? {
        func numbers(_ tag: UInt32) -> [Double]? {
            var values: UnsafeMutablePointer<Double>?
            let count = ovtiff_get_numbers(handle, tag, &values)
            defer { ovtiff_free(values) }
            guard count >= 0, let values else { return nil }
            return Array(UnsafeBufferPointer(start: values, count: count))
        }
        var text: UnsafePointer<CChar>?
        let ascii = ovtiff_get_text(handle, Georeferencing.Tag.geoASCIIParams, &text) >= 0
            ? text.map { String(cString: $0) } : nil
        let found = Georeferencing(
            modelPixelScale: numbers(Georeferencing.Tag.modelPixelScale),
            modelTiepoint: numbers(Georeferencing.Tag.modelTiepoint),
            modelTransformation: numbers(Georeferencing.Tag.modelTransformation),
            geoKeys: numbers(Georeferencing.Tag.geoKeyDirectory).map { $0.map { Int($0) } },
            geoDoubleParams: numbers(Georeferencing.Tag.geoDoubleParams),
            geoASCIIParams: ascii)
        return found.isEmpty ? nil : found
    }

    // MARK: - Reading rows

    public func readRows(_ rows: Int, into output: UnsafeMutableBufferPointer<UInt16>) throws(LabelMapError) {
        guard rows >= 0, rowsRead + rows <= height, output.count >= rows * width else {
            throw LabelMapError(.invalidArgument, file: name,
                                detail: "cannot read \(rows) rows from row \(rowsRead) of \(height)")
        }
        for offset in 0..<rows {
            let y = rowsRead + offset
            if blockStart < 0 || y >= blockStart + blockRows { try loadBlock(containing: y) }
            let row = UnsafeMutableBufferPointer(rebasing: output[(offset * width)..<((offset + 1) * width)])
            try convert(blockRow: y - blockStart, y: y, into: row)
        }
        rowsRead += rows
    }

    private func libtiffFailure(_ what: String) -> LabelMapError {
        let reason = String(cString: ovtiff_message(handle))
        return LabelMapError(.corrupt, file: name,
                             detail: "truncated or corrupt TIFF: cannot decode \(what) (libtiff: \(reason.isEmpty ? "no reason given" : reason))")
    }

    private func prepareBlock() {
        let count = blockRows * width * samplesPerPixel
        if bitsPerSample == 16 {
            if block16.count != count { block16 = [UInt16](repeating: 0, count: count) }
        } else if block8.count != count {
            block8 = [UInt8](repeating: 0, count: count)
        }
        if raw.count != rawSize { raw = [UInt8](repeating: 0, count: rawSize) }
    }

    private func loadBlock(containing y: Int) throws(LabelMapError) {
        prepareBlock()
        let start = (y / blockRows) * blockRows
        let rowsInBlock = min(blockRows, height - start)
        let planes = separatePlanes ? samplesPerPixel : 1
        let rawSamplesPerPixel = separatePlanes ? 1 : samplesPerPixel
        if tiled {
            let tilesAcross = (width + tileWidth - 1) / tileWidth
            let tilesDown = (height + tileLength - 1) / tileLength
            let tileRowBytes = (tileWidth * rawSamplesPerPixel * bitsPerSample + 7) / 8
            for plane in 0..<planes {
                for tileColumn in 0..<tilesAcross {
                    let index = plane * tilesAcross * tilesDown + (start / tileLength) * tilesAcross + tileColumn
                    let got = raw.withUnsafeMutableBytes { ovtiff_read_tile(handle, UInt32(index), $0.baseAddress, $0.count) }
                    guard got >= 0 else { throw libtiffFailure("tile \(index) (rows \(start)–\(start + rowsInBlock - 1))") }
                    let x0 = tileColumn * tileWidth
                    let columns = min(tileWidth, width - x0)
                    for r in 0..<rowsInBlock {
                        unpack(rawOffset: r * tileRowBytes, pixels: columns, rawSamplesPerPixel: rawSamplesPerPixel,
                               destination: (r * width + x0) * samplesPerPixel + plane)
                    }
                }
            }
        } else if separatePlanes {
            let stripsPerPlane = (height + rowsPerStrip - 1) / rowsPerStrip
            let rowBytes = (width * bitsPerSample + 7) / 8
            for plane in 0..<planes {
                let index = plane * stripsPerPlane + start / rowsPerStrip
                let got = raw.withUnsafeMutableBytes { ovtiff_read_strip(handle, UInt32(index), $0.baseAddress, $0.count) }
                guard got >= rowBytes * rowsInBlock else { throw libtiffFailure("strip \(index) (rows \(start)–\(start + rowsInBlock - 1))") }
                for r in 0..<rowsInBlock {
                    unpack(rawOffset: r * rowBytes, pixels: width, rawSamplesPerPixel: 1,
                           destination: r * width * samplesPerPixel + plane)
                }
            }
        } else {
            let got = raw.withUnsafeMutableBytes { ovtiff_read_scanline(handle, UInt32(start), 0, $0.baseAddress) }
            guard got >= 0 else { throw libtiffFailure("row \(start)") }
            unpack(rawOffset: 0, pixels: width, rawSamplesPerPixel: samplesPerPixel, destination: 0)
        }
        blockStart = start
    }

    /// Copies `pixels` pixels of `rawSamplesPerPixel` samples from `raw` at `rawOffset` into the
    /// block at sample index `destination`: contiguously when the raw data holds all samples of
    /// a pixel, else every `samplesPerPixel`-th sample (one plane). Sub-byte samples are unpacked
    /// most significant bits first, without scaling.
    private func unpack(rawOffset: Int, pixels: Int, rawSamplesPerPixel: Int, destination: Int) {
        let count = pixels * rawSamplesPerPixel
        let stride = rawSamplesPerPixel == samplesPerPixel ? 1 : samplesPerPixel
        raw.withUnsafeBytes { source in
            if bitsPerSample == 16 {
                block16.withUnsafeMutableBufferPointer { block in
                    for i in 0..<count {
                        block[destination + i * stride] = source.loadUnaligned(fromByteOffset: rawOffset + 2 * i, as: UInt16.self)
                    }
                }
            } else if bitsPerSample == 8 {
                block8.withUnsafeMutableBufferPointer { block in
                    if stride == 1, let base = block.baseAddress, let from = source.baseAddress {
                        (base + destination).update(from: (from + rawOffset).assumingMemoryBound(to: UInt8.self), count: count)
                    } else {
                        for i in 0..<count { block[destination + i * stride] = source[rawOffset + i] }
                    }
                }
            } else {
                let bits = bitsPerSample
                let perByte = 8 / bits
                let mask = UInt8((1 << bits) - 1)
                block8.withUnsafeMutableBufferPointer { block in
                    for i in 0..<count {
                        let byte = source[rawOffset + i / perByte]
                        let shift = 8 - bits * (i % perByte + 1)
                        block[destination + i * stride] = (byte >> UInt8(shift)) & mask
                    }
                }
            }
        }
    }

    /// Turns row `blockRow` of the block (image row `y`) into label values.
    private func convert(blockRow: Int, y: Int, into output: UnsafeMutableBufferPointer<UInt16>) throws(LabelMapError) {
        let channels = samplesPerPixel
        let first = blockRow * width * channels
        switch reading {
        case .value:
            if bitsPerSample == 16 {
                block16.withUnsafeBufferPointer { block in
                    for x in 0..<width { output[x] = block[first + x * channels] }
                }
            } else {
                // 2- and 4-bit gray is stretched to 0–255 as Pillow reads it ("L;2", "L;4"), like the
                // PNG reader; 1-bit gray stays 0/1 and palette indices are never scaled.
                var scale: UInt16 = 1
                if case .gray(let depth)? = rawLayout, depth == 2 || depth == 4 { scale = 255 / UInt16((1 << depth) - 1) }
                block8.withUnsafeBufferPointer { block in
                    for x in 0..<width { output[x] = UInt16(block[first + x * channels]) * scale }
                }
            }
        case .colors(let table):
            let unknown = block8.withUnsafeBufferPointer { block in
                table.map(samples: UnsafeBufferPointer(rebasing: block[first..<(first + width * channels)]),
                          channels: channels, pixelCount: width, into: output)
            }
            if let x = unknown {
                let at = first + x * channels
                let color = RGB(block8[at], block8[at + 1], block8[at + 2])
                throw LabelMapError(.unknownColor, file: name,
                    detail: "unknown colour \(color) at pixel (\(x), \(y)); the colour table has \(table.count) colours")
            }
        case .equalChannels:
            var differing: Int?
            block8.withUnsafeBufferPointer { block in
                for x in 0..<width {
                    let at = first + x * channels
                    let r = block[at]
                    if block[at + 1] != r || block[at + 2] != r {
                        differing = x
                        return
                    }
                    output[x] = UInt16(r)
                }
            }
            if let x = differing {
                let at = first + x * channels
                let color = RGB(block8[at], block8[at + 1], block8[at + 2])
                throw LabelMapError(.unsupportedLayout, file: name,
                    detail: "RGB TIFF read as index labels has different channels \(color) at pixel (\(x), \(y)); "
                        + "index labels in an RGB file must repeat the value in R, G and B")
            }
        case .paletteColors(let values, let entries, let tableCount):
            var unknown: Int?
            block8.withUnsafeBufferPointer { block in
                values.withUnsafeBufferPointer { values in
                    for x in 0..<width {
                        let value = values[Int(block[first + x * channels])]
                        if value < 0 {
                            unknown = x
                            return
                        }
                        output[x] = UInt16(value)
                    }
                }
            }
            if let x = unknown {
                let index = Int(block8[first + x * channels])
                throw LabelMapError(.unknownColor, file: name,
                    detail: "unknown colour \(entries[index]) (palette entry \(index)) at pixel (\(x), \(y)); "
                        + "the colour table has \(tableCount) colours")
            }
        }
    }
}
