import Foundation
import Harness
import JSON
import LabelMaps
import Metrics
import Suites
import SyntheticData
import Testing
import Vocabulary

/// Counts what happened to each cell.
final class Recorder: SuiteRunObserver {
    var outcomes: [String: CellOutcome.Kind] = [:]
    var messages: [String: String] = [:]
    var lines: [String] = []

    func cellStarted(position: Int, total: Int, method: String, dataset: String) {}
    func imageProgress(method: String, dataset: String) -> (any ScoringProgress)? { nil }
    func cellFinished(position: Int, total: Int, method: String, dataset: String, outcome: CellOutcome) {
        outcomes["\(method)/\(dataset)"] = outcome.kind
        messages["\(method)/\(dataset)"] = outcome.message
        lines.append("[\(position)/\(total)] \(method) × \(dataset)")
    }

    func count(_ kind: CellOutcome.Kind) -> Int { outcomes.values.filter { $0 == kind }.count }
}

@Suite("Suite runs", .serialized)
struct SuiteRunTests {
    static let methods: [SimulatedMethod] = [.boundaryDrift, .seenCollapse]

    /// Synthetic data for three vocabularies and two methods, and a suite file over them.
    func makeSuite(_ scratch: SuiteScratch) throws -> String {
        try SampleSuite(imageCount: 2, width: 64, height: 64, seed: 7).write(to: scratch.path, methods: Self.methods)
        let datasets = SampleSuite.datasets.map {
            #"{"key": "\#($0.key)", "vocabulary": "\#($0.key)", "gt": "\#(SampleSuite.groundTruthDirectory($0.key))"}"#
        }
        let methods = Self.methods.map { method in
            let folders = SampleSuite.datasets.map { #""\#($0.key)": "\#(SampleSuite.predictionDirectory($0.key, method: method))""# }
            return #"{"name": "\#(method.rawValue)", "predictions": {\#(folders.joined(separator: ", "))}}"#
        }
        return try scratch.suite(suiteText(datasets: "[\(datasets.joined(separator: ", "))]", methods: "[\(methods.joined(separator: ", "))]"))
    }

    func modificationDate(_ path: String) throws -> Date {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    }

    @Test func runsEveryCellWritesTheManifestAndResumes() throws {
        let scratch = try SuiteScratch()
        let suite = try SuiteFile.load(path: try makeSuite(scratch))
        let out = scratch.path + "/run"
        let first = Recorder()
        let manifest = try SuiteRunner.run(suite, options: SuiteRunOptions(outputDirectory: out, jobs: 2), evaluateCheckpoint: nil, observer: first)
        #expect(first.count(.computed) == 6)
        #expect(first.lines.first == "[1/6] boundary-drift × potsdam")
        #expect(manifest.cells.count == 6 && manifest.cells.allSatisfy { $0.status == .done })
        #expect(manifest.cells.map(\.dataset) == ["potsdam", "loveda", "openearthmap", "potsdam", "loveda", "openearthmap"])
        #expect(manifest.cell(method: "seen-collapse", dataset: "loveda")?.results == "cells/seen-collapse/loveda.ovseg.json")
        // The manifest on disk is the one returned, and has the documented shape.
        let manifestPath = out + "/suite-run.json"
        #expect(try SuiteManifest.read(path: manifestPath) == manifest)
        let json = try JSONCodec.read(path: manifestPath)
        #expect(json["schema"]?.stringValue == "ovseg.suite-run")
        #expect(json["training_vocabulary"]?.stringValue == "dlrsd")
        #expect(json["presence_policy"]?.stringValue == "union-present")
        let loveda = try #require(json["datasets"]?.arrayValue?[1])
        #expect(loveda["split"]?["origin"]?.stringValue == "derived")
        #expect(loveda["split"]?["seen"]?.arrayValue == ["building", "water", "forest"].map(JSONValue.string))
        #expect(loveda["split"]?["unseen"]?.arrayValue == ["road", "barren", "agricultural"].map(JSONValue.string))
        #expect(loveda["split"]?["matches"]?["forest"]?.stringValue == "trees")
        #expect(json["methods"]?.arrayValue?[0]["kind"]?.stringValue == "predictions")

        // Every results file records the dataset's split.
        let record = try ResultsFile.read(path: out + "/cells/boundary-drift/openearthmap.ovseg.json")
        #expect(record.split?.seenIDs == suite.dataset("openearthmap")?.split.seenIDs)
        #expect(record.splitOrigin == .suiteOverlap)

        // A second run recomputes nothing and leaves the results files untouched.
        let results = out + "/cells/seen-collapse/potsdam.ovseg.json"
        let before = try modificationDate(results)
        let second = Recorder()
        let again = try SuiteRunner.run(suite, options: SuiteRunOptions(outputDirectory: out, jobs: 2), evaluateCheckpoint: nil, observer: second)
        #expect(second.count(.upToDate) == 6 && second.count(.computed) == 0)
        #expect(again == manifest)
        #expect(try modificationDate(results) == before)

        // A changed prediction folder invalidates that cell only.
        let changed = scratch.path + "/" + SampleSuite.predictionDirectory("loveda", method: .seenCollapse) + "/tile_0000.png"
        try LabelMapWriter.writePalette(
            LabelMap(width: 64, height: 64, values: [UInt16](repeating: 1, count: 64 * 64)),
            palette: [RGB(0, 0, 0), RGB(255, 0, 0)], to: changed)
        let third = Recorder()
        _ = try SuiteRunner.run(suite, options: SuiteRunOptions(outputDirectory: out, jobs: 2), evaluateCheckpoint: nil, observer: third)
        #expect(third.count(.computed) == 1 && third.outcomes["seen-collapse/loveda"] == .computed)
        #expect(third.count(.upToDate) == 5)

        // --force recomputes everything.
        let forced = Recorder()
        _ = try SuiteRunner.run(
            suite, options: SuiteRunOptions(outputDirectory: out, force: true, jobs: 2), evaluateCheckpoint: nil, observer: forced)
        #expect(forced.count(.computed) == 6)
        #expect(try modificationDate(results) > before)

        // A damaged results file is recomputed, not trusted.
        try "{}".write(toFile: results, atomically: true, encoding: .utf8)
        let repaired = Recorder()
        _ = try SuiteRunner.run(suite, options: SuiteRunOptions(outputDirectory: out, jobs: 2), evaluateCheckpoint: nil, observer: repaired)
        #expect(repaired.outcomes["seen-collapse/potsdam"] == .computed && repaired.count(.upToDate) == 5)
    }

    @Test func aFailingCellIsRecordedAndTheRunGoesOn() throws {
        let scratch = try SuiteScratch()
        let suite = try SuiteFile.load(path: try makeSuite(scratch))
        try FileManager.default.removeItem(atPath: scratch.path + "/" + SampleSuite.predictionDirectory("potsdam", method: .boundaryDrift))
        let recorder = Recorder()
        let manifest = try SuiteRunner.run(
            suite, options: SuiteRunOptions(outputDirectory: scratch.path + "/run", jobs: 1), evaluateCheckpoint: nil, observer: recorder)
        let failed = try #require(manifest.cell(method: "boundary-drift", dataset: "potsdam"))
        #expect(failed.status == .failed && failed.results == nil)
        #expect(failed.error?.contains("is not a folder") == true, "\(failed.error ?? "")")
        #expect(manifest.cells.filter { $0.status == .done }.count == 5)
        let onDisk = try SuiteManifest.read(path: scratch.path + "/run/suite-run.json")
        #expect(onDisk.cell(method: "boundary-drift", dataset: "potsdam")?.status == .failed)
    }

    @Test func refusesAFolderThatIsNotASuiteRun() throws {
        let scratch = try SuiteScratch()
        let suite = try SuiteFile.load(path: try makeSuite(scratch))
        try FileManager.default.createDirectory(atPath: scratch.path + "/busy", withIntermediateDirectories: true)
        try "x".write(toFile: scratch.path + "/busy/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: SuiteError.self) {
            try SuiteRunner.run(suite, options: SuiteRunOptions(outputDirectory: scratch.path + "/busy"), evaluateCheckpoint: nil)
        }
        // Nor inside the data.
        #expect(throws: SuiteError.self) {
            try SuiteRunner.run(
                suite, options: SuiteRunOptions(outputDirectory: scratch.path + "/data/potsdam/gt/run"), evaluateCheckpoint: nil)
        }
    }

    /// An explicit split overrides the derived one in the results and the manifest; a changed
    /// presence policy or split invalidates the cells it touches.
    @Test func explicitSplitAndPolicyChangesAreInputs() throws {
        let scratch = try SuiteScratch()
        let file = try makeSuite(scratch)
        let out = scratch.path + "/run"
        _ = try SuiteRunner.run(try SuiteFile.load(path: file), options: SuiteRunOptions(outputDirectory: out, jobs: 1), evaluateCheckpoint: nil)
        var text = try String(contentsOfFile: file, encoding: .utf8)
        text = text.replacingOccurrences(
            of: #""gt": "data/potsdam/gt"}"#,
            with: #""gt": "data/potsdam/gt", "split": {"seen": ["building", "tree", "car"], "unseen": ["impervious surfaces", "low vegetation"]}}"#)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let explicit = try SuiteFile.load(path: file)
        let recorder = Recorder()
        let manifest = try SuiteRunner.run(explicit, options: SuiteRunOptions(outputDirectory: out, jobs: 1), evaluateCheckpoint: nil, observer: recorder)
        #expect(recorder.count(.computed) == 2 && recorder.outcomes["seen-collapse/potsdam"] == .computed)
        #expect(manifest.datasets[0].splitOrigin == "suite")
        #expect(manifest.datasets[0].seen == ["building", "tree", "car"])
        #expect(manifest.datasets[0].matches == [
            SuiteManifest.Match(test: "building", training: "buildings"), SuiteManifest.Match(test: "tree", training: "trees"),
            SuiteManifest.Match(test: "car", training: "cars"),
        ])
        let record = try ResultsFile.read(path: out + "/cells/seen-collapse/potsdam.ovseg.json")
        #expect(record.splitOrigin == .suiteSplit && record.split?.seenIDs == [1, 3, 4] && record.split?.unseenIDs == [0, 2])

        text = text.replacingOccurrences(of: #""training_vocabulary": "dlrsd","#, with: #""training_vocabulary": "dlrsd", "presence_policy": "gt-present","#)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let policy = Recorder()
        _ = try SuiteRunner.run(try SuiteFile.load(path: file), options: SuiteRunOptions(outputDirectory: out, jobs: 1), evaluateCheckpoint: nil, observer: policy)
        #expect(policy.count(.computed) == 6)
        #expect(try ResultsFile.read(path: out + "/cells/boundary-drift/loveda.ovseg.json").policy.presence == .gtPresent)
    }

    /// A cell's results equal scoring the same folders directly, with the split written out by
    /// hand (LoveDA against DLRSD: building, water and forest are seen).
    @Test func aCellEqualsADirectScore() throws {
        let scratch = try SuiteScratch()
        let suite = try SuiteFile.load(path: try makeSuite(scratch))
        let out = scratch.path + "/run"
        _ = try SuiteRunner.run(suite, options: SuiteRunOptions(outputDirectory: out, jobs: 2), evaluateCheckpoint: nil)
        let cell = try ResultsFile.read(path: out + "/cells/seen-collapse/loveda.ovseg.json")
        let loveda = try Vocabulary.load(key: "loveda")
        let direct = try Scorer.score(
            groundTruthDirectory: scratch.path + "/data/loveda/gt",
            predictionDirectory: scratch.path + "/predictions/seen-collapse/loveda",
            options: ScoreOptions(
                vocabulary: loveda,
                split: try loveda.split(seen: ["building", "water", "forest"], unseen: ["road", "barren", "agricultural"]),
                jobs: 1, method: "seen-collapse"))
        #expect(cell.matrix == direct.matrix)
        #expect(cell.images.map(\.counts) == direct.images.map(\.counts))
        #expect(cell.split?.seenIDs == direct.split?.seenIDs && cell.split?.unseenIDs == direct.split?.unseenIDs)
        #expect(cell.scores.meanIoU == direct.scores.meanIoU)
        #expect(cell.splitScores == direct.splitScores)
        #expect(cell.policy == direct.policy)
    }
}
