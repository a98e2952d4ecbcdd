import ArgumentParser
import Foundation
import Harness
import Reports
import SyntheticData
import Vocabulary

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the synthetic sample dataset, score every simulated method, and print the tables.",
        discussion: """
            No set-up needed. The dataset is synthetic (ISPRS Potsdam classes and colours, RGB colour-coded \
            ground truth with eroded building outlines, palette-PNG predictions of four simulated methods \
            with realistic error patterns). Results files go to <out>/results/, the comparison report \
            (Markdown, HTML, SVG charts) to <out>/report/.
            """)

    @Option(name: .shortAndLong, help: "Folder to write the dataset and results into (default: a new temporary folder).")
    var out: String?

    @Option(help: "Number of synthetic images.")
    var images: Int = 24

    @Option(help: "Tile size in pixels.")
    var size: Int = 256

    @Option(help: "Seed of the generator; the same seed gives the same dataset everywhere.")
    var seed: UInt64 = 2025

    @Option(help: "Worker threads (default: all cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

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
                    vocabulary: vocabulary, split: vocabulary.splits.first, jobs: jobs, method: method.rawValue)
                let record = try Scorer.score(
                    groundTruthDirectory: dataset.groundTruthDirectory(in: root),
                    predictionDirectory: dataset.predictionDirectory(in: root, method: method),
                    options: options, progress: Terminal.showsProgress ? ProgressBar(label: method.rawValue) : nil)
                let path = resultsFolder + "/\(method.rawValue).ovseg.json"
                try ResultsFile.write(record, to: path)
                print("\n" + TerminalSummary.render(record), terminator: "")
                print("(\(method.summary))")
                print("wrote \(path)")
                inputs.append(ReportInput(record: record, path: "results/\(method.rawValue).ovseg.json"))
            }
            let qualitative = QualitativeSources(
                imageDirectory: dataset.imageDirectory(in: root), groundTruthDirectory: dataset.groundTruthDirectory(in: root),
                predictionDirectories: SimulatedMethod.allCases.map { ($0.rawValue, dataset.predictionDirectory(in: root, method: $0)) },
                count: 3, thumbnailSize: 128)
            let report = try Report(
                inputs: inputs,
                options: ReportOptions(title: "ovseg demo: four simulated methods on synthetic Potsdam tiles", qualitative: qualitative))
            let reportFolder = root + "/report"
            try ReportFiles.write(report, to: reportFolder)
            print("\nwrote the report to \(reportFolder)/report.md and report.html")
        }
    }

    private func makeTemporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-demo-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
