import ArgumentParser
import Foundation
import Harness
import Metrics
import Reports
import Vocabulary

/// Options shared by commands that score label maps.
struct ScoringOptions: ParsableArguments {
    @Option(help: "Vocabulary: a bundled key (see `ovseg vocab list`) or a path to a vocabulary JSON file.")
    var vocab: String

    @Option(help: "Seen/unseen split of the vocabulary to report (default: the vocabulary's first split).")
    var split: String?

    @Flag(help: "Report no seen/unseen split, only the overall metrics.")
    var noSplit = false

    @Option(parsing: .upToNextOption, help: "With --unseen: a split for this run, the seen classes by name or synonym (quote names with spaces).")
    var seen: [String] = []

    @Option(parsing: .upToNextOption, help: "With --seen: the unseen classes of this run's split.")
    var unseen: [String] = []

    @Option(help: "A split for this run from a JSON file (name, seen, unseen, optional source; see docs/split-files.md).")
    var splitFile: String?

    @Option(help: "Presence policy for means: union-present (mmseg, default), gt-present (detectron2 main, CAT-Seg) or all-zero (ZS3).")
    var policy: PresencePolicy = .unionPresent

    @Option(name: .customLong("out-of-range-gt"), help: "Ground-truth values that are neither a class nor ignored: error (default), ignore, or mmseg-compatible.")
    var outOfRangeGroundTruth: OutOfRangeGroundTruth = .error

    @Option(help: "Predicted values that are not a class: error (default) or void (counted as a miss; more than 1 % voided is warned about).")
    var outOfRangePrediction: OutOfRangePrediction = .error

    @Flag(help: "Read gray and palette predictions as mmseg's reduce_zero_label output (ids + 1, as mmseg 1.x's format_only writes for LoveDA, Potsdam, Vaihingen): value v is class v − 1, 0 and 255 are no class.")
    var predReduceZeroLabel = false

    @Option(help: "Read gray and palette predictions as class ids + N: value v is class v − N, values below N are no class.")
    var predOffset: Int?

    @Option(help: "Suffix removed from ground-truth file names before matching (e.g. _instance_color_RGB).")
    var gtSuffix: String = ""

    @Option(help: "Suffix removed from prediction file names before matching.")
    var predSuffix: String = ""

    @Flag(help: "Score the images that have predictions and count the ones that do not, instead of failing.")
    var skipMissing = false

    @Flag(help: "Ignore prediction files without ground truth instead of failing.")
    var skipExtra = false

    @Flag(help: "Skip and count image pairs of different sizes instead of failing.")
    var skipSizeMismatch = false

    @Option(name: .customLong("jobs"), help: "Worker threads (default: all cores).")
    var jobsOption: Int?

    var jobs: Int { jobsOption ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: "Evaluate only shard k of N (k/N), chosen by a stable hash of each image id.")
    var shard: String?

    @Flag(help: "Never draw a progress bar.")
    var noProgress = false

    /// The prediction encoding the options name (class ids when neither is given).
    func predictionEncoding() throws -> PredictionEncoding {
        if let predOffset {
            guard !predReduceZeroLabel else {
                throw ValidationError("--pred-reduce-zero-label and --pred-offset are two ways to say the same thing: give one")
            }
            guard (0...65_535).contains(predOffset) else {
                throw ValidationError("--pred-offset must lie between 0 and 65535, not \(predOffset)")
            }
            return .offset(predOffset)
        }
        return predReduceZeroLabel ? .reduceZeroLabel : .classIDs
    }

    func scoreOptions(method: String) throws -> ScoreOptions {
        let vocabulary = try Vocabulary.resolve(vocab)
        let selection = try SplitSelection(split: split, noSplit: noSplit, seen: seen, unseen: unseen, splitFile: splitFile)
        let chosenSplit = try selection.split(for: vocabulary)
        return ScoreOptions(
            vocabulary: vocabulary, split: chosenSplit, presence: policy,
            outOfRangeGroundTruth: outOfRangeGroundTruth, outOfRangePrediction: outOfRangePrediction,
            predictionEncoding: try predictionEncoding(),
            pairing: PairingOptions(
                groundTruthSuffix: gtSuffix, predictionSuffix: predSuffix,
                skipMissingPredictions: skipMissing, skipExtraPredictions: skipExtra),
            skipSizeMismatches: skipSizeMismatch, jobs: jobs,
            shard: try shard.map { try Shard(parsing: $0) }, method: method)
    }

    var progress: (any ScoringProgress)? {
        Terminal.progress(label: "scoring", enabled: !noProgress)
    }
}

/// Writes a run's results file and, unless quiet, prints its per-class table and the path;
/// the run's warnings go to stderr even when quiet (they say the numbers may be wrong).
func writeResults(_ record: RunRecord, to output: String, quiet: Bool) throws {
    try ResultsFile.write(record, to: output)
    if !quiet {
        print(TerminalSummary.render(record), terminator: "")
        print("wrote \(output)")
    }
    for warning in record.warnings { Terminal.warning(warning) }
}

extension PresencePolicy: ExpressibleByArgument {}
extension OutOfRangeGroundTruth: ExpressibleByArgument {}
extension OutOfRangePrediction: ExpressibleByArgument {}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a folder of predicted label maps against ground truth.",
        discussion: """
            Files are matched by their path relative to each folder, without extension. Gray and palette \
            PNGs hold class ids; RGB PNGs hold the vocabulary's colours. Writes a results file \
            (schema ovseg-results/1) atomically and prints a per-class table.

            Examples:
              ovseg score --vocab potsdam --gt gt --pred exp1/pred -o exp1.ovseg.json
              ovseg score --vocab loveda --gt gt --pred pred --pred-reduce-zero-label \\
                  -o run.ovseg.json
              ovseg score --vocab potsdam --gt gt --pred pred --shard 2/8 -o s2.ovseg.json
              ovseg score --vocab potsdam --gt gt --pred pred --split-file my-split.json \\
                  -o run.ovseg.json
            """)

    @OptionGroup var options: ScoringOptions

    @Option(help: "Folder of ground-truth label maps (PNG).")
    var gt: String

    @Option(help: "Folder of predicted label maps (PNG).")
    var pred: String

    @Option(help: "Method name recorded in the results file (default: the prediction folder's name).")
    var method: String?

    @Option(name: .shortAndLong, help: "Results file to write (*.ovseg.json).")
    var output: String

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    func run() throws {
        try runReportingErrors {
            let name = method ?? URL(fileURLWithPath: pred).standardizedFileURL.lastPathComponent
            let record = try Scorer.score(
                groundTruthDirectory: gt, predictionDirectory: pred, options: try options.scoreOptions(method: name),
                progress: options.progress)
            try writeResults(record, to: output, quiet: quiet)
        }
    }
}

