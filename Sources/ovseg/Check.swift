import ArgumentParser
import FileOutput
import Foundation
import Gate
import Harness
import Reports

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a run against a baseline; exit 1 on a regression.",
        discussion: """
            Compares mIoU (all, seen, unseen), hIoU and every class's IoU, unrounded, in percentage points. \
            Exit codes: 0 pass, 1 regression, 2 usage or input error (including runs whose vocabulary, split, \
            policy or dataset differ). When GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it.
            """)

    @Option(help: "The baseline results file.")
    var baseline: String

    @Argument(help: "The results file of the run to check.")
    var runFile: String

    @Option(help: "Largest allowed drop of mIoU (all, seen, unseen), in percentage points.")
    var maxDropMiou: Double = 0.5

    @Option(help: "Largest allowed drop of hIoU, in percentage points.")
    var maxDropHiou: Double = 0.5

    @Option(help: "Largest allowed drop of any class's IoU, in percentage points.")
    var maxDropClass: Double = 2.0

    @Flag(help: "Require identical confusion matrices (for deterministic pipelines); names the first differing cell.")
    var exact = false

    @Option(help: "Write JUnit XML (one test case per checked metric) to this file.")
    var junit: String?

    @Flag(help: "After a passing check, write the run as the new baseline (atomically).")
    var updateBaseline = false

    func validate() throws {
        for (name, value) in [("--max-drop-miou", maxDropMiou), ("--max-drop-hiou", maxDropHiou), ("--max-drop-class", maxDropClass)]
        where !(value >= 0 && value.isFinite) {
            throw ValidationError("\(name) must be a non-negative number of percentage points")
        }
    }

    func run() throws {
        var result: CheckResult?
        try runReportingErrors {
            let base = try ResultsFile.read(path: baseline)
            let current = try ResultsFile.read(path: runFile)
            let outcome = try RegressionCheck.compare(
                baseline: base, run: current,
                thresholds: CheckThresholds(
                    maxDropMIoU: maxDropMiou, maxDropHIoU: maxDropHiou, maxDropClass: maxDropClass, exact: exact))
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
        abstract: "Add the results files of shards (`ovseg score --shard k/N`) into one run, exactly.")

    @Argument(help: "Shard results files.")
    var shards: [String]

    @Option(name: .shortAndLong, help: "Merged results file to write.")
    var output: String

    @Flag(help: "Merge even if some of the N shards are missing; the result is marked partial.")
    var allowPartial = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try runReportingErrors {
            guard !shards.isEmpty else { throw HarnessError("give at least one shard results file") }
            var inputs: [(path: String, record: RunRecord)] = []
            for path in shards { inputs.append((path, try ResultsFile.read(path: path))) }
            let merged = try ShardMerger.merge(inputs, allowPartial: allowPartial, command: Provenance.invocation)
            try ResultsFile.write(merged, to: output)
            if !quiet {
                print(TerminalSummary.render(merged), terminator: "")
                print("merged \(inputs.count) file(s), \(merged.images.count) images\(merged.shard?.partial == true ? " (partial)" : "") → \(output)")
            }
        }
    }
}
