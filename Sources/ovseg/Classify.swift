import ArgumentParser
import FileOutput
import Foundation
import Harness
import JSON
import Metrics
import SceneClassification
import Vocabulary

/// `ovseg classify`: image-level scene classification (docs/scene-classification.md).
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Scene classification: score predictions (top-1/top-5 accuracy, per-class P/R/F1, confusion matrix) or classify images zero-shot with a CLIP checkpoint.",
        subcommands: [ClassifyScoreCommand.self, ClassifyRunCommand.self])
}

struct ClassifyScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score scene predictions against image labels and write a results file.",
        discussion: """
            Labels (--gt): CSV with the header image,label, or JSON {"image": "label", …}; a label is a class \
            name or synonym of the scene vocabulary (ignoring case) or a class id. Predictions (--pred): CSV \
            image,prediction; ranked CSV image,top1,top2,…; JSON {"image": "label"}, {"image": [ranked labels]} \
            or {"image": {"class": score, …}} (every class scored); or the interchange format \
            {"schema": "ovseg.scene-predictions", …} that `ovseg classify run` writes. Top-5 accuracy is \
            reported only when every prediction ranks at least min(5, K) classes. With a split (--split NAME \
            or --seen/--unseen), seen and unseen accuracy are over images whose true class is seen / unseen, \
            and H is their harmonic mean. Writes a results file (schema ovseg-scene-results/1) atomically. \
            See docs/scene-classification.md.

            Examples:
              ovseg classify score --vocab aid --gt labels.csv --pred predictions.csv -o run.ovseg.json
              ovseg classify score --vocab ucmerced --gt labels.json --pred scores.json -o run.ovseg.json \\
                  --seen agricultural,airplane,beach --unseen forest,river
            """)

    @Option(help: "Scene vocabulary: a bundled key (ucmerced, aid, nwpu-resisc45, whu-rs19, patternnet) or a file.")
    var vocab: String

    @Option(help: "Image labels: CSV image,label or JSON {\"image\": \"label\"}.")
    var gt: String

    @Option(help: "Predictions: CSV (image,prediction or image,top1,top2,…), JSON labels/ranked lists/scores, or ovseg.scene-predictions.")
    var pred: String

    @Option(name: .shortAndLong, help: "Results file to write (*.ovseg.json).")
    var output: String

    @Option(help: "A named seen/unseen split of the vocabulary.")
    var split: String?

    @Option(help: "Seen classes for a split given here, comma-separated (with --unseen).")
    var seen: String?

    @Option(help: "Unseen classes for a split given here, comma-separated (with --seen).")
    var unseen: String?

    @Option(help: "Method name recorded in the results file (default: the predictions' file name).")
    var method: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if split != nil && (seen != nil || unseen != nil) { throw ValidationError("give either --split or --seen/--unseen, not both") }
        if (seen == nil) != (unseen == nil) { throw ValidationError("--seen and --unseen go together") }
    }

    func run() throws {
        try runReportingErrors {
            let start = Date()
            let vocabulary = try SceneVocabulary.resolve(vocab)
            var classSplit: ClassSplit?
            if let split { classSplit = try vocabulary.split(named: split) }
            if let seen, let unseen {
                func names(_ text: String) -> [String] {
                    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
                classSplit = try vocabulary.split(seen: names(seen), unseen: names(unseen))
            }
            try OutputGuard.check(output: output, role: "results file", inputs: [
                .init(gt, role: "the labels (\(gt))"), .init(pred, role: "the predictions (\(pred))"),
            ])
            let labels = try SceneLabels.read(path: gt, vocabulary: vocabulary)
            let predictions = try ScenePredictions.read(path: pred, vocabulary: vocabulary)
            let name = method ?? ((URL(fileURLWithPath: pred).lastPathComponent as NSString).deletingPathExtension)
            let record = try SceneScorer.score(
                labels: labels, predictions: predictions, vocabulary: vocabulary, split: classSplit, method: name,
                command: Provenance.invocation, date: Provenance.now(), host: ProcessInfo.processInfo.hostName,
                seconds: Date().timeIntervalSince(start))
            try SceneResultsFile.write(record, to: output)
            if !quiet {
                print(SceneSummary.render(record), terminator: "")
                print("wrote \(output)")
            }
        }
    }
}

/// The terminal summary of a scene run.
enum SceneSummary {
    static func render(_ record: SceneRunRecord) -> String {
        let scores = record.scores
        var lines = ["\(record.method) on \(record.vocabularyName) [\(record.vocabularyKey)]: \(scores.images) images, \(record.classCount) classes"]
        lines.append("top-1 accuracy \(Percent.format(scores.accuracy))  top-5 "
            + (scores.top5.map { Percent.format($0) } ?? "— (predictions rank fewer than 5 classes)"))
        lines.append("macro P/R/F1 \(Percent.format(scores.macroPrecision)) / \(Percent.format(scores.macroRecall)) / \(Percent.format(scores.macroF1))"
            + "  weighted F1 \(Percent.format(scores.weightedF1))")
        if let split = record.split {
            lines.append("split \(split.name): seen \(Percent.format(scores.seenAccuracy))  unseen \(Percent.format(scores.unseenAccuracy))"
                + "  H \(Percent.format(scores.harmonicMean))")
        }
        let worst = scores.classes.enumerated().filter { $0.element.support > 0 }.sorted { ($0.element.recall ?? 0) < ($1.element.recall ?? 0) }.prefix(3)
        if !worst.isEmpty {
            lines.append("lowest recall: " + worst.map { "\(record.classNames[$0.offset]) \(Percent.format($0.element.recall))" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// True when `path` holds a scene-classification results file (docs/scene-classification.md §4).
func isSceneResultsFile(_ path: String) -> Bool {
    guard let document = try? JSONCodec.read(path: path) else { return false }
    return SceneResultsFile.isSceneClassification(document)
}
