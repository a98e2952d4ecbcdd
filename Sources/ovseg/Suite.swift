import ArgumentParser
import Evaluation
import Foundation
import Harness
import Segmenter
import Suites
import Tensor
import Vocabulary

/// `ovseg suite`: benchmark suites, the field's cross-dataset grid made reproducible (docs/suites.md).
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Benchmark suites: run every method on every test dataset (seen/unseen by vocabulary overlap), report the grid, list published baselines.",
        discussion: """
            A suite file (JSON, docs/suites.md) names a training vocabulary, the test datasets and the \
            methods (prediction folders per dataset, or a checkpoint ovseg eval runs). A test class is \
            seen when its name or a synonym matches a training class after normalisation (case, \
            punctuation, plurals); the suite may give a split instead.

            Examples:
              ovseg suite validate suite.json
              ovseg suite split suite.json
              ovseg suite split --train dlrsd --test potsdam --test loveda
              ovseg suite run suite.json --out runs/dlrsd
              ovseg suite report runs/dlrsd --grids miou,hiou --latex
              ovseg suite baselines --train dlrsd
            """,
        subcommands: [SuiteRunCommand.self, SuiteValidate.self, SuiteSplit.self, SuiteReportCommand.self, SuiteBaselinesCommand.self])
}

struct SuiteRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Score (or evaluate) every method on every test dataset of a suite, one results file per cell.",
        discussion: """
            Prediction cells are scored exactly as ovseg score scores them; checkpoint cells are \
            evaluated as ovseg eval evaluates them. Each cell's results file goes to \
            DIR/cells/<method>/<dataset>.ovseg.json and DIR/suite-run.json, the manifest ovseg suite \
            report reads, is rewritten after every cell. A second run keeps every cell whose results \
            file is valid and whose inputs are unchanged (vocabulary, encoding, split, policy, data and \
            prediction folder listings or checkpoint hash; docs/suites.md §4) unless --force. A failing \
            cell is recorded with its message and the run goes on; the exit code is then 1 (2 when the \
            suite cannot run at all).
            """)

    @Argument(help: "The suite file (JSON, docs/suites.md).")
    var suite: String

    @Option(name: [.customLong("out"), .customShort("o")], help: "Run folder: new, empty, or an earlier run of this suite.")
    var out: String

    @Flag(help: "Recompute every cell, even those whose results are up to date.")
    var force = false

    @OptionGroup var workers: JobsOption

    @Flag(help: "Never draw a progress bar for a cell's images.")
    var noProgress = false

    @Flag(help: "Print nothing but errors, warnings and failed cells.")
    var quiet = false

    func run() throws {
        var failed = 0
        try runReportingErrors {
            guard workers.jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
            let file = try SuiteFile.load(path: suite)
            if !quiet {
                Terminal.note("suite \(file.name): \(file.methods.count) methods × \(file.datasets.count) datasets, "
                    + "training vocabulary \(file.trainingVocabulary.key)")
                for dataset in file.datasets {
                    let origin = dataset.explicitSplit == nil ? "derived from the overlap" : "given in the suite"
                    Terminal.note("  \(dataset.key): seen \(SuiteSplit.list(dataset.split.seen)); unseen "
                        + "\(SuiteSplit.list(dataset.split.unseen)) (\(origin))")
                }
            }
            let observer = SuiteProgress(quiet: quiet, imageProgress: !noProgress && !quiet)
            let manifest = try SuiteRunner.run(
                file, options: SuiteRunOptions(outputDirectory: out, force: force, jobs: workers.jobs),
                evaluateCheckpoint: { cell in try SuiteCheckpoints.evaluate(cell, quiet: quiet) }, observer: observer)
            failed = manifest.cells.filter { $0.status == .failed }.count
            if !quiet || failed > 0 {
                let done = manifest.cells.count - failed
                Terminal.note(
                    "suite \(file.name): \(done) of \(manifest.cells.count) cells done (\(observer.computed) computed, "
                        + "\(observer.upToDate) up to date), \(failed) failed; wrote \((out as NSString).appendingPathComponent(SuiteManifest.fileName))")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

/// Prints one line per cell on stderr: `[3/12] sgseg × potsdam … done 1.2 s`.
final class SuiteProgress: SuiteRunObserver {
    let quiet: Bool
    let showsImageProgress: Bool
    private(set) var computed = 0
    private(set) var upToDate = 0

    init(quiet: Bool, imageProgress: Bool) {
        self.quiet = quiet
        showsImageProgress = imageProgress
    }

    func cellStarted(position: Int, total: Int, method: String, dataset: String) {}

    func imageProgress(method: String, dataset: String) -> (any ScoringProgress)? {
        Terminal.progress(label: "\(method) × \(dataset)", enabled: showsImageProgress)
    }

    func cellFinished(position: Int, total: Int, method: String, dataset: String, outcome: CellOutcome) {
        let head = "[\(position)/\(total)] \(method) × \(dataset) …"
        switch outcome.kind {
        case .computed:
            computed += 1
            if !quiet { Terminal.note(head + " done " + String(format: "%.1f s", outcome.seconds)) }
            for warning in outcome.record?.warnings ?? [] { Terminal.warning("\(method) × \(dataset): \(warning)") }
        case .upToDate:
            upToDate += 1
            if !quiet { Terminal.note(head + " up to date (kept)") }
        case .failed:
            Terminal.note(head + " failed: " + (outcome.message ?? "unknown error"))
        }
    }
}

/// Checkpoint cells, evaluated as `ovseg eval` evaluates (the same `ModelRun.evaluate`).
enum SuiteCheckpoints {
    static func evaluate(_ cell: CheckpointCell, quiet: Bool) throws -> RunRecord {
        let settings = cell.settings
        let mode = settings.mode.flatMap(EvaluationMode.init(rawValue:)) ?? .auto
        let shortestEdge: ShortestEdgeResize = settings.shortestEdge.map { $0 == 0 ? .none : .size($0) } ?? .protocolDefault
        let request = EvaluationRequest(
            checkpoint: cell.checkpoint, dataset: cell.data, scoring: cell.scoring, mode: mode,
            segmenter: SegmenterOptions(
                pooling: settings.pooling ?? 1,
                inference: settings.inference.flatMap(SegmenterConfiguration.Inference.init(rawValue:)) ?? .sliding,
                templates: settings.templates.isEmpty ? nil : settings.templates, shortestEdge: shortestEdge),
            trainingFree: TrainingFreeOverrides(
                attention: settings.attention.flatMap(TrainingFreeAttention.init(rawValue:))?.mode,
                threshold: settings.threshold.map(Float.init), background: settings.background,
                longSide: settings.longSide.map { $0 == 0 ? nil : $0 }, crop: settings.crop, stride: settings.stride),
            trainingFreeTemplates: settings.templates,
            arithmetic: settings.arithmetic.flatMap(GEMMArithmetic.init(rawValue:)) ?? .reproducible,
            threads: cell.scoring.jobs)
        return try ModelRun.evaluate(request, observer: EvaluationObserver(
            phase: { if !quiet { Terminal.note("  eval: " + $0) } }))
    }
}

struct SuiteValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a suite file: its schema, vocabularies, splits, settings and that every folder and checkpoint exists.")

    @Argument(help: "The suite file (JSON, docs/suites.md).")
    var suite: String

    func run() throws {
        try runReportingErrors {
            let file = try SuiteFile.load(path: suite)
            try file.checkInputsExist()
            print("\(suite): valid: \(file.methods.count) methods × \(file.datasets.count) datasets = "
                + "\(file.methods.count * file.datasets.count) cells, training vocabulary \(file.trainingVocabulary.key)")
            for dataset in file.datasets {
                let origin = dataset.explicitSplit == nil ? "derived" : "given in the suite"
                print("  \(dataset.key): \(dataset.split.seen.count) seen, \(dataset.split.unseen.count) unseen (\(origin))")
            }
        }
    }
}

struct SuiteSplit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Print each test dataset's seen/unseen split and what matched what.",
        discussion: """
            Give a suite file, or --train and one or more --test vocabularies (bundled keys or files). \
            The rules are in docs/suites.md §3.
            """)

    @Argument(help: "The suite file (JSON, docs/suites.md).")
    var suite: String?

    @Option(help: "Training vocabulary (bundled key or file), instead of a suite file.")
    var train: String?

    @Option(help: "Test vocabulary (bundled key or file); repeat for several.")
    var test: [String] = []

    func run() throws {
        try runReportingErrors {
            switch (suite, train) {
            case (let suite?, nil):
                guard test.isEmpty else { throw ValidationError("--test goes with --train, not with a suite file") }
                let file = try SuiteFile.load(path: suite)
                print("training vocabulary: \(file.trainingVocabulary.key) (\(file.trainingVocabulary.name))")
                for dataset in file.datasets {
                    print("")
                    print("\(dataset.key) (\(dataset.title), vocabulary \(dataset.vocabulary.key))")
                    if let explicit = dataset.explicitSplit {
                        print("  split given in the suite file (it overrides the derived one):")
                        print("    seen:   \(Self.list(explicit.seen))")
                        print("    unseen: \(Self.list(explicit.unseen))")
                        print("  derived from the overlap, for comparison:")
                    }
                    Self.show(dataset.overlap)
                }
            case (nil, let train?):
                guard !test.isEmpty else { throw ValidationError("give one or more --test vocabularies with --train") }
                let training = try Vocabulary.resolve(train)
                print("training vocabulary: \(training.key) (\(training.name))")
                for reference in test {
                    let vocabulary = try Vocabulary.resolve(reference)
                    print("")
                    print("\(vocabulary.key) (\(vocabulary.name))")
                    Self.show(VocabularyOverlap(training: training, test: vocabulary))
                }
            default:
                throw ValidationError("give a suite file, or --train V and --test V")
            }
        }
    }

    static func list(_ names: [String]) -> String { names.isEmpty ? "(none)" : names.joined(separator: ", ") }

    static func show(_ overlap: VocabularyOverlap) {
        print("  seen:   \(list(overlap.seen))")
        print("  unseen: \(list(overlap.unseen))")
        for line in overlap.explanation { print("  " + line) }
    }
}
