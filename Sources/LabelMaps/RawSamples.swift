/// The samples of a decoded PNG, borrowed for the duration of a call: 8-bit storage for
/// files of depth 1–8 (sub-byte samples unpacked, not scaled), 16-bit storage (host byte
/// order) for 16-bit files.
public enum SampleBuffer {
    case uint8(UnsafeBufferPointer<UInt8>)
    case uint16(UnsafeBufferPointer<UInt16>)
}

/// Raw access to a label file's samples without copying them, for passes that look at every
/// value as it is in the file (e.g. `ovseg inspect`'s histograms) rather than as a vocabulary
/// reads it. `LabelMapReader` stays the way to read labels for scoring.
public enum RawSamples {
    /// Decodes a PNG (or a TIFF, docs/label-files.md §1) held in memory and passes its size,
    /// layout and samples (valid only inside `body`, `layout.channels` interleaved samples per
    /// pixel, row-major) to `body`. A TIFF's layout is given in PNG terms (palette entries
    /// reduced to 8 bits as `TIFFLabelReader` does). `name` identifies the file in errors. A JPEG is
    /// refused (lossy: its values are not labels).
    public static func withSamples<Result>(
        bytes: [UInt8], name: String, maxPixels: Int = LabelMapReader.defaultMaxPixels,
        _ body: (_ width: Int, _ height: Int, _ layout: PNGLayout, _ samples: SampleBuffer) throws -> Result
    ) throws -> Result {
        switch RasterFileFormat.sniff(bytes) {
        case .tiff:
            let reader = try TIFFLabelReader(bytes: bytes, name: name, colors: nil, format: nil, maxPixels: maxPixels, rawSamplesOnly: true)
            let (layout, samples) = try reader.rawSamples()
            switch samples {
            case .uint8(let values):
                return try values.withUnsafeBufferPointer { try body(reader.width, reader.height, layout, .uint8($0)) }
            case .uint16(let values):
                return try values.withUnsafeBufferPointer { try body(reader.width, reader.height, layout, .uint16($0)) }
            }
        case .jpeg:
            throw LabelMapReader.jpegRefusal(name: name)
        case .png, nil:
            break
        }
        return try RawPNG.withDecoded(.bytes(bytes), name: name, maxPixels: maxPixels) { image, layout in
            let width = Int(image.width), height = Int(image.height)
            let needed = width * height * Int(image.channels) * Int(image.bit_depth / 8)
            guard let data = image.data, image.size >= needed else {
                throw LabelMapError(.corrupt, file: name, detail: "decoder returned no samples")
            }
            if image.bit_depth == 16 {
                let wide = UnsafeRawPointer(data).assumingMemoryBound(to: UInt16.self)
                return try body(width, height, layout, .uint16(UnsafeBufferPointer(start: wide, count: image.size / 2)))
            }
            return try body(width, height, layout, .uint8(UnsafeBufferPointer(start: data, count: image.size)))
        }
    }
}
