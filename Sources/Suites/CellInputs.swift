import Foundation
import Harness
import JSON
import LabelMaps
import Metrics
import Vocabulary

/// What a cell's numbers depend on, recorded beside its results file
/// (`cells/<method-slug>/<dataset-key>.inputs.json`, docs/suites.md §4.1) so that a later run can
/// tell whether the results are still those of the suite as it now is: the method name, the
/// test vocabulary's fingerprint and the encoding the ground truth is read with, the split (ids
/// and origin), the presence policy, the ground truth's location and a listing fingerprint of its
/// folder, and either the prediction folder (path, encoding, listing fingerprint) or the
/// checkpoint (path, SHA-256, evaluation settings).
///
/// A listing fingerprint is the SHA-256 of the sorted lines `relative path, size, modification
/// time` of every file under a folder: a changed, added or removed file changes it without
/// reading a byte of image data.
public enum CellInputs {
    public static let schema = "ovseg.suite-cell-inputs"

    /// The inputs of `method` on `dataset` as they are now.
    /// `checkpointHashes` keeps each checkpoint's fingerprint for the rest of a run, so a
    /// checkpoint of several gigabytes is hashed once per run, not once per dataset.
    public static func compute(
        method: SuiteMethod, dataset: SuiteDataset, presence: PresencePolicy, checkpointHashes: inout [String: String]
    ) throws -> JSONValue {
        let ints = { (values: [Int]) in JSONValue.array(values.map { .int(Int64($0)) }) }
        let split = dataset.split
        var groundTruth = JSONObject()
        switch dataset.location {
        case .groundTruth(let folder):
            groundTruth["gt"] = .string(absolute(folder))
            groundTruth["listing"] = .string(try listingFingerprint(folder))
        case .data(let root):
            groundTruth["data"] = .string(absolute(root))
            groundTruth["listing"] = .string(try listingFingerprint(root))
        case .layout(let root, let layout, let subset, let eroded):
            groundTruth["data"] = .string(absolute(root))
            groundTruth["layout"] = .string(layout)
            groundTruth["subset"] = subset.map(JSONValue.string) ?? .null
            groundTruth["eroded_boundary"] = .bool(eroded)
            groundTruth["listing"] = .string(try listingFingerprint(root))
        }
        let encoding = dataset.encoding
        var entries: [(String, JSONValue)] = [
            ("schema", .string(schema)),
            ("method", .string(method.name)),
            ("dataset", .string(dataset.key)),
            ("vocabulary_fingerprint", .string(dataset.vocabulary.fingerprint)),
            ("encoding", .object(JSONObject([
                ("reduce_zero_label", .bool(encoding.reduceZeroLabel)),
                ("ignore", ints(encoding.ignoreValues)),
                ("ignore_colors", .array(encoding.ignoreColors.map { ints([Int($0.r), Int($0.g), Int($0.b)]) })),
                ("label_format", encoding.labelFormat.map { .string($0.rawValue) } ?? .null),
            ]))),
            ("split", .object(JSONObject([
                ("origin", .string(dataset.splitOrigin.rawValue)), ("seen_ids", ints(split.seenIDs)), ("unseen_ids", ints(split.unseenIDs)),
            ]))),
            ("presence_policy", .string(presence.rawValue)),
            ("ground_truth", .object(groundTruth)),
        ]
        switch method.source {
        case .predictions(let folders):
            let folder = folders[dataset.key] ?? ""
            entries.append(("predictions", .object(JSONObject([
                ("path", .string(absolute(folder))), ("encoding", .string(method.predictionEncoding.name)),
                ("listing", .string(try listingFingerprint(folder))),
            ]))))
        case .checkpoint(let path, let settings):
            func hash(_ path: String) throws -> String {
                if let known = checkpointHashes[path] { return known }
                let computed = try checkpointFingerprint(path)
                checkpointHashes[path] = computed
                return computed
            }
            entries.append(("checkpoint", .object(JSONObject([
                ("path", .string(absolute(path))), ("sha256", .string(try hash(path))), ("eval", settings.json),
            ]))))
        }
        return .object(JSONObject(entries))
    }

    /// True when the results file exists and validates as a results file of this method and
    /// vocabulary, and the recorded inputs equal `inputs`.
    public static func isUpToDate(results: String, inputsFile: String, inputs: JSONValue, method: SuiteMethod, dataset: SuiteDataset) -> Bool {
        guard FileManager.default.fileExists(atPath: results), FileManager.default.fileExists(atPath: inputsFile),
              let recorded = try? JSONCodec.read(path: inputsFile), recorded == inputs,
              let record = try? ResultsFile.read(path: results)
        else { return false }
        return record.method == method.name && record.vocabulary.fingerprint == dataset.vocabulary.fingerprint
            && record.split?.seenIDs ?? [] == dataset.split.seenIDs && record.split?.unseenIDs ?? [] == dataset.split.unseenIDs
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// SHA-256 over the sorted `path<TAB>size<TAB>mtime` lines of every regular file under `folder`.
    public static func listingFingerprint(_ folder: String) throws -> String {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HarnessError(.input, file: folder, "\(folder) is not a folder")
        }
        guard let enumerator = manager.enumerator(atPath: folder) else {
            throw HarnessError(.input, file: folder, "\(folder): cannot list the folder")
        }
        var lines: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let attributes = enumerator.fileAttributes ?? [:]
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            lines.append("\(relative)\t\(size)\t\(String(format: "%.6f", modified))")
        }
        lines.sort()
        return "sha256:" + Fingerprint.sha256(Array(lines.joined(separator: "\n").utf8))
    }

    /// The SHA-256 of a checkpoint file, or the listing fingerprint of a checkpoint folder
    /// (a Hugging Face model folder).
    static func checkpointFingerprint(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HarnessError(.input, file: path, "\(path): the checkpoint does not exist")
        }
        if isDirectory.boolValue { return try listingFingerprint(path) }
        return "sha256:" + (try Fingerprint.sha256(path: path))
    }
}
