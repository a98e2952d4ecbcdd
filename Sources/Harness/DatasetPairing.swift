import Foundation
import LabelMaps

/// One evaluated image: its id (the path relative to the ground-truth folder, without
/// extension or suffix) and the two files that hold its labels.
public struct ImagePair: Sendable, Equatable {
    public let id: String
    public let groundTruthPath: String
    public let predictionPath: String
}

/// How ground-truth and prediction files are matched.
public struct PairingOptions: Sendable, Equatable {
    /// A suffix removed from ground-truth file stems before matching (e.g. `_instance_color_RGB`).
    public var groundTruthSuffix: String
    /// A suffix removed from prediction file stems before matching.
    public var predictionSuffix: String
    /// Skip (and count) ground-truth images that have no prediction instead of failing.
    public var skipMissingPredictions: Bool
    /// Ignore (and count) prediction files that have no ground truth instead of failing.
    public var skipExtraPredictions: Bool

    public init(
        groundTruthSuffix: String = "", predictionSuffix: String = "",
        skipMissingPredictions: Bool = false, skipExtraPredictions: Bool = false
    ) {
        self.groundTruthSuffix = groundTruthSuffix
        self.predictionSuffix = predictionSuffix
        self.skipMissingPredictions = skipMissingPredictions
        self.skipExtraPredictions = skipExtraPredictions
    }
}

/// The matched pairs of a dataset and what did not match.
public struct DatasetPairing: Sendable, Equatable {
    /// Pairs sorted by id.
    public var pairs: [ImagePair]
    /// Ground-truth ids without a prediction (only when skipping was allowed).
    public var missingPredictions: [String]
    /// Prediction ids without ground truth (only when skipping was allowed).
    public var extraPredictions: [String]
}

/// Finds label-map PNGs under two folders and matches them by id.
public enum DatasetScanner {
    /// Lists `*.png` files under `directory`, recursively, keyed by id. Symbolic links to folders
    /// and files are followed (datasets are often linked in); a link that loops back into a
    /// folder containing it is an error naming the link.
    public static func labelFiles(in directory: String, suffix: String) throws(HarnessError) -> [String: String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory) {
                throw HarnessError(.pairing, "\(directory): broken symbolic link to \(target), no such folder")
            }
            throw HarnessError(.pairing, "\(directory): no such folder")
        }
        guard isDirectory.boolValue else { throw HarnessError(.pairing, "\(directory): is a file, expected a folder of PNG label maps") }
        var files: [String: String] = [:]
        for relative in try FolderWalk.files(under: directory) {
            // PNG and TIFF label files (docs/label-files.md §1).
            let ext = (relative as NSString).pathExtension
            guard let format = RasterFileFormat(extension: ext), format != .jpeg else { continue }
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            var id = String(relative.dropLast(ext.count + 1))
            if !suffix.isEmpty {
                guard id.hasSuffix(suffix) else { continue }
                id = String(id.dropLast(suffix.count))
            }
            let path = (directory as NSString).appendingPathComponent(relative)
            if let existing = files[id] {
                throw HarnessError(.pairing, "\(directory): two files have the image id \"\(id)\": \(existing) and \(path)")
            }
            files[id] = path
        }
        return files
    }

    /// Matches ground truth with predictions. Unmatched files are errors that name them,
    /// unless the options allow skipping, in which case they are counted.
    public static func pair(
        groundTruthDirectory: String, predictionDirectory: String, options: PairingOptions = PairingOptions()
    ) throws(HarnessError) -> DatasetPairing {
        let groundTruth = try labelFiles(in: groundTruthDirectory, suffix: options.groundTruthSuffix)
        let predictions = try labelFiles(in: predictionDirectory, suffix: options.predictionSuffix)
        guard !groundTruth.isEmpty else {
            throw HarnessError(.pairing, "\(groundTruthDirectory): no PNG label maps found"
                + (options.groundTruthSuffix.isEmpty ? "" : " ending in \(options.groundTruthSuffix).png"))
        }
        let missing = groundTruth.keys.filter { predictions[$0] == nil }.sorted()
        let extra = predictions.keys.filter { groundTruth[$0] == nil }.sorted()
        if !missing.isEmpty && !options.skipMissingPredictions {
            let hint = NamingHint.find(
                missing: missing, groundTruthIDs: Set(groundTruth.keys), extra: extra,
                predictionDirectory: predictionDirectory, options: options)
            let remedy: HarnessMessage = hint.map { "; \($0)" } ?? " (use \(setting: .skipMissingPredictions) to score the rest)"
            throw HarnessError(.pairing, file: predictionDirectory,
                "\(missing.count) ground-truth image(s) have no prediction in \(predictionDirectory): "
                    + listed(missing.map { groundTruth[$0] ?? $0 }) + remedy)
        }
        if !extra.isEmpty && !options.skipExtraPredictions {
            throw HarnessError(.pairing, file: groundTruthDirectory,
                "\(extra.count) prediction(s) have no ground truth in \(groundTruthDirectory): "
                    + listed(extra.map { predictions[$0] ?? $0 }) + " (use \(setting: .skipExtraPredictions) to ignore them)" as HarnessMessage)
        }
        let pairs = groundTruth.keys.sorted().compactMap { id -> ImagePair? in
            guard let gt = groundTruth[id], let prediction = predictions[id] else { return nil }
            return ImagePair(id: id, groundTruthPath: gt, predictionPath: prediction)
        }
        guard !pairs.isEmpty else {
            let hint = NamingHint.find(
                missing: missing, groundTruthIDs: Set(groundTruth.keys), extra: extra,
                predictionDirectory: predictionDirectory, options: options)
            let explanation: HarnessMessage = hint.map { "; \($0)" } ?? ""
            throw HarnessError(.pairing, file: predictionDirectory,
                "no ground-truth image in \(groundTruthDirectory) has a prediction in \(predictionDirectory)" + explanation)
        }
        return DatasetPairing(pairs: pairs, missingPredictions: missing, extraPredictions: extra)
    }

    static func listed(_ items: [String], limit: Int = 5) -> String {
        let shown = items.prefix(limit).joined(separator: ", ")
        return items.count > limit ? shown + ", … (\(items.count - limit) more)" : shown
    }
}

/// Why predictions may look missing when they are there under another name: files whose name is
/// a missing image's id plus a suffix (`tile_0001_pred.png` → prediction suffix `_pred`), files
/// with the id but another extension (`tile_0001.jpg`: only PNG and TIFF are read), or ground-truth ids
/// that are a prediction's id plus a suffix (a ground-truth suffix). Says the first file it found and
/// what to do, or nil when nothing explains the missing predictions.
enum NamingHint {
    static func find(
        missing: [String], groundTruthIDs: Set<String>, extra: [String], predictionDirectory: String,
        options: PairingOptions
    ) -> HarnessMessage? {
        guard !missing.isEmpty else { return nil }
        let missingSet = Set(missing)
        // Every file in the prediction folder, any extension (an unreadable folder gives no hint).
        let files = (try? FolderWalk.files(under: predictionDirectory)) ?? []
        var suffixes: [String: (count: Int, example: String)] = [:]
        var otherExtension: String?
        for relative in files {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            let stem = (relative as NSString).deletingPathExtension
            let isPNG = RasterFileFormat(extension: (relative as NSString).pathExtension).map { $0 != .jpeg } ?? false
            let path = (predictionDirectory as NSString).appendingPathComponent(relative)
            if !isPNG {
                var id = stem
                if !options.predictionSuffix.isEmpty, id.hasSuffix(options.predictionSuffix) {
                    id = String(id.dropLast(options.predictionSuffix.count))
                }
                if otherExtension == nil, missingSet.contains(id) { otherExtension = path }
                continue
            }
            // A PNG already matched (its id is a ground-truth id) explains nothing.
            var ownID = stem
            if !options.predictionSuffix.isEmpty, ownID.hasSuffix(options.predictionSuffix) {
                ownID = String(ownID.dropLast(options.predictionSuffix.count))
            }
            if groundTruthIDs.contains(ownID) { continue }
            // Longest missing id that starts the stem; the rest is the suffix the files carry.
            var end = stem.endIndex
            while end > stem.startIndex {
                end = stem.index(before: end)
                let prefix = String(stem[..<end])
                if missingSet.contains(prefix) {
                    let suffix = String(stem[end...])
                    let entry = suffixes[suffix] ?? (0, path)
                    suffixes[suffix] = (entry.count + 1, entry.example)
                    break
                }
            }
        }
        if let best = suffixes.max(by: { ($0.value.count, $1.key) < ($1.value.count, $0.key) }) {
            let explained = best.value.count == missing.count ? "" : " (it explains \(best.value.count) of them)"
            return "found \(best.value.example) — use \(setting: .predictionSuffix(best.key))\(explained)"
        }
        if let otherExtension {
            return "found \(otherExtension) — predictions are read from PNG and TIFF files only; save them as PNG or TIFF label maps"
        }
        // Ground truth named `<id><suffix>.png`, predictions `<id>.png`.
        let extraSet = Set(extra)
        for id in missing {
            var end = id.endIndex
            while end > id.startIndex {
                end = id.index(before: end)
                let prefix = String(id[..<end])
                if extraSet.contains(prefix) {
                    return "the ground-truth id \(id) is the prediction id \(prefix) with \(id[end...]) added — "
                        + "use \(setting: .groundTruthSuffix(String(id[end...])))" as HarnessMessage
                }
            }
        }
        return nil
    }
}

