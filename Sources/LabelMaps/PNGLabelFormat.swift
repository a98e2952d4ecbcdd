/// Reads a decoded PNG as a forced `LabelFormat` (the contract is `LabelFormat`'s doc comment).
///
/// `decode` returns nil when the format reads the file exactly as its colour type already does
/// (gray or palette as `index`, palette as `palette`, RGB as `color`), so `LabelMapReader` keeps
/// one path for those; it returns a map when the format reads the file differently (RGB with
/// equal channels as `index`, a palette's entry colours as `color`), and throws when the file
/// cannot be read that way.
enum PNGLabelFormat {
    static func decode(
        format: LabelFormat, layout: PNGLayout, samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
        colors: ColorTable?, name: String
    ) throws -> LabelMap? {
        switch (format, layout) {
        case (.index, .gray), (.index, .grayAlpha), (.index, .palette), (.palette, .palette), (.color, .rgb), (.color, .rgba):
            return nil
        case (.index, .rgb), (.index, .rgba):
            return try equalChannels(layout: layout, samples: samples, width: width, height: height, name: name)
        case (.palette, _):
            throw LabelMapError(.labelFormatMismatch, file: name,
                detail: "is \(describe(layout)), not a palette PNG; label format 'palette' reads palette PNGs only")
        case (.color, .palette(_, let entries)):
            return try paletteColors(entries: entries, samples: samples, width: width, height: height, colors: colors, name: name)
        case (.color, .gray), (.color, .grayAlpha):
            throw LabelMapError(.labelFormatMismatch, file: name,
                detail: "is \(describe(layout)); label format 'color' reads RGB(A) or palette PNGs, whose pixels are colours")
        }
    }

    /// "an 8-bit gray PNG", "a 4-bit palette PNG", …
    static func describe(_ layout: PNGLayout) -> String {
        let kind: String
        switch layout {
        case .gray: kind = "gray"
        case .grayAlpha: kind = "gray+alpha"
        case .palette: kind = "palette"
        case .rgb: kind = "RGB"
        case .rgba: kind = "RGBA"
        }
        let depth = layout.bitDepth
        return "\(depth == 8 ? "an" : "a") \(depth)-bit \(kind) PNG"
    }

    /// The first channel of an RGB(A) file whose R, G and B agree at every pixel (gray labels
    /// saved as RGB); an error naming the first pixel where they differ.
    static func equalChannels(
        layout: PNGLayout, samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int, name: String
    ) throws -> LabelMap {
        let channels = layout.channels
        let pixelCount = width * height
        var firstDifference: Int? = nil
        var values: [UInt16]
        if layout.bitDepth == 16 {
            let wide = UnsafeRawBufferPointer(samples).bindMemory(to: UInt16.self)
            values = [UInt16](repeating: 0, count: pixelCount)
            for index in 0..<pixelCount {
                let offset = index * channels
                let red = wide[offset]
                if wide[offset + 1] != red || wide[offset + 2] != red { firstDifference = index; break }
                values[index] = red
            }
            if let index = firstDifference {
                let offset = index * channels
                throw differ(index: index, width: width, name: name,
                             channels: "(\(wide[offset]), \(wide[offset + 1]), \(wide[offset + 2]))")
            }
        } else {
            values = [UInt16](repeating: 0, count: pixelCount)
            for index in 0..<pixelCount {
                let offset = index * channels
                let red = samples[offset]
                if samples[offset + 1] != red || samples[offset + 2] != red { firstDifference = index; break }
                values[index] = UInt16(red)
            }
            if let index = firstDifference {
                let offset = index * channels
                throw differ(index: index, width: width, name: name,
                             channels: "(\(samples[offset]), \(samples[offset + 1]), \(samples[offset + 2]))")
            }
        }
        return LabelMap(width: width, height: height, values: values)
    }

    static func differ(index: Int, width: Int, name: String, channels: String) -> LabelMapError {
        LabelMapError(.labelFormatMismatch, file: name,
            detail: "is an RGB PNG read as label format 'index', but its channels differ at pixel (\(index % width), "
                + "\(index / width)): \(channels); index labels saved as RGB have R = G = B everywhere")
    }

    /// Each pixel's palette entry colour looked up in `colors`; unknown colours fail as in RGB files.
    static func paletteColors(
        entries: [RGB], samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int, colors: ColorTable?, name: String
    ) throws -> LabelMap {
        guard let colors else {
            throw LabelMapError(.colorTableNeeded, file: name,
                detail: "is a palette PNG read as colours (label format 'color'); a colour table is needed to read it")
        }
        let byEntry = entries.map { colors.label(for: $0) }
        let pixelCount = width * height
        var values = [UInt16](repeating: 0, count: pixelCount)
        for index in 0..<pixelCount {
            let entry = Int(samples[index])
            guard entry < entries.count else {
                throw LabelMapError(.corrupt, file: name,
                    detail: "palette index \(entry) at pixel (\(index % width), \(index / width)) has no palette entry "
                        + "(the palette has \(entries.count))")
            }
            guard let value = byEntry[entry] else {
                throw LabelMapError(.unknownColor, file: name,
                    detail: "unknown colour \(entries[entry]) at pixel (\(index % width), \(index / width)); "
                        + "the colour table has \(colors.count) colours")
            }
            values[index] = value
        }
        var map = LabelMap(width: width, height: height, values: values)
        map.isColorCoded = true
        return map
    }
}
