import Foundation
import Harness
import JSON
import Metrics
import SuiteReports
import Testing

/// The committed suite-run fixture (`Fixtures/suite-run`: a manifest and six tiny results files,
/// three methods × three test datasets, one cell failed) and the golden outputs.
///
/// `OVSEG_RECORD=1` rewrites the fixture from `SuiteFixture.write` (hand-made confusion matrices
/// written with Harness' results-file writer) and the goldens.
enum SuiteFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let suiteRun = directory + "/suite-run"
    static let goldenDirectory = directory + "/golden"
    static var recording: Bool { ProcessInfo.processInfo.environment["OVSEG_RECORD"] == "1" }

    /// Method names: the second holds every LaTeX special character.
    static let methods = ["CAT-Seg (ours, re-run)", "Ours_v2 & {50%} #1 ~$^\\", "Zero-shot"]
    static let datasets: [(key: String, title: String, classes: [String], seen: [String: String], recordSplit: Bool)] = [
        ("potsdam", "Potsdam", ["impervious surfaces", "building", "low vegetation", "tree", "car", "clutter/background"],
         ["building": "buildings", "tree": "trees", "car": "cars"], true),
        ("loveda", "LoveDA", ["background", "building", "road", "water", "barren", "forest", "agricultural"],
         ["building": "buildings", "water": "water"], true),
        ("gid5", "GID-5", ["built-up", "farmland", "forest", "meadow", "water"], ["water": "water"], false),
    ]

    /// The confusion matrix of method `m` on dataset `d` (row = ground truth). Methods 0 and 1 are
    /// identical on LoveDA (a tie for best).
    static func counts(method m: Int, dataset d: Int, k: Int) -> [UInt64] {
        let seed = (d == 1 && m == 1) ? 0 : m
        var c = [UInt64](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0..<k {
                c[i * k + j] = i == j ? UInt64(40 + (i * 7 + seed * 13 + d * 5) % 45) : UInt64((i * 3 + j * 5 + seed * 2 + d) % 9 * 5)
            }
        }
        return c
    }

    static func cellPath(method m: Int, dataset d: Int) -> String { "cells/m\(m)/\(datasets[d].key).ovseg.json" }

    /// The failed cell.
    static func isFailed(method m: Int, dataset d: Int) -> Bool { m == 2 && d == 2 }

    static func record(method m: Int, dataset d: Int) throws -> RunRecord {
        let dataset = datasets[d]
        let k = dataset.classes.count
        let counts = counts(method: m, dataset: d, k: k)
        let matrix = try ConfusionMatrix(classCount: k, counts: counts)
        let image = ImageRecord(
            id: "tile0", groundTruthSHA256: "sha256:0", predictionSHA256: "sha256:0", width: Int(counts.reduce(0, +)), height: 1,
            counts: matrix.classCounts)
        let seenIDs = dataset.classes.indices.filter { dataset.seen[dataset.classes[$0]] != nil }
        let unseenIDs = dataset.classes.indices.filter { dataset.seen[dataset.classes[$0]] == nil }
        return RunRecord(
            method: "method\(m)",
            vocabulary: VocabularyInfo(
                key: dataset.key, name: dataset.title, fingerprint: "fnv1a64:\(dataset.key)", classNames: dataset.classes,
                colors: (0..<k).map { [UInt8(30 * $0), 90, 160] }),
            split: dataset.recordSplit
                ? SplitInfo(name: "suite-derived", seenIDs: seenIDs, unseenIDs: unseenIDs, source: "suite fixture", inferred: true) : nil,
            policy: EvaluationPolicy(
                presence: .unionPresent, ignoreValues: [255], ignoreColors: [], reduceZeroLabel: false,
                outOfRangeGroundTruth: .error, outOfRangePrediction: .error),
            dataset: DatasetInfo(groundTruthDirectory: "data/\(dataset.key)/gt", predictionDirectory: "pred/m\(m)/\(dataset.key)", fingerprint: "sha256:\(dataset.key)"),
            shard: nil, matrix: matrix, images: [image],
            provenance: Provenance(version: "0.1.0", command: ["ovseg", "suite", "run"], date: "2026-01-01T00:00:00Z", host: "fixture", seconds: 0, threads: 1))
    }

    /// The manifest of the fixture as JSON.
    static func manifest() -> JSONValue {
        var root = JSONObject()
        root["schema"] = .string("ovseg.suite-run")
        root["schema_version"] = .int(1)
        root["suite"] = .object(JSONObject([
            ("name", .string("RS OVSS cross-dataset (DLRSD → others)")), ("file", .string("suite.json")),
            ("sha256", .string("sha256:fixture")),
        ]))
        root["training_vocabulary"] = .string("dlrsd")
        root["presence_policy"] = .string("union-present")
        root["datasets"] = .array(datasets.map { dataset in
            let seen = dataset.classes.filter { dataset.seen[$0] != nil }
            let unseen = dataset.classes.filter { dataset.seen[$0] == nil }
            return .object(JSONObject([
                ("key", .string(dataset.key)), ("title", .string(dataset.title)), ("vocabulary", .string(dataset.key)),
                ("split", .object(JSONObject([
                    ("origin", .string("derived")), ("seen", .array(seen.map { .string($0) })),
                    ("unseen", .array(unseen.map { .string($0) })),
                    ("matches", .object(JSONObject(seen.map { ($0, .string(dataset.seen[$0] ?? "")) }))),
                ]))),
            ]))
        })
        root["methods"] = .array(methods.enumerated().map { index, name in
            .object(JSONObject([("name", .string(name)), ("kind", .string(index == 0 ? "checkpoint" : "predictions"))]))
        })
        var cells: [JSONValue] = []
        for m in methods.indices {
            for d in datasets.indices {
                var cell = JSONObject([("method", .string(methods[m])), ("dataset", .string(datasets[d].key))])
                if isFailed(method: m, dataset: d) {
                    cell["status"] = .string("failed")
                    cell["error"] = .string("prediction folder pred/m2/gid5 does not exist")
                } else {
                    cell["status"] = .string("done")
                    cell["results"] = .string(cellPath(method: m, dataset: d))
                }
                cells.append(.object(cell))
            }
        }
        root["cells"] = .array(cells)
        return .object(root)
    }

    /// Writes the fixture (manifest and results files) into `directory`.
    static func write(into directory: String) throws {
        for m in methods.indices {
            try FileManager.default.createDirectory(atPath: directory + "/cells/m\(m)", withIntermediateDirectories: true)
            for d in datasets.indices where !isFailed(method: m, dataset: d) {
                try ResultsFile.write(try record(method: m, dataset: d), to: directory + "/" + cellPath(method: m, dataset: d))
            }
        }
        try JSONCodec.write(manifest(), to: directory + "/suite-run.json")
    }

    /// The fixture folder (rewritten first when recording).
    static func prepared() throws -> String {
        try preparation.get()
    }

    /// Written once per test process, however many tests ask (static lets initialise once, thread-safely).
    private static let preparation: Result<String, any Error> = Result {
        if recording { try write(into: suiteRun) }
        return suiteRun
    }

    /// A copy of the fixture in a fresh temporary folder, for tests that change it.
    static func temporaryCopy() throws -> String {
        let target = NSTemporaryDirectory() + "ovseg-suite-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: try prepared(), toPath: target)
        return target
    }

    /// Rewrites the manifest of a copied suite run after `edit`.
    static func editManifest(_ directory: String, _ edit: (inout JSONObject) -> Void) throws {
        guard var root = manifest().objectValue else { return }
        edit(&root)
        try JSONCodec.write(.object(root), to: directory + "/suite-run.json")
    }

    /// Compares `text` with the golden file `name`, or rewrites it when `OVSEG_RECORD=1`.
    static func assertGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = goldenDirectory + "/" + name
        if recording {
            try FileManager.default.createDirectory(atPath: goldenDirectory, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("no golden file \(path); run the tests with OVSEG_RECORD=1", sourceLocation: sourceLocation)
            return
        }
        if expected != text {
            let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let actualLines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(expectedLines.count, actualLines.count)
            let expectedLine = first < expectedLines.count ? String(expectedLines[first]) : "<end>"
            let actualLine = first < actualLines.count ? String(actualLines[first]) : "<end>"
            Issue.record(
                "\(name) differs from its golden at line \(first + 1):\n expected: \(expectedLine.prefix(300))\n actual:   \(actualLine.prefix(300))\n(re-record with OVSEG_RECORD=1 if the change is intended)",
                sourceLocation: sourceLocation)
        }
    }
}
