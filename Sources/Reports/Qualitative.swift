import Foundation
import Harness
import LabelMaps
import Metrics

/// Where the qualitative panel finds its pictures. Label maps are `<folder>/<image id>.png`; a photo
/// is the first of `<image id>.png`, `.jpg`, `.jpeg`, `.tif`, `.tiff` (each in lower, then upper
/// case) that exists in the image folder (`RasterImage.path(forID:in:)`).
public struct QualitativeSources: Sendable {
    /// Folder of the input images (optional: the panel then shows labels only).
    public var imageDirectory: String?
    /// Folder of the ground-truth label maps.
    public var groundTruthDirectory: String?
    /// Prediction folder per method name.
    public var predictionDirectories: [(method: String, directory: String)]
    /// How many images to show (the worst by mean per-image mIoU over the methods).
    public var count: Int
    /// Longest side of each thumbnail inlined in the HTML, in pixels (larger images are reduced;
    /// the full-resolution tile is written beside the report).
    public var thumbnailSize: Int

    /// The default `thumbnailSize`.
    public static let defaultThumbnailSize = 256

    public init(
        imageDirectory: String?, groundTruthDirectory: String?, predictionDirectories: [(method: String, directory: String)],
        count: Int = 3, thumbnailSize: Int = QualitativeSources.defaultThumbnailSize
    ) {
        self.imageDirectory = imageDirectory
        self.groundTruthDirectory = groundTruthDirectory
        self.predictionDirectories = predictionDirectories
        self.count = count
        self.thumbnailSize = thumbnailSize
    }
}

/// The worst images of a section, each as image | ground truth | predictions: a PNG thumbnail
/// for the HTML and the full-resolution PNG, written beside the report under `qualitative/`.
public struct QualitativePanel: Sendable {
    public struct Row: Sendable {
        public var imageID: String
        /// Mean over the methods of the image's own mIoU (union-present), the sort key.
        public var meanIoU: Double?
        /// One per picture shown; a missing file gives no tile.
        public var tiles: [Tile]
    }

    /// One picture: its thumbnail and its full-resolution rendering (label maps in the vocabulary colours).
    public struct Tile: Sendable {
        /// "image", "ground truth" or the method name.
        public var caption: String
        /// PNG of at most `QualitativeSources.thumbnailSize` pixels on the longest side, inlined in the HTML.
        public var thumbnail: [UInt8]
        public var thumbnailWidth: Int
        public var thumbnailHeight: Int
        /// PNG at the source's resolution, written beside the report as `fileName`.
        public var fullResolution: [UInt8]
        public var width: Int
        public var height: Int
        /// Path relative to the report folder, e.g. `qualitative/tile_0003-ground-truth.png`:
        /// only ASCII letters, digits, `.`, `_` and `-` after the folder, unique in the report.
        public var fileName: String
    }

    public var rows: [Row]

    /// The folder beside the report that holds the full-resolution tiles.
    public static let folder = "qualitative"

    /// Ranks the images and reads their tiles. Each prediction file shown must be the file the run
    /// was scored with: its SHA-256 is compared with the `prediction_sha256` the results file
    /// (`paths`, parallel to `records`) holds for that image, and a mismatch is an error naming
    /// the file, since the panel would otherwise put another run's labels under this method's name.
    /// `prefix` starts every file name (`s2-` in the second of several sections).
    init(records: [RunRecord], paths: [String], sources: QualitativeSources, prefix: String = "") throws(ReportError) {
        let first = records[0]
        let colors = first.vocabulary.colors.map { RGB($0.count > 0 ? $0[0] : 0, $0.count > 1 ? $0[1] : 0, $0.count > 2 ? $0[2] : 0) }
        // Images ranked by the mean of the methods' per-image mIoU (lowest first), ties by id.
        var ranked: [(id: String, score: Double?)] = []
        for (index, image) in first.images.enumerated() {
            var sum = 0.0
            var count = 0
            for record in records where index < record.images.count && record.images[index].id == image.id {
                let ious = record.images[index].counts.compactMap(\.iou)
                if !ious.isEmpty {
                    sum += ious.reduce(0, +) / Double(ious.count)
                    count += 1
                }
            }
            ranked.append((image.id, count == 0 ? nil : sum / Double(count)))
        }
        ranked.sort { ($0.score ?? 2, $0.id) < ($1.score ?? 2, $1.id) }
        var rows: [Row] = []
        var usedStems = Set<String>()
        var usedNames = Set<String>()
        for item in ranked.prefix(max(0, sources.count)) {
            // Unique per image, and each whole name unique too ("a-1" + "-image" against "a" + "-1-image").
            let stem = Self.uniqueStem(prefix + Self.safeStem(item.id), used: &usedStems)
            var tiles: [Tile] = []
            func add(_ caption: String, role suffix: String, _ rendered: Rendered?) {
                guard let rendered else { return }
                tiles.append(Tile(
                    caption: caption, thumbnail: rendered.thumbnail, thumbnailWidth: rendered.thumbnailWidth,
                    thumbnailHeight: rendered.thumbnailHeight, fullResolution: rendered.full, width: rendered.width,
                    height: rendered.height,
                    fileName: Self.folder + "/" + Self.uniqueStem(stem + "-" + suffix, used: &usedNames) + ".png"))
            }
            do {
                if let folder = sources.imageDirectory {
                    if let path = RasterImage.path(forID: item.id, in: folder) {
                        add("image", role: "image", try Self.render(
                            path: path, role: .photo, colors: colors, size: sources.thumbnailSize))
                    }
                }
                if let folder = sources.groundTruthDirectory {
                    add("ground truth", role: "ground-truth", try Self.render(
                        path: folder + "/" + item.id + ".png", role: .groundTruth(reduceZeroLabel: first.policy.reduceZeroLabel, labelFormat: first.policy.labelFormat),
                        colors: colors, size: sources.thumbnailSize))
                }
                for (index, (record, resultsPath)) in zip(records, paths).enumerated() {
                    guard let folder = sources.predictionDirectories.first(where: { $0.method == record.method })?.directory
                    else { continue }
                    try Self.verify(
                        path: folder + "/" + item.id + ".png", image: record.images.first { $0.id == item.id },
                        method: record.method, folder: folder, resultsPath: resultsPath, scoredFrom: record.dataset.predictionDirectory)
                    // The run's position keeps the names of methods whose slugs coincide apart.
                    add(record.method, role: "\(index + 1)-\(Charts.slug(record.method))", try Self.render(
                        path: folder + "/" + item.id + ".png", role: .prediction(record.policy.predictionEncoding),
                        colors: colors, size: sources.thumbnailSize))
                }
            } catch let error as ReportError {
                throw error
            } catch {
                throw ReportError(.qualitative, "qualitative panel, image \(item.id): \(error)", underlying: error)
            }
            rows.append(Row(imageID: item.id, meanIoU: item.score, tiles: tiles))
        }
        self.rows = rows
    }

    /// Refuses a prediction file whose SHA-256 differs from the hash the run recorded for the image.
    /// A missing file (no tile) and an image the run did not score (nothing recorded) pass.
    static func verify(
        path: String, image: ImageRecord?, method: String, folder: String, resultsPath: String, scoredFrom: String
    ) throws(ReportError) {
        guard let image, FileManager.default.fileExists(atPath: path) else { return }
        let actual: String
        do {
            actual = try Fingerprint.sha256(path: path)
        } catch {
            throw ReportError(.qualitative, file: path,
                "\(setting: .predictionFolder(method: method, folder: folder)): \(error.description)" as ReportMessage, underlying: error)
        }
        guard actual != image.predictionSHA256 else { return }
        throw ReportError(.predictionMismatch, file: path,
            "\(setting: .predictionFolder(method: method, folder: folder)): \(path) is not the prediction \(method) was scored with "
                + "(SHA-256 \(actual.prefix(12))…, \(resultsPath) records \(image.predictionSHA256.prefix(12))… for image \(image.id)); "
                + "the folder holds other predictions than the run's. Give the folder the run was scored from "
                + "(\(scoredFrom)), or re-score these predictions")
    }

    enum Role {
        case photo
        case groundTruth(reduceZeroLabel: Bool, labelFormat: LabelFormat?)
        /// Read as the run read its prediction files.
        case prediction(PredictionEncoding)
    }

    /// A picture as PNGs: full resolution and reduced to `size` on the longest side.
    struct Rendered {
        var full: [UInt8]
        var width: Int
        var height: Int
        var thumbnail: [UInt8]
        var thumbnailWidth: Int
        var thumbnailHeight: Int
    }

    /// The thumbnail PNG of the file at `path` (see `render`); nil when the file does not exist.
    static func tile(path: String, role: Role, colors: [RGB], size: Int) throws -> [UInt8]? {
        try render(path: path, role: role, colors: colors, size: size)?.thumbnail
    }

    /// The file at `path` as RGB PNGs, full size and thumbnail, label maps coloured with the
    /// vocabulary palette; nil when the file does not exist. Label values outside the vocabulary
    /// are drawn black.
    static func render(path: String, role: Role, colors: [RGB], size: Int) throws -> Rendered? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let rgb: [UInt8]
        let fullWidth: Int, fullHeight: Int
        switch role {
        case .photo:
            // Photos in any format `RasterImage` reads (PNG, JPEG).
            let image = try RasterImage.readRGB(path: path)
            (rgb, fullWidth, fullHeight) = (image.pixels, image.width, image.height)
        case .groundTruth, .prediction:
            let bytes = try FileBytes.read(path: path)
            try RasterFileFormat.refuseLossyLabels(bytes, name: path)
            let decoded = try DecodedPNG.decode(bytes: bytes, name: path)
            (rgb, fullWidth, fullHeight) = (labelColors(decoded, role: role, colors: colors), decoded.width, decoded.height)
        }
        let full = try encodePNG(rgb, width: fullWidth, height: fullHeight)
        let (width, height, pixels) = downscale(rgb, width: fullWidth, height: fullHeight, maxSide: size)
        let thumbnail = width == fullWidth && height == fullHeight ? full : try encodePNG(pixels, width: width, height: height)
        return Rendered(
            full: full, width: fullWidth, height: fullHeight, thumbnail: thumbnail, thumbnailWidth: width,
            thumbnailHeight: height)
    }

    /// A label map in the vocabulary's colours: colour-coded files as they are, ids (after the
    /// ground truth's reduce_zero_label or the predictions' encoding) looked up, anything else black.
    static func labelColors(_ decoded: DecodedPNG, role: Role, colors: [RGB]) -> [UInt8] {
        // Read in place: a widened copy of the samples took 8 bytes per sample, 24 per pixel of
        // an RGB label map (docs/robustness.md §9).
        switch decoded.samples {
        case .uint8(let values): labelColors(values, decoded, role: role, colors: colors)
        case .uint16(let values): labelColors(values, decoded, role: role, colors: colors)
        }
    }

    private static func labelColors<Sample: BinaryInteger>(
        _ stored: [Sample], _ decoded: DecodedPNG, role: Role, colors: [RGB]
    ) -> [UInt8] {
        let channels = decoded.layout.channels
        let n = decoded.width * decoded.height
        // The run's label format, where it reads the file otherwise than its colour type: RGB with
        // equal channels as ids (`index`), a palette's entry colours (`color`).
        var idsFromRGB = false
        var paletteColors: [RGB]? = nil
        if case .groundTruth(_, let format) = role {
            idsFromRGB = format == .index && channels >= 3
            if format == .color, case .palette(_, let entries) = decoded.layout { paletteColors = entries }
        }
        var rgb = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            let base = i * channels
            if let paletteColors {
                let color = Int(stored[base]) < paletteColors.count ? paletteColors[Int(stored[base])] : RGB(0, 0, 0)
                rgb[i * 3] = color.r
                rgb[i * 3 + 1] = color.g
                rgb[i * 3 + 2] = color.b
                continue
            }
            if channels >= 3 && !idsFromRGB {
                for j in 0..<3 { rgb[i * 3 + j] = UInt8(clamping: Int(stored[base + j])) }
                continue
            }
            var value = Int(stored[base])
            let id: Int
            switch role {
            case .groundTruth(let reduceZeroLabel, _):
                if reduceZeroLabel { value = value == 0 ? Int.max : value - 1 }
                id = value
            case .prediction(let encoding):
                id = encoding.classID(ofRaw: value) ?? Int.max
            case .photo:
                id = Int.max
            }
            let color = id < colors.count ? colors[id] : RGB(0, 0, 0)
            rgb[i * 3] = color.r
            rgb[i * 3 + 1] = color.g
            rgb[i * 3 + 2] = color.b
        }
        return rgb
    }

    static func encodePNG(_ rgb: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        // In memory: the report stages its files itself, and a scratch file would fail on a
        // full /tmp with a message naming a file the user never asked for.
        try LabelMapWriter.encodeRGB(width: width, height: height, pixels: rgb)
    }

    /// A file-name stem for an image id: ASCII letters, digits, `.`, `_` and `-` kept, `/` (ids
    /// of images in subfolders) as `__`, anything else as `_`; never starting with `.`, at most
    /// 80 characters.
    static func safeStem(_ id: String) -> String {
        var out = ""
        for scalar in id.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "-" || scalar == "_" || (scalar == "." && !out.isEmpty)
            {
                out.unicodeScalars.append(scalar)
            } else {
                out += scalar == "/" ? "__" : "_"
            }
        }
        return out.isEmpty ? "image" : String(out.prefix(80))
    }

    /// `stem`, or `stem-2`, `stem-3`, … when an earlier image took it (compared without case, for
    /// case-insensitive file systems).
    static func uniqueStem(_ stem: String, used: inout Set<String>) -> String {
        var candidate = stem
        var number = 2
        while used.contains(candidate.lowercased()) {
            candidate = "\(stem)-\(number)"
            number += 1
        }
        used.insert(candidate.lowercased())
        return candidate
    }

    /// Nearest-neighbour reduction so the longest side is at most `maxSide` (labels stay crisp).
    static func downscale(_ rgb: [UInt8], width: Int, height: Int, maxSide: Int) -> (Int, Int, [UInt8]) {
        let longest = max(width, height)
        guard maxSide > 0, longest > maxSide else { return (width, height, rgb) }
        let newWidth = max(1, width * maxSide / longest)
        let newHeight = max(1, height * maxSide / longest)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        for y in 0..<newHeight {
            let sy = y * height / newHeight
            for x in 0..<newWidth {
                let sx = x * width / newWidth
                for j in 0..<3 { out[(y * newWidth + x) * 3 + j] = rgb[(sy * width + sx) * 3 + j] }
            }
        }
        return (newWidth, newHeight, out)
    }
}

/// Standard base64 (RFC 4648) for `data:` URLs.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let v = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let v = UInt32(bytes[index]) << 16
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let v = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
