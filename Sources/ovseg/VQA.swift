import ArgumentParser
import FileOutput
import Foundation
import JSON
import Metrics
import VQAScoring

/// `ovseg vqa`: visual question answering scoring for RSVQA-style data (docs/vqa.md).
struct VQACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vqa",
        abstract: "Score visual question answering (RSVQA-style): normalised exact match per question type.",
        subcommands: [VQAScoreCommand.self])
}

struct VQAScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score predicted answers against reference answers and write a results file.",
        discussion: """
            Ground truth (--gt): RSVQA's release (a *_questions.json with --answers *_answers.json and \
            optionally --images *_images.json to keep a split's active images), the simple form \
            {"questions": [{"id", "image", "type", "question", "answer"}]}, or CSV id,type,answer. \
            Predictions (--pred): CSV id,answer, JSON {"id": "answer"} or {"answers": [{"id", "answer"}]}. \
            Answers are normalised (case, whitespace, a trailing ?/./!, number words, areas in m2) and \
            counts and areas bucketed as RSVQA does; accuracy per question type, overall accuracy \
            (correct / all) and average accuracy (mean over types). RSVQA-LR buckets counts \
            (--count-buckets rsvqa); RSVQA-HR compares counts exactly (the default). Writes a results \
            file (schema ovseg-vqa-results/1) atomically. See docs/vqa.md.

            Examples:
              ovseg vqa score --gt LR_split_test_questions.json --answers LR_split_test_answers.json \\
                  --images LR_split_test_images.json --count-buckets rsvqa --pred answers.csv -o run.ovseg.json
              ovseg vqa score --gt questions.csv --pred answers.json -o run.ovseg.json
            """)

    @Option(help: "Ground truth: an RSVQA questions file (with --answers), the simple JSON form or a CSV id,type,answer.")
    var gt: String

    @Option(help: "With an RSVQA questions file: its answers file.")
    var answers: String?

    @Option(help: "With an RSVQA questions file: its images file; only questions of its active images are scored.")
    var images: String?

    @Option(help: "Predicted answers: CSV id,answer or JSON {\"id\": \"answer\"} / {\"answers\": [{\"id\", \"answer\"}]}.")
    var pred: String

    @Option(help: "Method name recorded in the results file (default: the predictions' file name).")
    var method: String?

    @Option(name: .shortAndLong, help: "Results file to write (*.ovseg.json).")
    var output: String

    @Option(help: "Buckets for answers to count questions: none (exact counts, RSVQA-HR), rsvqa (0, ≤10, ≤100, ≤1000, more; RSVQA-LR) or edges such as 10,100,1000.")
    var countBuckets: String = "none"

    @Option(help: "Buckets for areas (<n>m2): rsvqa (0m2, ≤10, ≤100, ≤1000, more), none (exact m2) or edges.")
    var areaBuckets: String = "rsvqa"

    @Flag(help: "Count a question without a prediction as wrong (and list it) instead of failing.")
    var missingAsWrong = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try runReportingErrors {
            let normalizer = AnswerNormalizer(
                countBuckets: try BucketEdges.parse(countBuckets, option: "--count-buckets"),
                areaBuckets: try BucketEdges.parse(areaBuckets, option: "--area-buckets"))
            let inputs = [gt, pred] + [answers, images].compactMap { $0 }
            try OutputGuard.check(output: output, role: "results file", inputs: inputs.map { .init($0, role: "an input (\($0))") })
            let groundTruth = try VQAGroundTruth.read(path: gt, answers: answers, images: images)
            let predictions = try VQAPredictions.read(path: pred)
            let name = method ?? ((URL(fileURLWithPath: pred).lastPathComponent as NSString).deletingPathExtension)
            let record: VQARunRecord
            do {
                record = try VQAScorer.score(
                    groundTruth: groundTruth, predictions: predictions,
                    policy: VQAPolicy(normalizer: normalizer, missingAsWrong: missingAsWrong), method: name)
            } catch let error as VQAError where error.kind == .missingPrediction {
                throw VQAError(.missingPrediction, error.description + " (--missing-as-wrong counts them as wrong answers)")
            }
            try VQAResultsFile.write(record, to: output)
            if !record.missingPredictions.isEmpty {
                Terminal.warning("ovseg: warning: \(record.missingPredictions.count) of \(record.questions.count) questions had no "
                    + "prediction and were counted as wrong (--missing-as-wrong); they are listed in the results file")
            }
            if !quiet {
                print(VQASummary.render(record), terminator: "")
                print("wrote \(output)")
            }
        }
    }
}

/// The terminal summary of a VQA run: accuracy per type, overall and average.
enum VQASummary {
    static func render(_ record: VQARunRecord) -> String {
        let scores = record.scores
        let width = max(16, (scores.types.map(\.type.count).max() ?? 0) + 2)
        func row(_ name: String, _ count: Int, _ correct: Int, _ accuracy: Double?) -> String {
            name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%9d %9d ", count, correct)
                + Percent.format(accuracy).leftPaddedVQA(8)
        }
        var lines = ["".padding(toLength: width, withPad: " ", startingAt: 0) + "questions   correct accuracy"]
        for item in scores.types { lines.append(row(item.type, item.questions, item.correct, item.accuracy)) }
        lines.append(row("overall (OA)", scores.questions, scores.correct, scores.overallAccuracy))
        lines.append("".padding(toLength: width, withPad: " ", startingAt: 0) + String(repeating: " ", count: 20)
            + Percent.format(scores.averageAccuracy).leftPaddedVQA(8) + "  average (AA, mean over \(scores.types.count) types)")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func leftPaddedVQA(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// True when `path` holds a VQA results file (docs/vqa.md §5); false for anything else, including
/// unreadable files, which the semantic reader then reports.
func isVQAResultsFile(_ path: String) -> Bool {
    guard let document = try? JSONCodec.read(path: path) else { return false }
    return VQAResultsFile.isVQA(document)
}
