import ArgumentParser
import Foundation
import Harness
import Reports
import Evaluation
import FileOutput
import JSON
import Metrics
import SuiteReports
import Suites
import SyntheticData
import Referring
import SceneClassification
import VQAScoring
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
            charts) to <out>/report/. A synthetic referring set (instances of the scenes with template \
            descriptions, answered by a simulated method) goes to <out>/referring/, its results file to \
            <out>/results/refer-demo.ovseg.json and its report to <out>/report/referring/ (docs/referring.md). \
            A synthetic scene-classification set (UC Merced labels, a simulated classifier's scores) goes to \
            <out>/scene/, its results file to <out>/results/scene-demo.ovseg.json and its report to \
            <out>/report/scene/ (docs/scene-classification.md). \
            A synthetic VQA set (RSVQA-style questions about the scenes, answered by a simulated answerer) goes \
            to <out>/vqa/, its results file to <out>/results/vqa-demo.ovseg.json and its report to \
            <out>/report/vqa/ (docs/vqa.md). \
            Last, a small synthetic benchmark suite (docs/suites.md §6: the simulated methods on synthetic \
            Potsdam, LoveDA and OpenEarthMap tiles, trained on DLRSD's vocabulary) is written to <out>/suite/ and run into <out>/suite/run/.

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
            try Self.claim(root)
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
            try referringDemo(root: root, results: resultsFolder, report: reportFolder + "/referring")
            try vqaDemo(root: root, results: resultsFolder, report: reportFolder + "/vqa")
            try sceneDemo(root: root, results: resultsFolder, report: reportFolder + "/scene")
            try runSuite(root: root, report: reportFolder + "/suite")
        }
    }

    /// Writes the synthetic suite under `<root>/suite/` and runs it into `<root>/suite/run/`.
    private func runSuite(root: String, report: String) throws {
        let folder = root + "/suite"
        let side = min(size, 128)
        let sample = SampleSuite(imageCount: min(images, 6), width: side, height: side, seed: seed)
        Terminal.note("\ngenerating the synthetic suite (\(sample.imageCount) tiles of \(side)×\(side) in each of "
            + "\(SampleSuite.datasets.count) vocabularies) into \(folder) …")
        try? FileManager.default.removeItem(atPath: folder)
        try sample.write(to: folder)
        let suiteFile = folder + "/suite.json"
        try JSONCodec.write(Self.suiteJSON, to: suiteFile)
        let suite = try SuiteFile.load(path: suiteFile)
        let manifest = try SuiteRunner.run(
            suite, options: SuiteRunOptions(outputDirectory: folder + "/run", jobs: jobs), evaluateCheckpoint: nil,
            observer: SuiteProgress(quiet: false, imageProgress: false))
        if let failed = manifest.cells.first(where: { $0.status == .failed }) {
            throw HarnessError(.input, "the demo suite's cell \(failed.method) × \(failed.dataset) failed: \(failed.error ?? "")")
        }
        print("wrote the suite run to \(folder)/run/\(SuiteManifest.fileName) (see ovseg suite split \(suiteFile))")
        // The grid as `ovseg suite report --grids miou,hiou,seen,unseen --latex` renders it.
        let options = SuiteGridOptions(metrics: [.miou, .hiou, .seen, .unseen], latex: true)
        let document = try SuiteGridDocument(run: try SuiteRun.load(directory: folder + "/run"), options: options)
        try SuiteGridReport.write(document, to: report, options: options)
        print("wrote the suite's grid report to \(report)/suite.md and suite.html")
    }

    /// The demo's suite file: DLRSD as the training vocabulary, three synthetic test datasets,
    /// the simulated methods' prediction folders. Paths are relative to the suite file.
    static var suiteJSON: JSONValue {
        let datasets: [JSONValue] = SampleSuite.datasets.map { dataset in
            .object(JSONObject([
                ("key", .string(dataset.key)), ("title", .string(dataset.title)), ("vocabulary", .string(dataset.key)),
                ("gt", .string(SampleSuite.groundTruthDirectory(dataset.key))),
            ]))
        }
        let methods: [JSONValue] = SimulatedMethod.allCases.map { method in
            .object(JSONObject([
                ("name", .string(method.rawValue)),
                ("predictions", .object(JSONObject(SampleSuite.datasets.map {
                    ($0.key, JSONValue.string(SampleSuite.predictionDirectory($0.key, method: method)))
                }))),
            ]))
        }
        return .object(JSONObject([
            ("schema", .string(SuiteFile.schemaTag)), ("schema_version", .int(Int64(SuiteFile.schemaVersion))),
            ("name", .string("ovseg demo: synthetic cross-dataset suite (DLRSD vocabulary → Potsdam, LoveDA, OpenEarthMap)")),
            ("training_vocabulary", .string("dlrsd")), ("presence_policy", .string("union-present")),
            ("datasets", .array(datasets)), ("methods", .array(methods)),
        ]))
    }

    static let dataNote =
        "Everything here is synthetic. The tiles are generated scenes in the ISPRS Potsdam classes and colours; "
        + "the four simulated methods are label maps with programmed error patterns, not models."
    static let modelNote =
        "\(modelMethod) is ovseg's real segmentation core (the released SGSeg graph: EVA02 vision and text towers, "
        + "scene-bias cost aggregation, sliding windows with a global view) running the bundled synthetic checkpoint "
        + "Demo/sgseg-demo.safetensors, a tiny model trained for two CPU minutes on synthetic tiles with building, "
        + "tree and car as seen classes. Its numbers show the pipeline working end to end; they say nothing about SGSeg."

    /// The synthetic referring set (docs/referring.md §10): instances of the scenes with template
    /// descriptions, answered by a simulated method, scored as `ovseg refer score` does, with its
    /// results file in `results/` and its report in `report/referring/`.
    private func referringDemo(root: String, results: String, report: String) throws {
        let set = SyntheticReferringSet(imageCount: images, width: size, height: size, seed: seed)
        let files = try set.write(to: root + "/referring")
        let annotations = try ReferringAnnotations.read(path: files.annotations)
        let record = try ReferringScorer.score(
            annotations: annotations, predictions: .json(path: files.predictions),
            options: ReferringScoreOptions(method: SyntheticReferringSet.methodName))
        let name = SyntheticReferringSet.methodName + ".ovseg.json"
        try ReferringResultsFile.write(record, to: results + "/" + name)
        print("\n" + ReferringSummary.render(record), terminator: "")
        print("(referring: \(record.samples.count) instructions about instances of the synthetic scenes, "
            + "answered by a simulated method with boundary errors, wrong instances and empty answers)")
        print("wrote \(results)/\(name)")
        let rendered = ReferringReport(
            title: "ovseg demo: synthetic referring set", runs: [("results/" + name, record)], listed: 5)
        try AtomicFile.createDirectory(report)
        try AtomicFile.writeAll([
            (report + "/report.md", Array(rendered.markdown.utf8)), (report + "/report.html", Array(rendered.html.utf8)),
        ])
        print("wrote the referring report to \(report)/report.md and report.html")
    }

    /// The synthetic scene-classification set (docs/scene-classification.md §7): UC Merced labels and
    /// a simulated zero-shot classifier's scores, scored as `ovseg classify score` does with five classes
    /// as unseen, with its results file in `results/` and its report in `report/scene/`.
    private func sceneDemo(root: String, results: String, report: String) throws {
        let vocabulary = try SceneVocabulary.load(key: "ucmerced")
        let unseenNames = ["buildings", "golf course", "harbor", "overpass", "storage tanks"]
        let unseenIDs = unseenNames.compactMap { vocabulary.classID(named: $0) }
        let set = SyntheticSceneSet(
            vocabularyKey: vocabulary.key, classNames: vocabulary.classes.map(\.name), perClass: max(4, min(images, 12)),
            unseen: unseenIDs, seed: seed)
        let files = try set.write(to: root + "/scene")
        let split = try vocabulary.split(
            seen: vocabulary.classes.map(\.name).filter { !unseenNames.contains($0) }, unseen: unseenNames)
        let record = try SceneScorer.score(
            labels: try SceneLabels.read(path: files.labels, vocabulary: vocabulary),
            predictions: try ScenePredictions.read(path: files.predictions, vocabulary: vocabulary), vocabulary: vocabulary,
            split: split, method: SyntheticSceneSet.methodName, command: Provenance.invocation, date: Provenance.now(),
            host: ProcessInfo.processInfo.hostName, seconds: 0)
        let name = SyntheticSceneSet.methodName + ".ovseg.json"
        try SceneResultsFile.write(record, to: results + "/" + name)
        print("\n" + SceneSummary.render(record), terminator: "")
        print("(scene classification: synthetic UC Merced labels, a simulated zero-shot classifier weaker on five unseen classes)")
        print("wrote \(results)/\(name)")
        let rendered = try SceneClassificationReport(
            title: "ovseg demo: synthetic scene classification", runs: [("results/" + name, record)],
            bootstrap: BootstrapConfiguration(resamples: 200, level: 0.95, seed: seed))
        try AtomicFile.createDirectory(report)
        try AtomicFile.writeAll([
            (report + "/report.md", Array(rendered.markdown.utf8)), (report + "/report.html", Array(rendered.html.utf8)),
        ])
        print("wrote the scene-classification report to \(report)/report.md and report.html")
    }

    /// The synthetic VQA set (docs/vqa.md §9): questions about the scenes answered by a simulated
    /// answerer, scored as `ovseg vqa score` does with the default buckets, with its results file in
    /// `results/` and its report in `report/vqa/`.
    private func vqaDemo(root: String, results: String, report: String) throws {
        let set = SyntheticVQASet(imageCount: images, width: size, height: size, seed: seed)
        let files = try set.write(to: root + "/vqa")
        let record = try VQAScorer.score(
            groundTruth: try VQAGroundTruth.read(path: files.questions), predictions: try VQAPredictions.read(path: files.predictions),
            policy: VQAPolicy(normalizer: AnswerNormalizer(), missingAsWrong: false), method: SyntheticVQASet.methodName)
        let name = SyntheticVQASet.methodName + ".ovseg.json"
        try VQAResultsFile.write(record, to: results + "/" + name)
        print("\n" + VQASummary.render(record), terminator: "")
        print("(VQA: \(record.questions.count) questions about the synthetic scenes, answered by a simulated answerer "
            + "that misses cars, over-counts and over-estimates areas)")
        print("wrote \(results)/\(name)")
        let rendered = VQAReport(title: "ovseg demo: synthetic VQA set", runs: [("results/" + name, record)], listed: 8)
        try AtomicFile.createDirectory(report)
        try AtomicFile.writeAll([
            (report + "/report.md", Array(rendered.markdown.utf8)), (report + "/report.html", Array(rendered.html.utf8)),
        ])
        print("wrote the VQA report to \(report)/report.md and report.html")
    }

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

extension Demo {
    /// Marks a folder as the demo's own, so a later run may overwrite it.
    static let marker = ".ovseg-demo"

    /// Refuses a folder that holds something other than an earlier demo: the demo writes `gt/`,
    /// `images/`, `predictions/`, `results/`, `report/` and `suite/`, and must never overwrite a user's data.
    static func claim(_ root: String) throws {
        let manager = FileManager.default
        let contents = (try? manager.contentsOfDirectory(atPath: root)) ?? []
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: root, isDirectory: &isFolder), !isFolder.boolValue {
            throw HarnessError(.input, file: root, "\(root) is a file; --out takes a new or empty folder")
        }
        if !contents.isEmpty, !contents.contains(marker) {
            throw HarnessError(.input, file: root,
                "\(root) already holds files and is not an earlier demo's folder; the demo writes gt/, images/, "
                    + "predictions/, referring/, scene/, results/, report/, suite/ and vqa/ there, so give it a new or empty folder")
        }
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
        try AtomicFile.write(text: "written by ovseg demo; a later `ovseg demo --out` may overwrite this folder\n",
                             to: (root as NSString).appendingPathComponent(marker))
    }
}
