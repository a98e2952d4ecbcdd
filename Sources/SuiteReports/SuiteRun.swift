import Foundation
import Harness

/// A suite-run folder read for reporting: the manifest and, per cell, the run read from its
/// results file with Harness' reader (every figure is later recomputed from the file's counts).
///
/// Loading checks that each results file fits the manifest (docs/suite-report.md §2): its
/// vocabulary is the dataset's, every cell of a dataset has the same class list, its split is the
/// dataset's split and its presence policy the suite's.
public struct SuiteRun: Sendable {
    public enum CellState: Sendable, Equatable {
        /// A finished cell: the run (method renamed to the manifest's name) and its file's path.
        case done(RunRecord, path: String)
        case failed(String)
        case pending
    }

    /// The suite-run folder.
    public var directory: String
    public var manifest: SuiteRunManifest
    /// `states[method][dataset]`, in manifest order.
    public var states: [[CellState]]

    /// The run of `method` on `dataset`, when the cell is done.
    public func record(method: Int, dataset: Int) -> RunRecord? {
        if case .done(let record, _) = states[method][dataset] { return record }
        return nil
    }

    /// The class names of a dataset (from its first finished cell); nil when no cell finished.
    public func classNames(dataset: Int) -> [String]? {
        manifest.methods.indices.lazy.compactMap { record(method: $0, dataset: dataset)?.classNames }.first
    }

    /// Reads `directory/suite-run.json` and every finished cell's results file.
    public static func load(directory: String) throws(SuiteReportError) -> SuiteRun {
        let manifestPath = directory + "/" + SuiteRunManifest.fileName
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw SuiteReportError(.manifest, file: manifestPath,
                "\(manifestPath): no suite-run manifest (is \(directory) the --out folder of `ovseg suite run`?)")
        }
        let manifest = try SuiteRunManifest.read(path: manifestPath)
        return try load(manifest: manifest, directory: directory)
    }

    /// Reads the finished cells of `manifest`, whose relative results paths are under `directory`.
    public static func load(manifest: SuiteRunManifest, directory: String) throws(SuiteReportError) -> SuiteRun {
        var states: [[CellState]] = []
        for method in manifest.methods {
            var row: [CellState] = []
            for dataset in manifest.datasets {
                guard let cell = manifest.cell(method: method.name, dataset: dataset.key) else {
                    row.append(.pending)
                    continue
                }
                switch cell.status {
                case .pending: row.append(.pending)
                case .failed(let message): row.append(.failed(message))
                case .done(let results):
                    let path = results.hasPrefix("/") ? results : directory + "/" + results
                    let record = try readCell(path: path, method: method.name, dataset: dataset, manifest: manifest)
                    row.append(.done(record, path: path))
                }
            }
            states.append(row)
        }
        // Every finished cell of a dataset must have scored the same class list.
        for (d, dataset) in manifest.datasets.enumerated() {
            var first: (record: RunRecord, path: String)?
            for m in manifest.methods.indices {
                guard case .done(let record, let path) = states[m][d] else { continue }
                guard let reference = first else {
                    first = (record, path)
                    continue
                }
                if record.classNames != reference.record.classNames || record.vocabulary.fingerprint != reference.record.vocabulary.fingerprint {
                    throw SuiteReportError(.cell, file: path,
                        "\(path) (cell \(record.method) × \(dataset.key)): vocabulary \(record.vocabulary.key) "
                            + "(\(record.classNames.count) classes, fingerprint \(record.vocabulary.fingerprint)) differs from "
                            + "\(reference.path)'s (\(reference.record.vocabulary.key), \(reference.record.classNames.count) classes, "
                            + "fingerprint \(reference.record.vocabulary.fingerprint)); every method on one dataset must be scored with its vocabulary")
                }
            }
        }
        return SuiteRun(directory: directory, manifest: manifest, states: states)
    }

    /// Whether a manifest's vocabulary names a file (a path) rather than a bundled key.
    static func isVocabularyPath(_ vocabulary: String) -> Bool {
        vocabulary.contains("/") || vocabulary.lowercased().hasSuffix(".json")
    }

    static func readCell(
        path: String, method: String, dataset: SuiteRunManifest.Dataset, manifest: SuiteRunManifest
    ) throws(SuiteReportError) -> RunRecord {
        let cellName = "cell \(method) × \(dataset.key)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw SuiteReportError(.cell, file: path, "\(path) (\(cellName)): the manifest says the cell is done but its results file does not exist")
        }
        var record: RunRecord
        do {
            record = try ResultsFile.read(path: path)
        } catch {
            // Harness' message starts with the path already.
            var text = "\(error)"
            if text.hasPrefix(path + ": ") { text.removeFirst(path.count + 2) }
            throw SuiteReportError(.cell, file: path, "\(path) (\(cellName)): \(text)")
        }
        if !isVocabularyPath(dataset.vocabulary), record.vocabulary.key.lowercased() != dataset.vocabulary.lowercased() {
            throw SuiteReportError(.cell, file: path,
                "\(path) (\(cellName)): scored with vocabulary '\(record.vocabulary.key)', but the manifest's dataset "
                    + "'\(dataset.key)' has vocabulary '\(dataset.vocabulary)'")
        }
        if record.policy.presence != manifest.presencePolicy {
            throw SuiteReportError(.cell, file: path,
                "\(path) (\(cellName)): presence policy \(record.policy.presence.rawValue), but the suite's is "
                    + "\(manifest.presencePolicy.rawValue)")
        }
        if let shard = record.shard, shard.partial {
            throw SuiteReportError(.cell, file: path, "\(path) (\(cellName)): a partial shard, not a whole dataset (merge the shards first)")
        }
        if let split = dataset.split {
            let names = record.classNames
            for name in split.seen + split.unseen where !names.contains(name) {
                throw SuiteReportError(.cell, file: path,
                    "\(path) (\(cellName)): the manifest's split of '\(dataset.key)' names the class '\(name)', which the "
                        + "results file's vocabulary '\(record.vocabulary.key)' does not have (classes: \(names.joined(separator: ", ")))")
            }
            let seenIDs = split.seen.compactMap { names.firstIndex(of: $0) }
            let unseenIDs = split.unseen.compactMap { names.firstIndex(of: $0) }
            if let recorded = record.split {
                if Set(recorded.seenIDs) != Set(seenIDs) || Set(recorded.unseenIDs) != Set(unseenIDs) {
                    let seen = recorded.seenIDs.map { names[$0] }.joined(separator: ", ")
                    throw SuiteReportError(.cell, file: path,
                        "\(path) (\(cellName)): its split '\(recorded.name)' (seen: \(seen)) is not the manifest's split of "
                            + "'\(dataset.key)' (seen: \(split.seen.joined(separator: ", ")))")
                }
            } else {
                record.split = SplitInfo(
                    name: "suite-\(split.origin)", seenIDs: seenIDs.sorted(), unseenIDs: unseenIDs.sorted(),
                    source: "suite \(manifest.suite.name) (\(split.origin == "derived" ? "derived by vocabulary overlap" : "declared in the suite file"))",
                    inferred: split.origin == "derived")
            }
        }
        record.method = method
        return record
    }
}
