import ArgumentParser
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
    try ResultsFile.write(record, to: output)
    if !quiet {
        print(TerminalSummary.render(record), terminator: "")
        print("wrote \(output)")
    }
    for warning in record.warnings { Terminal.warning(warning) }
}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a folder of predicted label maps against ground truth.",
        discussion: """
            Files are matched by their path relative to each folder, without extension. Gray and palette \
            PNGs hold class ids; RGB PNGs hold the vocabulary's colours (--label-format reads ground truth \
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
            """)

    @OptionGroup var options: ScoringOptions
    @OptionGroup var files: PredictionFileOptions

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
                groundTruthDirectory: gt, predictionDirectory: pred, options: try options.scoreOptions(method: name, files: files),
                progress: options.progress)
            try writeResults(record, to: output, quiet: quiet)
        }
    }
}

