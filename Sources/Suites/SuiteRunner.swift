import Dispatch
import FileOutput
import Foundation
import Harness
import JSON
import Metrics
import Vocabulary

/// How `SuiteRunner.run` runs: where, whether to recompute up-to-date cells, how many threads.
public struct SuiteRunOptions: Sendable {
    /// The run folder: `suite-run.json` and `cells/<method-slug>/<dataset-key>.ovseg.json`.
    public var outputDirectory: String
    /// Recompute every cell, even one whose results are up to date.
    public var force: Bool
    /// Worker threads of each cell (scoring workers, or the model's threads).
    public var jobs: Int

    public init(outputDirectory: String, force: Bool = false, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.outputDirectory = outputDirectory
        self.force = force
        self.jobs = max(1, jobs)
    }
}

/// A checkpoint cell, handed to the caller's evaluator: `Suites` does not run models itself (that
/// is the `Evaluation` module, which the command-line layer drives as `ovseg eval` does).
public struct CheckpointCell: Sendable {
    public var method: SuiteMethod
    public var dataset: SuiteDataset
    public var checkpoint: String
    public var settings: CheckpointSettings
    /// Vocabulary, split, policy, encoding, method name and threads: as for a prediction cell.
    public var scoring: ScoreOptions
    /// The images and ground truth.
    public var data: EvaluationDataset
}

/// What happened to one cell.
public struct CellOutcome: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Computed now.
        case computed
        /// Its results were up to date and were kept.
        case upToDate
        /// It failed; `message` says why.
        case failed
    }

    public var kind: Kind
    public var seconds: Double
    public var message: String?
    /// The computed run (its warnings are worth showing), for `computed` cells.
    public var record: RunRecord?
}

/// Receives a suite run's progress, cell by cell.
public protocol SuiteRunObserver {
    /// Cell `position` (1-based) of `total` starts.
    func cellStarted(position: Int, total: Int, method: String, dataset: String)
    /// A progress display for the images of the starting cell, or nil.
    func imageProgress(method: String, dataset: String) -> (any ScoringProgress)?
    func cellFinished(position: Int, total: Int, method: String, dataset: String, outcome: CellOutcome)
}

/// Runs every cell of a suite (docs/suites.md §4): prediction cells are scored by the Harness
/// scorer exactly as `ovseg score` scores them, checkpoint cells by the caller's evaluator (as
/// `ovseg eval`); one results file per cell; the manifest rewritten after every cell. A cell
/// whose results file validates and whose recorded inputs (`CellInputs`) equal the current ones
/// is kept unless `force`. A failing cell is recorded as failed and the run goes on.
public enum SuiteRunner {
    /// The results file of a cell, relative to the run folder.
    public static func resultsPath(method: SuiteMethod, dataset: SuiteDataset) -> String {
        "cells/\(method.slug)/\(dataset.key).ovseg.json"
    }

    /// The recorded inputs of a cell, beside its results file.
    public static func inputsPath(method: SuiteMethod, dataset: SuiteDataset) -> String {
        "cells/\(method.slug)/\(dataset.key).inputs.json"
    }

    /// Runs `suite` into `options.outputDirectory` and returns the final manifest. Throws only
    /// when the run cannot start or the manifest cannot be written; cell failures are in the manifest.
    public static func run(
        _ suite: SuiteFile, options: SuiteRunOptions,
        evaluateCheckpoint: ((CheckpointCell) throws -> RunRecord)?,
        observer: (any SuiteRunObserver)? = nil
    ) throws(SuiteError) -> SuiteManifest {
        let folder = options.outputDirectory
        try prepare(folder: folder, suite: suite)
        let manifestPath = (folder as NSString).appendingPathComponent(SuiteManifest.fileName)
        var manifest = SuiteManifest(suite: suite)
        try manifest.write(to: manifestPath)
        let total = suite.methods.count * suite.datasets.count
        var position = 0
        var checkpointHashes: [String: String] = [:]
        for method in suite.methods {
            for dataset in suite.datasets {
                position += 1
                observer?.cellStarted(position: position, total: total, method: method.name, dataset: dataset.key)
                let start = DispatchTime.now()
                var outcome: CellOutcome
                do {
                    outcome = try runCell(
                        method: method, dataset: dataset, suite: suite, options: options,
                        evaluateCheckpoint: evaluateCheckpoint, observer: observer, checkpointHashes: &checkpointHashes)
                } catch {
                    outcome = CellOutcome(kind: .failed, seconds: 0, message: oneLine(error))
                }
                outcome.seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                if let index = manifest.cells.firstIndex(where: { $0.method == method.name && $0.dataset == dataset.key }) {
                    manifest.cells[index] = outcome.kind == .failed
                        ? SuiteManifest.Cell(method: method.name, dataset: dataset.key, status: .failed, error: outcome.message)
                        : SuiteManifest.Cell(
                            method: method.name, dataset: dataset.key, status: .done,
                            results: resultsPath(method: method, dataset: dataset))
                }
                try manifest.write(to: manifestPath)
                observer?.cellFinished(position: position, total: total, method: method.name, dataset: dataset.key, outcome: outcome)
            }
        }
        return manifest
    }

    /// Creates the run folder, or accepts an existing one that is empty or an earlier suite run's
    /// (it holds a manifest); refuses a folder that is, holds or lies inside an input.
    static func prepare(folder: String, suite: SuiteFile) throws(SuiteError) {
        var inputs: [OutputGuard.Input] = []
        for dataset in suite.datasets {
            for (_, path) in dataset.location.folders { inputs.append(.init(path, role: "the data of dataset \(dataset.key)")) }
        }
        for method in suite.methods {
            switch method.source {
            case .predictions(let folders):
                for (key, path) in folders.sorted(by: { $0.key < $1.key }) {
                    inputs.append(.init(path, role: "the predictions of \(method.name) on \(key)"))
                }
            case .checkpoint(let path, _):
                inputs.append(.init(path, role: "the checkpoint of \(method.name)"))
            }
        }
        do {
            try OutputGuard.check(output: folder, isFolder: true, role: "suite run", inputs: inputs)
        } catch {
            throw SuiteError(.output, file: folder, error.reason)
        }
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SuiteError(.output, file: folder, "is a file; --out takes a folder") }
            let contents = (try? manager.contentsOfDirectory(atPath: folder)) ?? []
            if !contents.isEmpty && !contents.contains(SuiteManifest.fileName) {
                throw SuiteError(.output, file: folder,
                    "holds files but no \(SuiteManifest.fileName), so it is not an earlier suite run; give a new or empty folder")
            }
        }
        do {
            try AtomicFile.createDirectory(folder)
        } catch {
            throw SuiteError(.output, file: folder, error.reason)
        }
    }

    static func runCell(
        method: SuiteMethod, dataset: SuiteDataset, suite: SuiteFile, options: SuiteRunOptions,
        evaluateCheckpoint: ((CheckpointCell) throws -> RunRecord)?, observer: (any SuiteRunObserver)?,
        checkpointHashes: inout [String: String]
    ) throws -> CellOutcome {
        let folder = options.outputDirectory
        let results = (folder as NSString).appendingPathComponent(resultsPath(method: method, dataset: dataset))
        let inputsFile = (folder as NSString).appendingPathComponent(inputsPath(method: method, dataset: dataset))
        let inputs = try CellInputs.compute(
            method: method, dataset: dataset, presence: suite.presence, checkpointHashes: &checkpointHashes)
        if !options.force, CellInputs.isUpToDate(results: results, inputsFile: inputsFile, inputs: inputs, method: method, dataset: dataset) {
            return CellOutcome(kind: .upToDate, seconds: 0)
        }
        let scoring = ScoreOptions(
            vocabulary: dataset.vocabulary, split: dataset.split, presence: suite.presence,
            predictionEncoding: method.predictionEncoding, jobs: options.jobs, method: method.name,
            splitOrigin: dataset.splitOrigin, encoding: dataset.encoding)
        let progress = observer?.imageProgress(method: method.name, dataset: dataset.key)
        let record: RunRecord
        switch method.source {
        case .predictions(let folders):
            guard let predictions = folders[dataset.key] else {
                throw SuiteError(.invalidSuite, file: suite.path, "\(method.name) has no prediction folder for \(dataset.key)")
            }
            switch dataset.location {
            case .groundTruth(let gt):
                record = try Scorer.score(groundTruthDirectory: gt, predictionDirectory: predictions, options: scoring, progress: progress)
            case .data(let root):
                record = try Scorer.score(
                    groundTruthDirectory: EvaluationDataset(root: root).groundTruthDirectory, predictionDirectory: predictions,
                    options: scoring, progress: progress)
            case .layout:
                record = try Scorer.score(
                    dataset: try listed(dataset, needsImages: false), predictionDirectory: predictions, options: scoring,
                    progress: progress)
            }
        case .checkpoint(let checkpoint, let settings):
            guard let evaluateCheckpoint else {
                throw SuiteError(.invalidSuite, file: suite.path, "\(method.name) is a checkpoint, and this caller evaluates no checkpoints")
            }
            let data: EvaluationDataset
            switch dataset.location {
            case .groundTruth:
                throw SuiteError(.invalidSuite, file: suite.path, "\(method.name) is a checkpoint and \(dataset.key) has no images")
            case .data(let root): data = EvaluationDataset(root: root)
            case .layout: data = EvaluationDataset(listed: try listed(dataset, needsImages: true))
            }
            record = try evaluateCheckpoint(CheckpointCell(
                method: method, dataset: dataset, checkpoint: checkpoint, settings: settings, scoring: scoring, data: data))
        }
        try? FileManager.default.removeItem(atPath: inputsFile)
        try AtomicFile.createDirectory((results as NSString).deletingLastPathComponent)
        try ResultsFile.write(record, to: results)
        try JSONCodec.write(inputs, to: inputsFile)
        return CellOutcome(kind: .computed, seconds: 0, record: record)
    }

    /// The images (with `needsImages`) and labels a dataset's release layout lists.
    static func listed(_ dataset: SuiteDataset, needsImages: Bool) throws -> ListedDataset {
        guard case .layout(let root, let name, let subset, let eroded) = dataset.location else {
            preconditionFailure("listed(_:) is for layout datasets")
        }
        let layout = try dataset.vocabulary.layout(named: name)
        if eroded && layout.variant(named: LayoutLabelVariant.eroded) == nil {
            throw HarnessError(.pairing, "layout \(name) of \(dataset.vocabulary.key) has no eroded label variant")
        }
        return try LayoutDiscovery.discover(LayoutDiscovery.Request(
            layout: layout, vocabulary: dataset.vocabulary.key, root: root, subset: subset,
            labelVariant: eroded ? LayoutLabelVariant.eroded : nil, needsImages: needsImages))
    }

    /// An error as one line.
    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
