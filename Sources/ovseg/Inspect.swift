import ArgumentParser
import Foundation
import Harness
import Inspection
import JSON
import Vocabulary

/// `ovseg inspect`: what the label files hold and how to score them, before any number is made.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Diagnose how label files encode a vocabulary, before scoring them.",
        discussion: """
            Reads every file once and reports, per folder, the formats and bit depths found, the \
            value histogram (colours for RGB files), which encodings of the vocabulary fit it (ids, \
            reduce_zero_label, its colours, ignore values) and the files whose values fall outside. \
            With predictions it also looks for a constant shift against the ground truth (mmseg's ids \
            + 1), binary 0/255 masks, another vocabulary's ids or colours, classes never predicted \
            and single-class predictions. Ends with a verdict and the `ovseg score` options to use \
            (--reduce-zero-label when the ground truth fits the other reading; --reduce-zero-label, \
            --ignore and --ignore-color given here are inspected and repeated). \
            Exit status: 0 consistent, 1 likely misconfiguration, 2 error.

            Examples:
              ovseg inspect --vocab potsdam --gt gt
              ovseg inspect --vocab loveda --gt gt --pred mmseg_out
              ovseg inspect --vocab loveda --gt gt-ids --reduce-zero-label no
              ovseg inspect --vocab potsdam --data demo --json
            """)

    @OptionGroup var vocabulary: VocabularyOption

    @Option(help: "Folder of ground-truth label maps (PNG).")
    var gt: String?

    @Option(help: "Dataset folder with images/ and gt/, as given to `ovseg eval --data` (its gt/ is inspected).")
    var data: String?

    @Option(help: "Folder of predicted label maps (PNG), compared with the ground truth.")
    var pred: String?

    @OptionGroup var encoding: EncodingOptions

    @OptionGroup var suffixes: SuffixOptions

    @OptionGroup var workers: JobsOption

    @Flag(help: "Print the report as JSON (schema ovseg-inspect/1) instead of text.")
    var json = false

    func run() throws {
        var consistent = true
        try runReportingErrors {
            let groundTruth = try GroundTruthSource(gt: gt, data: data).groundTruthDirectory
            let report = try Inspector.inspect(
                vocabulary: try encoding.apply(to: vocabulary.resolve()), groundTruthDirectory: groundTruth,
                predictionDirectory: pred, pairing: suffixes.pairing(), jobs: workers.jobs,
                encodingArguments: encoding.arguments)
            print(json ? JSONCodec.serialize(report.json) : report.text, terminator: json ? "\n" : "")
            consistent = report.isConsistent
        }
        if !consistent { throw ExitCode(1) }
    }
}
