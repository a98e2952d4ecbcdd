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
            and single-class predictions. Ends with a verdict and the `ovseg score` options to use. \
            Exit status: 0 consistent, 1 likely misconfiguration, 2 error.

            Examples:
              ovseg inspect --vocab potsdam --gt gt
              ovseg inspect --vocab loveda --gt gt --pred mmseg_out
              ovseg inspect --vocab potsdam --data demo --json
            """)

    @Option(help: "Vocabulary: a bundled key (see `ovseg vocab list`) or a path to a vocabulary JSON file.")
    var vocab: String

    @Option(help: "Folder of ground-truth label maps (PNG).")
    var gt: String?

    @Option(help: "Dataset folder with images/ and gt/, as given to `ovseg eval --data` (its gt/ is inspected).")
    var data: String?

    @Option(help: "Folder of predicted label maps (PNG), compared with the ground truth.")
    var pred: String?

    @Option(help: "Suffix removed from ground-truth file names before matching.")
    var gtSuffix: String = ""

    @Option(help: "Suffix removed from prediction file names before matching.")
    var predSuffix: String = ""

    @Option(name: .customLong("jobs"), help: "Worker threads (default: all cores).")
    var jobs: Int?

    @Flag(help: "Print the report as JSON (schema ovseg-inspect/1) instead of text.")
    var json = false

    func run() throws {
        var consistent = true
        try runReportingErrors {
            let groundTruth: String
            switch (gt, data) {
            case (let gt?, nil): groundTruth = gt
            case (nil, let data?): groundTruth = EvaluationDataset(root: data).groundTruthDirectory
            default: throw HarnessError("give exactly one of --gt DIR (a ground-truth folder) or --data DIR (images/ and gt/)")
            }
            let report = try Inspector.inspect(
                vocabulary: try Vocabulary.resolve(vocab), groundTruthDirectory: groundTruth, predictionDirectory: pred,
                pairing: PairingOptions(groundTruthSuffix: gtSuffix, predictionSuffix: predSuffix),
                jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            print(json ? JSONCodec.serialize(report.json) : report.text, terminator: json ? "\n" : "")
            consistent = report.isConsistent
        }
        if !consistent { throw ExitCode(1) }
    }
}
