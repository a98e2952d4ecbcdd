import ArgumentParser
import Foundation
import Harness
import Reports
import Evaluation
import SyntheticData
import Vocabulary

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the synthetic sample dataset, score four simulated methods and the segmentation core, and print the tables.",
        discussion: """
            No set-up needed. The dataset is synthetic (ISPRS Potsdam classes and colours, RGB colour-coded \
            ground truth with eroded building outlines, palette-PNG predictions of four simulated methods \
            with realistic error patterns). Then the segmentation core runs end to end, as `ovseg eval` \
            does, on the RGB tiles with the bundled synthetic SGSeg checkpoint (Demo/sgseg-demo.safetensors: \
            a tiny model trained briefly on synthetic tiles, not a real SGSeg). Results files go to \
            <out>/results/, predictions to <out>/predictions/, the comparison report (Markdown, HTML, SVG \
            charts) to <out>/report/.

            Examples:
              ovseg demo
              ovseg demo --out /tmp/d --skip-model
            """)

    @Option(name: [.short, .customLong("output"), .customLong("out")],
            help: "Folder to write the dataset and results into (default: a new temporary folder; --out is an alias).")
    var out: String?

    @Option(help: "Number of synthetic images.")
    var images: Int = 24

    @Option(help: "Tile size in pixels.")
    var size: Int = 256

    @Option(help: "Seed of the generator; the same seed gives the same dataset everywhere.")
    var seed: UInt64 = 2025

    @OptionGroup var workers: JobsOption

    var jobs: Int { workers.jobs }

    @Flag(help: "Score only the simulated methods; do not run the segmentation core on the demo checkpoint.")
    var skipModel = false

    /// Method name of the segmentation core's run.
    static let modelMethod = "sgseg-demo"

    func validate() throws {
        guard images >= 1 else { throw ValidationError("--images must be at least 1") }
        guard size >= 64 && size <= 4096 else { throw ValidationError("--size must be between 64 and 4096") }
    }

    func run() throws {
        try runReportingErrors {
            let root = try out ?? makeTemporaryFolder()
            let dataset = SampleDataset(imageCount: images, width: size, height: size, seed: seed)
            Terminal.note("generating \(images) synthetic \(size)×\(size) tiles into \(root) …")
            try dataset.write(to: root, jobs: jobs)
            let vocabulary = try Vocabulary.load(key: SampleDataset.vocabularyKey)
            let resultsFolder = root + "/results"
            try FileManager.default.createDirectory(atPath: resultsFolder, withIntermediateDirectories: true)
            var inputs: [ReportInput] = []
            for method in SimulatedMethod.allCases {
                let options = ScoreOptions(
                    vocabulary: vocabulary, split: vocabulary.splits.first, jobs: jobs, method: method.rawValue,
                    splitOrigin: .splitName)
                let record = try Scorer.score(
                    groundTruthDirectory: dataset.groundTruthDirectory(in: root),
                    predictionDirectory: dataset.predictionDirectory(in: root, method: method),
                    options: options, progress: Terminal.showsProgress ? ProgressBar(label: method.rawValue) : nil)
                inputs.append(try publish(record, name: method.rawValue, summary: method.summary, in: resultsFolder))
            }
            var predictionDirectories = SimulatedMethod.allCases.map {
                ($0.rawValue, dataset.predictionDirectory(in: root, method: $0))
            }
            if !skipModel {
                let predictions = root + "/predictions/" + Self.modelMethod
                let record = try evaluateDemoCheckpoint(root: root, vocabulary: vocabulary, predictions: predictions)
                inputs.append(try publish(
                    record, name: Self.modelMethod,
                    summary: "the segmentation core on a synthetic checkpoint: a tiny model trained briefly on synthetic tiles",
                    in: resultsFolder))
                predictionDirectories.append((Self.modelMethod, predictions))
            }
            let qualitative = QualitativeSources(
                imageDirectory: dataset.imageDirectory(in: root), groundTruthDirectory: dataset.groundTruthDirectory(in: root),
                predictionDirectories: predictionDirectories, count: 3,
                // The demo's tiles are 256 px: half-size thumbnails keep the committed example report
                // small, and each links to its full tile.
                thumbnailSize: 128)
            let report = try Report(
                inputs: inputs,
                options: ReportOptions(
                    title: "ovseg demo: synthetic Potsdam tiles", qualitative: qualitative,
                    notes: skipModel ? [Self.dataNote] : [Self.dataNote, Self.modelNote]))
            let reportFolder = root + "/report"
            try ReportFiles.write(report, to: reportFolder)
            print("\nwrote the report to \(reportFolder)/report.md and report.html")
        }
    }

    static let dataNote =
        "Everything here is synthetic. The tiles are generated scenes in the ISPRS Potsdam classes and colours; "
        + "the four simulated methods are label maps with programmed error patterns, not models."
    static let modelNote =
        "\(modelMethod) is ovseg's real segmentation core (the released SGSeg graph: EVA02 vision and text towers, "
        + "scene-bias cost aggregation, sliding windows with a global view) running the bundled synthetic checkpoint "
        + "Demo/sgseg-demo.safetensors, a tiny model trained for two CPU minutes on synthetic tiles with building, "
        + "tree and car as seen classes. Its numbers show the pipeline working end to end; they say nothing about SGSeg."

    /// Writes `results/<name>.ovseg.json`, prints its summary and returns it for the report.
    private func publish(_ record: RunRecord, name: String, summary: String, in folder: String) throws -> ReportInput {
        let path = folder + "/\(name).ovseg.json"
        try ResultsFile.write(record, to: path)
        print("\n" + TerminalSummary.render(record), terminator: "")
        print("(\(summary))")
        print("wrote \(path)")
        return ReportInput(record: record, path: "results/\(name).ovseg.json")
    }

    /// Segments the RGB tiles with the bundled checkpoint, exactly as `ovseg eval` would.
    private func evaluateDemoCheckpoint(root: String, vocabulary: Vocabulary, predictions: String) throws -> RunRecord {
        Terminal.note("\nsegmenting the tiles with the segmentation core and the synthetic demo checkpoint …")
        let request = EvaluationRequest(
            checkpoint: try DemoCheckpoint.path(), checkpointName: DemoCheckpoint.displayName,
            dataset: EvaluationDataset(root: root),
            scoring: ScoreOptions(
                vocabulary: vocabulary, split: vocabulary.splits.first, jobs: jobs, method: Self.modelMethod,
                splitOrigin: .splitName),
            savePredictions: predictions, threads: jobs)
        return try ModelRun.evaluate(
            request, observer: EvaluationObserver(progress: Terminal.showsProgress ? ProgressBar(label: Self.modelMethod) : nil))
    }

    private func makeTemporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-demo-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
