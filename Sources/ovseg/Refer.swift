import ArgumentParser
import FileOutput
import Foundation
import Harness
import JSON
import Metrics
import Referring

/// `ovseg refer`: referring and instance mask scoring (docs/referring.md).
struct Refer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score referring-segmentation masks (one mask per text instruction): cIoU, gIoU, Prec@τ.",
        subcommands: [ReferScore.self])
}

struct ReferScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score predicted masks against referring annotations and write a results file.",
        discussion: """
            Ground truth (--gt): {"samples": [{"id", "image_id", "text", "class", "height", "width", \
            "segmentation"}]} with COCO RLE (compressed or uncompressed) or polygon masks; or RefCOCO-style \
            refs (the JSON conversion of refer's refs(unc).p) with --instances, the COCO instances file. \
            Predictions (--pred): {"samples": [{"id", "segmentation"}]} or a folder of PNG masks <id>.png \
            (non-zero = mask). Writes a results file (schema ovseg-refer-results/1) atomically. \
            See docs/referring.md.

            Examples:
              ovseg refer score --gt ann.json --pred pred.json -o run.ovseg.json
              ovseg refer score --gt refs.json --instances instances.json --refer-split testA \\
                  --pred masks/ -o run.ovseg.json
              ovseg refer score --gt ann.json --pred masks/ --shard 2/8 -o shard2.ovseg.json
              ovseg merge shard*.ovseg.json -o run.ovseg.json
            """)

    @Option(help: "Annotations JSON (the samples form, or RefCOCO-style refs with --instances).")
    var gt: String

    @Option(help: "With RefCOCO-style refs: the COCO instances file holding the masks.")
    var instances: String?

    @Option(name: .customLong("refer-split"), help: "With --instances: score only refs of this split (e.g. val, testA).")
    var referSplit: String?

    @Option(help: "Predictions: a JSON file of {\"samples\": [{\"id\", \"segmentation\"}]} or a folder of <id>.png masks.")
    var pred: String

    @Option(help: "Method name recorded in the results file (default: the predictions' file or folder name).")
    var method: String?

    @Option(name: .shortAndLong, help: "Results file to write (*.ovseg.json).")
    var output: String

    @Flag(help: "Count a sample without a prediction as an empty prediction (and list it) instead of failing.")
    var missingAsEmpty = false

    @Option(help: "Target-area thresholds SMALL,MEDIUM in pixels for the size buckets (default 144,1024).")
    var sizeThresholds: String = "144,1024"

    @Option(help: "Precision@τ thresholds as fractions, comma-separated (default 0.5,0.6,0.7,0.8,0.9).")
    var precisionThresholds: String = "0.5,0.6,0.7,0.8,0.9"

    @Option(help: "Score only the samples of shard K of N (e.g. 3/8; ids are assigned by hash, as for ovseg score); merge the files with ovseg merge.")
    var shard: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try runReportingErrors {
            if referSplit != nil && instances == nil {
                throw ValidationError("--refer-split applies to RefCOCO-style refs: give the COCO instances file with --instances")
            }
            let buckets = try SizeBuckets(parsing: sizeThresholds)
            let part = try shard.map { try Shard(parsing: $0) }
            let thresholds = try Self.parseThresholds(precisionThresholds)
            let annotations = try instances.map { instances in
                try ReferringAnnotations.readRefCOCO(refs: gt, instances: instances, split: referSplit)
            } ?? ReferringAnnotations.read(path: gt)
            let source = ReferringPredictionSource(path: pred)
            try OutputGuard.check(output: output, role: "results file", inputs: ([gt, pred] + (instances.map { [$0] } ?? [])).map {
                .init($0, role: "an input (\($0))")
            })
            let name = method ?? ((URL(fileURLWithPath: pred).standardizedFileURL.lastPathComponent as NSString).deletingPathExtension)
            let record: ReferringRunRecord
            do {
                record = try ReferringScorer.score(
                    annotations: annotations, predictions: source,
                    options: ReferringScoreOptions(
                        method: name, precisionThresholds: thresholds, sizeBuckets: buckets, missingAsEmpty: missingAsEmpty,
                        shard: part))
            } catch let error as ReferringError where error.kind == .missingPrediction {
                throw ReferringError(.missingPrediction,
                    error.description + " (--missing-as-empty counts missing predictions as empty masks)")
            }
            try ReferringResultsFile.write(record, to: output)
            if !record.missingPredictions.isEmpty {
                Terminal.warning("ovseg: warning: \(record.missingPredictions.count) of \(record.samples.count) samples had no "
                    + "prediction and were counted as empty masks (--missing-as-empty); they are listed in the results file")
            }
            if !quiet {
                print(ReferringSummary.render(record), terminator: "")
                print("wrote \(output)")
            }
        }
    }

    static func parseThresholds(_ text: String) throws -> [Int] {
        var result: [Int] = []
        for part in text.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let value = Double(trimmed), value > 0, value <= 1,
                abs(value * 100 - (value * 100).rounded()) < 1e-9
            else {
                throw ValidationError(
                    "--precision-thresholds: \"\(trimmed)\" is not a fraction in (0, 1] with at most two decimals (e.g. 0.5)")
            }
            result.append(Int((value * 100).rounded()))
        }
        guard !result.isEmpty else { throw ValidationError("--precision-thresholds is empty") }
        return result
    }
}

/// The terminal summary of a referring run: overall figures, per class and per size bucket.
enum ReferringSummary {
    static func render(_ record: ReferringRunRecord) -> String {
        let overall = record.scores
        var lines: [String] = []
        let precisionHeader = overall.precision.map { "P@\($0.label)" }
        func row(_ name: String, _ scores: ReferringScores) -> String {
            let cells = [name.padding(toLength: 16, withPad: " ", startingAt: 0), String(format: "%7d", scores.samples),
                         Percent.format(scores.ciou).leftPadded(7), Percent.format(scores.giou).leftPadded(7)]
                + scores.precision.map { Percent.format($0.value).leftPadded(7) }
            return cells.joined(separator: " ")
        }
        lines.append(["".padding(toLength: 16, withPad: " ", startingAt: 0), "samples".leftPadded(7), "cIoU".leftPadded(7),
                      "gIoU".leftPadded(7)].joined(separator: " ") + " " + precisionHeader.map { $0.leftPadded(7) }.joined(separator: " "))
        lines.append(row("all", overall))
        for item in record.classScores { lines.append(row(item.name, item.scores)) }
        for item in record.sizeScores { lines.append(row("[\(item.bucket)]", item.scores)) }
        if overall.emptyTargets > 0 {
            lines.append("empty targets: \(overall.emptyTargets), predicted empty: \(overall.emptyTargetsPredictedEmpty)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// True when `path` holds a referring results file (docs/referring.md §6); false for anything
/// else, including unreadable files, which the semantic reader then reports.
func isReferringResultsFile(_ path: String) -> Bool {
    guard let document = try? JSONCodec.read(path: path) else { return false }
    return ReferringResultsFile.isReferring(document)
}
