import CPNGRaw

/// Reads label-map files (PNG, and TIFF through `TIFFLabelReader`) into `LabelMap`s. JPEG files
/// are refused (`RasterFileFormat.refuseLossyLabels`).
///
/// The file's own colour type decides how pixels become values:
/// - gray (8- or 16-bit): the gray value; 2- and 4-bit gray is scaled to 0–255 (× 85, × 17) and
///   1-bit gray read as 0/1, exactly as Pillow (and so mmseg's default loader) returns them;
/// - palette: the palette *index*, never the colour (class-id PNGs with a
///   display palette, as in mmseg/PIL "P" mode);
/// - gray+alpha: the gray value, alpha ignored;
/// - 8-bit RGB/RGBA: a colour-coded map; each colour is looked up in `colors`
///   (alpha ignored). 16-bit RGB/RGBA is unsupported.
/// No gamma or colour conversion is ever applied, so values match what Pillow returns for the
/// same file (`np.array(Image.open(path))`).
///
/// A `LabelFormat` replaces that decision for runs that insist on one reading
/// (`--label-format`; see `LabelFormat` for the contract).
public enum LabelMapReader {
    /// Default bound on width × height, so a forged header cannot trigger a huge allocation:
    /// 2^31 pixels, or the value of `OVSEG_MAX_PIXELS` (`PixelLimit`, docs/robustness.md §3).
    public static let defaultMaxPixels = PixelLimit.current

    /// Reads and decodes the label map at `path` (the file is read once, then decoded from memory).
    public static func read(path: String, colors: ColorTable?, format: LabelFormat? = nil,
                            maxPixels: Int = defaultMaxPixels) throws -> LabelMap {
        try decode(bytes: FileBytes.read(path: path), name: path, colors: colors, format: format, maxPixels: maxPixels)
    }

    /// Decodes a label map held in memory; `name` identifies it in error messages.
    /// Use this when the caller also needs the bytes (e.g. to hash them). The container is
    /// recognised by its signature: TIFF goes to `TIFFLabelReader` (docs/label-files.md §1),
    /// JPEG is refused (lossy), anything else to libpng. `format` nil lets the file's colour
    /// type decide; otherwise it is read as `format` says.
    public static func decode(bytes: [UInt8], name: String, colors: ColorTable?, format: LabelFormat? = nil,
                              maxPixels: Int = defaultMaxPixels) throws -> LabelMap {
        switch RasterFileFormat.sniff(bytes) {
        case .tiff:
            return try TIFFLabelReader(bytes: bytes, name: name, colors: colors, format: format, maxPixels: maxPixels).readRemaining()
        case .jpeg: throw jpegRefusal(name: name)
        case .png, nil: return try decodePNG(bytes: bytes, name: name, colors: colors, format: format, maxPixels: maxPixels)
        }
    }

    /// The error for a JPEG given as a label file (one wording everywhere: `LabelMapError.lossyLabels`).
    static func jpegRefusal(name: String) -> LabelMapError {
        LabelMapError.lossyLabels(file: name)
    }

    private static func decodePNG(bytes: [UInt8], name: String, colors: ColorTable?, format: LabelFormat?,
                                  maxPixels: Int) throws -> LabelMap {
        try RawPNG.withDecoded(.bytes(bytes), name: name, maxPixels: maxPixels) { image, layout in
            let width = Int(image.width)
            let height = Int(image.height)
            let pixelCount = width * height
            let channels = Int(image.channels)
            guard let data = image.data, image.size >= pixelCount * channels * Int(image.bit_depth / 8) else {
                throw LabelMapError(.corrupt, file: name, detail: "decoder returned no samples")
            }
            let samples = UnsafeBufferPointer(start: data, count: image.size)
            if let format, let map = try PNGLabelFormat.decode(
                format: format, layout: layout, samples: samples, width: width, height: height,
                colors: colors, name: name)
            {
                return map
            }

            switch layout {
            case .gray, .palette, .grayAlpha:
                // Take the first sample of each pixel (gray value or palette index).
                let values: [UInt16]
                if image.bit_depth == 16 {
                    let wide = UnsafeRawBufferPointer(samples).bindMemory(to: UInt16.self)
                    values = [UInt16](unsafeUninitializedCapacity: pixelCount) { output, initialized in
                        for index in 0..<pixelCount { output[index] = wide[index * channels] }
                        initialized = pixelCount
                    }
                } else {
                    // Pillow unpacks 2- and 4-bit gray to the full 8-bit range ("L;2", "L;4"), but
                    // keeps 1-bit gray as 0/1 (mode "1" as an array); palette indices are never scaled.
                    var scale: UInt16 = 1
                    if case .gray(let depth) = layout, depth == 2 || depth == 4 { scale = 255 / UInt16((1 << depth) - 1) }
                    values = [UInt16](unsafeUninitializedCapacity: pixelCount) { output, initialized in
                        for index in 0..<pixelCount { output[index] = UInt16(samples[index * channels]) * scale }
                        initialized = pixelCount
                    }
                }
                return LabelMap(width: width, height: height, values: values)

            case .rgb(let depth), .rgba(let depth):
                guard depth == 8 else {
                    throw LabelMapError(.unsupportedLayout, file: name,
                                        detail: "unsupported layout: \(depth)-bit \(channels == 3 ? "RGB" : "RGBA"); colour-coded label maps must be 8-bit")
                }
                guard let colors else {
                    throw LabelMapError(.colorTableNeeded, file: name,
                                        detail: "is an RGB colour-coded label map; a colour table is needed to read it")
                }
                var unknownIndex: Int? = nil
                let values = [UInt16](unsafeUninitializedCapacity: pixelCount) { output, initialized in
                    unknownIndex = colors.map(samples: samples, channels: channels, pixelCount: pixelCount, into: output)
                    // On failure the buffer is only partly written: zero it so the array is valid.
                    if unknownIndex != nil { output.initialize(repeating: 0) }
                    initialized = pixelCount
                }
                if let index = unknownIndex {
                    let offset = index * channels
                    let color = RGB(samples[offset], samples[offset + 1], samples[offset + 2])
                    let x = index % width, y = index / width
                    throw LabelMapError(.unknownColor, file: name,
                                        detail: "unknown colour \(color) at pixel (\(x), \(y)); the colour table has \(colors.count) colours")
                }
                var map = LabelMap(width: width, height: height, values: values)
                map.isColorCoded = true
                return map
            }
        }
    }
}
