extension DecodedPNG {
    /// Whether the file stores colours directly: 8-bit RGB or RGBA, the only layouts a
    /// segmentation model is fed without a conversion guessed by ovseg.
    public var isEightBitColor: Bool {
        switch layout {
        case .rgb(8), .rgba(8): true
        default: false
        }
    }

    /// Interleaved 8-bit RGB of every pixel (`height × width × 3`), from any layout: alpha is
    /// dropped, 16-bit samples keep their high byte, gray is repeated in the three channels
    /// (sub-byte gray stretched to 0–255), palette indices are looked up.
    ///
    /// Throws `LabelMapError` naming `name` when a palette index lies outside the palette.
    public func rgbPixels(name: String) throws(LabelMapError) -> [UInt8] {
        let values: [UInt8]
        switch samples {
        case .uint8(let v): values = v
        case .uint16(let v): values = v.map { UInt8($0 >> 8) }
        }
        let n = width * height
        if case .rgb = layout { return values }
        var rgb = [UInt8](repeating: 0, count: 3 * n)
        switch layout {
        case .rgb:
            break
        case .rgba:
            for i in 0..<n { for c in 0..<3 { rgb[3 * i + c] = values[4 * i + c] } }
        case .gray(let depth):
            let scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1
            for i in 0..<n {
                let v = UInt8(clamping: Int(values[i]) * scale)
                for c in 0..<3 { rgb[3 * i + c] = v }
            }
        case .grayAlpha:
            for i in 0..<n { for c in 0..<3 { rgb[3 * i + c] = values[2 * i] } }
        case .palette(_, let entries):
            for i in 0..<n {
                let index = Int(values[i])
                guard index < entries.count else {
                    throw LabelMapError(
                        .valueOutOfRange, file: name, detail: "palette index \(index) at pixel (\(i % width), \(i / width)) lies outside its \(entries.count) entries")
                }
                rgb[3 * i] = entries[index].r
                rgb[3 * i + 1] = entries[index].g
                rgb[3 * i + 2] = entries[index].b
            }
        }
        return rgb
    }
}
