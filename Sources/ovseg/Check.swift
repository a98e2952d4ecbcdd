import ArgumentParser
import Referring
import SceneClassification
import FileOutput
import Foundation
import Gate
import Harness
import Reports
import Vocabulary
import VQAScoring

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a run against a baseline; exit 1 on a regression.",
        discussion: """
            Three modes. By default, mIoU (all, seen, unseen), hIoU and every class's IoU may fall by the \
            --max-drop-* tolerances (unrounded, in percentage points). --exact requires identical confusion \
            matrices (deterministic paths: scoring, merging). --numeric-noise is for model runs (ovseg eval), whose \
            floating-point results may differ in the last bits between CPUs: it passes when the runs list the same \
            images with identical ground truth, every metric moved by at most --max-metric-change in either \
            direction, and the label agreement reaches --min-label-agreement. The agreement comes from the \
            per-image counts: a changed pixel moves at most one true positive and two true-or-false positives of \
            its image, so at least max(T, (T+F)/2) pixels changed where T and F sum |change| of the image's TP and \
            FP over the classes. That is a lower bound on the pixels that changed label (changes that cancel \
            within an image are invisible), so the agreement shown, 1 − N/M, is an upper bound.

            A metric whose two-decimal display (numpy rounding of percent) is unchanged is reported as \
            "unchanged at two decimals" with its unrounded change.

            Exit codes: 0 pass, 1 regression, 2 usage or input error (including runs whose vocabulary, split, \
            policy or dataset differ). When GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it.

            Examples:
              ovseg check --baseline baseline.ovseg.json run.ovseg.json
              ovseg check --exact --baseline base.ovseg.json run.ovseg.json --junit c.xml
              ovseg check --numeric-noise --baseline base.ovseg.json run.ovseg.json
              ovseg check --split-file my-split.json --baseline base.ovseg.json run.ovseg.json
            """)

    @Option(help: "The baseline results file.")
    var baseline: String

    @Argument(help: "The results file of the run to check.")
    var runFile: String

    @OptionGroup var resplit: ResplitOptions

    @Option(help: "Largest allowed drop of mIoU (all, seen, unseen), in percentage points (default 0.5).")
    var maxDropMiou: Double?

    @Option(help: "Largest allowed drop of hIoU, in percentage points (default 0.5).")
    var maxDropHiou: Double?

    @Option(help: "Largest allowed drop of any class's IoU, in percentage points (default 2.0).")
    var maxDropClass: Double?

    @Flag(help: "Require identical confusion matrices (for deterministic pipelines); names the first differing cell.")
    var exact = false

    @Flag(help: """
        Require equality up to numerical noise (model runs on another CPU): same images and ground truth, \
        label agreement and metric changes within the limits below.
        """)
    var numericNoise = false

    @Option(help: ArgumentHelp("""
        With --numeric-noise: smallest allowed label agreement, in percent of the pixels the per-image counts \
        cover (default 99.99); fails when more than (100 − percent) % of them provably changed label.
        """, valueName: "percent"))
    var minLabelAgreement: Double?

    @Option(help: ArgumentHelp("""
        With --numeric-noise: largest allowed change of mIoU (all, seen, unseen), hIoU and every class's IoU, \
        in percentage points, either direction (default 0.01).
        """, valueName: "points"))
    var maxMetricChange: Double?

    @Option(help: "Write JUnit XML (one test case per checked metric) to this file.")
    var junit: String?

    @Flag(help: "After a passing check, write the run as the new baseline (atomically).")
    var updateBaseline = false

    func validate() throws {
        for (name, value) in [
            ("--max-drop-miou", maxDropMiou), ("--max-drop-hiou", maxDropHiou), ("--max-drop-class", maxDropClass),
            ("--max-metric-change", maxMetricChange),
        ] {
            if let value, !(value >= 0 && value.isFinite) {
                throw ValidationError("\(name) must be a non-negative number of percentage points")
            }
        }
        if let minLabelAgreement, !(minLabelAgreement >= 0 && minLabelAgreement <= 100) {
            throw ValidationError("--min-label-agreement must be a percentage from 0 to 100")
        }
        if exact && numericNoise {
            throw ValidationError("--exact and --numeric-noise are different modes; give one")
        }
        if numericNoise {
            let drops = [("--max-drop-miou", maxDropMiou), ("--max-drop-hiou", maxDropHiou), ("--max-drop-class", maxDropClass)]
            if let (name, _) = drops.first(where: { $0.1 != nil }) {
                throw ValidationError("\(name) does not apply to --numeric-noise; use --max-metric-change")
            }
        } else {
            if minLabelAgreement != nil { throw ValidationError("--min-label-agreement needs --numeric-noise") }
            if maxMetricChange != nil { throw ValidationError("--max-metric-change needs --numeric-noise") }
        }
    }

    /// The thresholds and mode the options ask for, with the documented defaults.
    var thresholds: CheckThresholds {
        let mode: CheckMode
        if numericNoise {
            let defaults = NoiseLimits()
            mode = .numericNoise(NoiseLimits(
                minLabelAgreement: minLabelAgreement ?? defaults.minLabelAgreement,
                maxMetricChange: maxMetricChange ?? defaults.maxMetricChange))
        } else {
            mode = exact ? .exact : .tolerance
        }
        let defaults = CheckThresholds()
        return CheckThresholds(
            maxDropMIoU: maxDropMiou ?? defaults.maxDropMIoU, maxDropHIoU: maxDropHiou ?? defaults.maxDropHIoU,
            maxDropClass: maxDropClass ?? defaults.maxDropClass, mode: mode)
    }

    func run() throws {
        if isVQAResultsFile(baseline) || isVQAResultsFile(runFile) {
            try runVQA()
            return
        }
        if isSceneResultsFile(baseline) || isSceneResultsFile(runFile) {
            try runSceneClassification()
            return
        }
        if isReferringResultsFile(baseline) || isReferringResultsFile(runFile) {
            try runReferring()
            return
        }
        var result: CheckResult?
        try runReportingErrors {
            if let junit {
                try OutputGuard.check(output: junit, role: "JUnit file", inputs: [
                    .init(baseline, role: "the baseline"), .init(runFile, role: "the run's results file"),
                ])
            }
            let outcome: CheckResult
            let current: RunRecord
            do {
                var base = try ResultsFile.read(path: baseline)
                let stored = try ResultsFile.read(path: runFile)
                let selection = try resplit.selection()
                current = try selection.map { try stored.resplit($0) } ?? stored
                if let selection { base = try base.resplit(selection) }
                outcome = try RegressionCheck.compare(baseline: base, run: current, thresholds: thresholds)
            } catch {
                // Exit 2 below; the CI summaries still say why, since that is when they are read.
                let unavailable = CheckUnavailable(baseline: baseline, run: runFile, reason: OptionHints.message(for: error))
                if let junit { try? AtomicFile.write(text: unavailable.junitXML(), to: junit) }
                if let summary = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty {
                    try? appendSummary(unavailable.markdown(), to: summary)
                }
                throw error
            }
            print(outcome.text(), terminator: "")
            if let junit { try AtomicFile.write(text: outcome.junitXML(), to: junit) }
            if let summary = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty {
                try appendSummary(outcome.markdown(), to: summary)
            }
            if updateBaseline && outcome.passed {
                try ResultsFile.write(current, to: baseline)
                print("updated baseline \(baseline)")
            }
            result = outcome
        }
        if result?.passed == false { throw ExitCode(1) }
    }

    /// What a non-semantic run kind (referring, VQA, scene classification) gives the shared gate:
    /// how to recognise its files, and how to compare a baseline with a run of that kind.
    private struct TaskGate {
        /// The kind as messages name it ("referring", "VQA", "scene-classification").
        let kind: String
        let isResultsFile: (String) -> Bool
        /// Why --max-drop-hiou does not apply to this kind.
        let hiouNote: String
        /// Reads both files and compares them with --max-drop-miou, --max-drop-class and --exact;
        /// `rewrite` writes the run over the baseline (--update-baseline).
        let compare: (_ baseline: String, _ run: String, _ maxDrop: Double, _ maxDropClass: Double, _ exact: Bool) throws
            -> (text: String, junitXML: String, passed: Bool, rewrite: () throws -> Void)
    }

    /// The gate for referring runs (docs/referring.md §9): --max-drop-miou bounds cIoU, gIoU and
    /// each Prec@τ, --max-drop-class each class's gIoU, --exact compares per-sample counts.
    private func runReferring() throws {
        try runTaskGate(TaskGate(kind: "referring", isResultsFile: isReferringResultsFile, hiouNote: "referring runs have no hIoU") {
            baseline, run, maxDrop, maxDropClass, exact in
            let base = try ReferringResultsFile.read(path: baseline), current = try ReferringResultsFile.read(path: run)
            let outcome = try ReferringCheck.compare(baseline: base, run: current, maxDrop: maxDrop, maxDropClass: maxDropClass, exact: exact)
            return (outcome.text(), outcome.junitXML(), outcome.passed, { try ReferringResultsFile.write(current, to: baseline) })
        })
    }

    /// The gate for VQA runs (docs/vqa.md §7): --max-drop-miou bounds overall and average accuracy,
    /// --max-drop-class each question type's accuracy, --exact compares every normalised answer.
    private func runVQA() throws {
        try runTaskGate(TaskGate(kind: "VQA", isResultsFile: isVQAResultsFile, hiouNote: "VQA runs have no hIoU") {
            baseline, run, maxDrop, maxDropClass, exact in
            let base = try VQAResultsFile.read(path: baseline), current = try VQAResultsFile.read(path: run)
            let outcome = try VQACheck.compare(baseline: base, run: current, maxDrop: maxDrop, maxDropType: maxDropClass, exact: exact)
            return (outcome.text(), outcome.junitXML(), outcome.passed, { try VQAResultsFile.write(current, to: baseline) })
        })
    }

    /// The gate for scene-classification runs (docs/scene-classification.md §5): --max-drop-miou bounds
    /// top-1, top-5, macro F1 (and seen/unseen/H), --max-drop-class each class's recall, --exact the confusion matrix.
    private func runSceneClassification() throws {
        try runTaskGate(TaskGate(
            kind: "scene-classification", isResultsFile: isSceneResultsFile,
            hiouNote: "a scene run's harmonic mean is bounded by --max-drop-miou"
        ) { baseline, run, maxDrop, maxDropClass, exact in
            let base = try SceneResultsFile.read(path: baseline), current = try SceneResultsFile.read(path: run)
            let outcome = try SceneClassificationCheck.compare(
                baseline: base, run: current, maxDrop: maxDrop, maxDropClass: maxDropClass, exact: exact)
            return (outcome.text(), outcome.junitXML(), outcome.passed, { try SceneResultsFile.write(current, to: baseline) })
        })
    }

    /// The options every non-semantic gate shares: semantic-only options refused, the JUnit file
    /// guarded, the comparison printed, the baseline updated on a pass; exit 1 on a regression.
    private func runTaskGate(_ gate: TaskGate) throws {
        var passed = true
        try runReportingErrors {
            guard gate.isResultsFile(baseline), gate.isResultsFile(runFile) else {
                throw ValidationError("one of \(baseline) and \(runFile) is a \(gate.kind) run and the other is not; they cannot be compared")
            }
            if numericNoise { throw ValidationError("--numeric-noise applies to semantic runs; \(gate.kind) runs are checked with tolerances or --exact") }
            if maxDropHiou != nil { throw ValidationError("--max-drop-hiou applies to semantic runs with a split; \(gate.hiouNote)") }
            if try resplit.selection() != nil { throw ValidationError("--split and its variants apply to semantic runs, not \(gate.kind) runs") }
            if let junit {
                try OutputGuard.check(output: junit, role: "JUnit file", inputs: [
                    .init(baseline, role: "the baseline"), .init(runFile, role: "the run's results file"),
                ])
            }
            let defaults = CheckThresholds()
            let outcome = try gate.compare(
                baseline, runFile, maxDropMiou ?? defaults.maxDropMIoU, maxDropClass ?? defaults.maxDropClass, exact)
            print(outcome.text, terminator: "")
            if let junit { try AtomicFile.write(text: outcome.junitXML, to: junit) }
            if updateBaseline && outcome.passed {
                try outcome.rewrite()
                print("updated baseline \(baseline)")
            }
            passed = outcome.passed
        }
        if !passed { throw ExitCode(1) }
    }

    private func appendSummary(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw HarnessError("cannot append to GITHUB_STEP_SUMMARY file \(path)")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add the results files of shards (`ovseg score --shard k/N`) into one run, exactly.",
        discussion: """
            Examples:
              ovseg merge shard*.ovseg.json -o run.ovseg.json
              ovseg merge s1.ovseg.json s2.ovseg.json -o part.ovseg.json --allow-partial
            """)

    @Argument(help: "Shard results files.")
    var shards: [String]

    @Option(name: .shortAndLong, help: "Merged results file to write.")
    var output: String

    @Flag(help: "Merge even if some of the N shards are missing; the result is marked partial.")
    var allowPartial = false

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    func run() throws {
        try runReportingErrors {
            guard !shards.isEmpty else { throw HarnessError("give at least one shard results file") }
            if isReferringResultsFile(shards[0]) {
                var inputs: [(path: String, record: ReferringRunRecord)] = []
                for path in shards { inputs.append((path, try ReferringResultsFile.read(path: path))) }
                let merged = try ReferringShardMerger.merge(inputs, allowPartial: allowPartial, command: Provenance.invocation)
                try ReferringResultsFile.write(merged, to: output)
                if !quiet {
                    print(ReferringSummary.render(merged), terminator: "")
                    print("merged \(inputs.count) file(s), \(merged.samples.count) samples\(merged.shard?.partial == true ? " (partial)" : "") → \(output)")
                }
                return
            }
            var inputs: [(path: String, record: RunRecord)] = []
            for path in shards { inputs.append((path, try ResultsFile.read(path: path))) }
            let merged = try ShardMerger.merge(inputs, allowPartial: allowPartial, command: Provenance.invocation)
            try ResultsFile.write(merged, to: output)
            if !quiet {
                print(TerminalSummary.render(merged), terminator: "")
                print("merged \(inputs.count) file(s), \(merged.images.count) images\(merged.shard?.partial == true ? " (partial)" : "") → \(output)")
            }
            for warning in merged.warnings { Terminal.warning(warning) }
            for observation in merged.observations { Terminal.note("ovseg: note: " + observation) }
        }
    }
}
