import Foundation

/// One image of a dataset whose files were listed by a release layout or a pairs file rather
/// than found by folder: its id, label file and, when known, image and prediction files.
public struct ListedImage: Sendable, Equatable {
    public let id: String
    /// Nil when only the labels were looked for (`ovseg score` needs no images).
    public let imagePath: String?
    public let labelPath: String
    /// Given by a pairs file's `prediction` column.
    public let predictionPath: String?
    /// Other names (paths without extension) a prediction file may have besides the id: the
    /// label file's and the image file's stems (docs/dataset-layouts.md §4).
    public let aliases: [String]

    public init(id: String, imagePath: String?, labelPath: String, predictionPath: String? = nil, aliases: [String] = []) {
        self.id = id
        self.imagePath = imagePath
        self.labelPath = labelPath
        self.predictionPath = predictionPath
        self.aliases = aliases
    }
}

/// Where a listed dataset's files came from, recorded in the results file
/// (`dataset.layout`, `dataset.pairs_file`; docs/results-file.md).
public struct DatasetOrigin: Sendable, Equatable {
    /// The vocabulary layout's name (`official`), or nil for a pairs file.
    public var layout: String?
    /// The layout subset (`val`), or nil for all its images.
    public var subset: String?
    /// The label variant (`eroded`), or nil for the layout's own labels.
    public var labelVariant: String?
    /// The pairs file, or nil for a layout.
    public var pairsFile: String?

    public init(layout: String? = nil, subset: String? = nil, labelVariant: String? = nil, pairsFile: String? = nil) {
        self.layout = layout
        self.subset = subset
        self.labelVariant = labelVariant
        self.pairsFile = pairsFile
    }

    /// `layout official, subset val, eroded labels` or `pairs file pairs.csv`, for summaries.
    public var summary: String {
        if let pairsFile { return "pairs file \(pairsFile)" }
        var parts = ["layout \(layout ?? "?")"]
        if let subset { parts.append("subset \(subset)") }
        if let labelVariant { parts.append("\(labelVariant) labels") }
        return parts.joined(separator: ", ")
    }
}

/// The images of a dataset listed by a layout or a pairs file, sorted by id.
public struct ListedDataset: Sendable, Equatable {
    /// The data folder (layout) or the pairs file, recorded as the ground-truth source.
    public var root: String
    public var images: [ListedImage]
    public var origin: DatasetOrigin

    public init(root: String, images: [ListedImage], origin: DatasetOrigin) {
        self.root = root
        self.images = images.sorted { $0.id < $1.id }
        self.origin = origin
    }

    /// id → label file.
    public var labelFiles: [String: String] {
        Dictionary(images.map { ($0.id, $0.labelPath) }, uniquingKeysWith: { first, _ in first })
    }

    /// Matches prediction files (key: path relative to their folder without extension and
    /// suffix, as `DatasetScanner.labelFiles` lists them) with the images: by id, or by the label
    /// or image file's stem. A name that would fit two images is not used for either; an image
    /// named by two prediction files is an error naming both. Predictions that fit no image keep
    /// their own key, so pairing reports them as predictions without ground truth.
    public func predictionsByID(_ predictions: [String: String], folder: String) throws(HarnessError) -> [String: String] {
        var owners: [String: Set<String>] = [:]
        for image in images {
            for name in Set([image.id] + image.aliases) { owners[name, default: []].insert(image.id) }
        }
        var result: [String: String] = [:]
        for key in predictions.keys.sorted() {
            guard let path = predictions[key] else { continue }
            guard let candidates = owners[key] else {
                result[key] = path
                continue
            }
            guard candidates.count == 1, let id = candidates.first else {
                throw HarnessError(.pairing, file: path,
                    "\(path): the name \(key) fits \(candidates.count) images (" + candidates.sorted().joined(separator: ", ")
                        + "); name predictions by image id")
            }
            if let other = result[id] {
                throw HarnessError(.pairing, file: path, "\(folder): two predictions for image \(id): \(other) and \(path)")
            }
            result[id] = path
        }
        return result
    }
}
