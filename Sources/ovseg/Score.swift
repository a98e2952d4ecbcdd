import ArgumentParser
import FileOutput
import Foundation
import Harness
import Metrics
import Reports
import Vocabulary

/// The options of every command that scores label maps into a new run (`score`, `eval`):
/// vocabulary and split, counting policy, file-name suffixes, execution. Reading prediction files
/// made elsewhere (`PredictionFileOptions`) is `score`'s alone.
struct ScoringOptions: ParsableArguments {
    @OptionGroup var vocabulary: VocabularyOption
    @OptionGroup var splits: SplitOptions
    @OptionGroup var encoding: EncodingOptions
    @OptionGroup var format: LabelFormatOption
    @OptionGroup var counting: PolicyOptions
    @OptionGroup var suffixes: SuffixOptions
    @OptionGroup var execution: ExecutionOptions

    var jobs: Int { execution.jobs }

    /// The scoring options, with prediction files read as `files` says (class ids, nothing skipped
    /// when nil).
    func scoreOptions(method: String, files: PredictionFileOptions? = nil) throws -> ScoreOptions {
        let vocabulary = try self.vocabulary.resolve()
        let chosen = try splits.chosenSplit(for: vocabulary)
        return ScoreOptions(
            vocabulary: vocabulary, split: chosen.split, presence: counting.policy,
            outOfRangeGroundTruth: counting.outOfRangeGroundTruth, outOfRangePrediction: counting.outOfRangePrediction,
            predictionEncoding: try files?.predictionEncoding() ?? .classIDs,
            pairing: suffixes.pairing(skipMissing: files?.skipMissing ?? false, skipExtra: files?.skipExtra ?? false),
            skipSizeMismatches: files?.skipSizeMismatch ?? false, jobs: jobs,
            shard: try execution.parsedShard(), method: method, splitOrigin: chosen.origin,
            encoding: try encoding.encoding(for: vocabulary, labelFormat: format.labelFormat))
    }

    var progress: (any ScoringProgress)? {
        Terminal.progress(label: "scoring", enabled: !execution.noProgress)
    }
}

/// Writes a run's results file and, unless quiet, prints its per-class table and the path;
/// the run's warnings go to stderr even when quiet (they say the numbers may be wrong).
func writeResults(_ record: RunRecord, to output: String, quiet: Bool) throws {
    // A layout's or pairs file's root holds more than labels (results are often written beside a
    // pairs file), so only plain ground-truth and prediction folders are protected as a whole.
    if record.dataset.origin == nil {
        try OutputGuard.check(output: output, role: "results file", inputs: [
            .init(record.dataset.groundTruthDirectory, role: "the ground-truth folder"),
            .init(record.dataset.predictionDirectory, role: "the prediction folder"),
        ].filter { !$0.path.isEmpty })
    }
    try ResultsFile.write(record, to: output)
    if !quiet {
        print(TerminalSummary.render(record), terminator: "")
        print("wrote \(output)")
    }
    for warning in record.warnings { Terminal.warning(warning) }
    if !quiet {
        for observation in record.observations { Terminal.note("ovseg: note: " + observation) }
    }
}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a folder of predicted label maps against ground truth.",
        discussion: """
            Files are matched by their path relative to each folder, without extension (png, tif, tiff, \
            jpg, jpeg: a JPEG label is listed, so it is an error rather than a skipped image). Gray and palette \
            files hold class ids; RGB files hold the vocabulary's colours (--label-format reads ground truth \
            otherwise; --reduce-zero-label, --ignore and --ignore-color replace the vocabulary's encoding \
            for the run, and the results file records it). Writes a results file \
            (schema ovseg-results/1) atomically and prints a per-class table.

            Examples:
              ovseg score --vocab potsdam --gt gt --pred exp1/pred -o exp1.ovseg.json
              ovseg score --vocab loveda --gt gt --pred pred --pred-reduce-zero-label \\
                  -o run.ovseg.json
              ovseg score --vocab loveda --gt gt-ids --pred pred --reduce-zero-label no \\
                  -o run.ovseg.json
              ovseg score --vocab potsdam --gt gt --pred pred --shard 2/8 -o s2.ovseg.json
              ovseg score --vocab potsdam --gt gt --pred pred --split-file my-split.json \\
                  -o run.ovseg.json
              ovseg score --vocab vaihingen --data Vaihingen --layout official --subset val \\
                  --eroded-boundary --pred pred -o run.ovseg.json
              ovseg score --vocab potsdam --pairs pairs.csv -o run.ovseg.json

            With --data DIR --layout NAME, the ground truth is found as the vocabulary's release \
            layout lays it out (--subset, --eroded-boundary choose tiles and labels); with --pairs \
            FILE, a CSV lists the files. See docs/dataset-layouts.md.
            """)

    @OptionGroup var options: ScoringOptions
    @OptionGroup var files: PredictionFileOptions
    @OptionGroup var listing: DatasetLayoutOptions

    @Option(help: "Folder of ground-truth label maps (png, tif, tiff).")
    var gt: String?

    @Option(help: "With --layout: the folder the dataset release is unpacked in (without --layout: a folder with gt/).")
    var data: String?

    @Option(help: "Folder of predicted label maps (png, tif, tiff); with --layout or --pairs, named by image id or by the label or image file's name.")
    var pred: String?

    @Option(help: "Method name recorded in the results file (default: the prediction folder's name).")
    var method: String?

    @Option(name: .shortAndLong, help: "Results file to write (*.ovseg.json).")
    var output: String

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    func run() throws {
        try runReportingErrors {
            try listing.validate(data: data, gt: gt)
            if listing.listsFiles && !options.suffixes.gtSuffix.isEmpty {
                throw ValidationError("--gt-suffix does not apply with --layout or --pairs: they name the label files themselves")
            }
            let folderName = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent }
            if listing.listsFiles {
                let defaultName = pred.map(folderName)
                    ?? listing.pairs.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "predictions"
                if listing.layout != nil && pred == nil {
                    throw ValidationError("--layout lists the ground truth: give the predictions with --pred DIR")
                }
                let scoring = try options.scoreOptions(method: method ?? defaultName, files: files)
                guard let dataset = try listing.listed(
                    vocabulary: scoring.vocabulary, data: data, needsImages: false, needsPredictions: pred == nil)
                else { throw ValidationError("--layout NAME needs --data DIR, the folder the release is unpacked in") }
                let record = try Scorer.score(
                    dataset: dataset, predictionDirectory: pred, options: scoring, progress: options.progress)
                try writeResults(record, to: output, quiet: quiet)
                return
            }
            guard let pred else { throw ValidationError("give the predictions with --pred DIR") }
            let groundTruth = try GroundTruthSource(gt: gt, data: data).groundTruthDirectory
            let record = try Scorer.score(
                groundTruthDirectory: groundTruth, predictionDirectory: pred,
                options: try options.scoreOptions(method: method ?? folderName(pred), files: files),
                progress: options.progress)
            try writeResults(record, to: output, quiet: quiet)
        }
    }
}

