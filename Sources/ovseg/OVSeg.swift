import ArgumentParser
import Foundation
import Harness
import Tensor
import Vocabulary

@main
struct OVSeg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ovseg",
        abstract: "Open-vocabulary semantic segmentation evaluation for remote-sensing imagery.",
        discussion: """
            Exact per-class IoU, seen/unseen mIoU and hIoU from integer confusion matrices, \
            with a results file that records how every number was made.
            Start with `ovseg demo`.
            """,
        version: OVSegVersion.current,
        subcommands: [Demo.self, Score.self, ReportCommand.self, Vocab.self, Check.self, Merge.self, ShardCommand.self, Embed.self, Eval.self, Convert.self]
    )

    /// Like ArgumentParser's entry point, but usage errors exit with 2 (the documented code for
    /// usage and input errors, which `ovseg check` keeps apart from 1 = regression) instead of 64.
    static func main() {
        ActivationMemory.keepFreedBuffers()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Runs a command body and turns our error types into one clear line on stderr and exit code 2.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        Terminal.error("\(error)")
        throw ExitCode(2)
    }
}

/// The split `--split NAME|none` or `--split-file FILE` asks stored runs to be re-split by; nil for
/// their own splits.
func resplitSelection(split: String?, splitFile: String?) throws -> SplitSelection? {
    guard split != nil || splitFile != nil else { return nil }
    return try SplitSelection(split: split, splitFile: splitFile)
}
