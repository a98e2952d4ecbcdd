import ArgumentParser
import Foundation
import Harness
import LabelMaps
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
        subcommands: [
            Demo.self, Inspect.self, Score.self, ReportCommand.self, Vocab.self, Check.self, Merge.self, ShardCommand.self,
            Embed.self, Eval.self, Convert.self, SuiteCommand.self, Refer.self, VQACommand.self, ClassifyCommand.self,
        ]
    )

    /// Like ArgumentParser's entry point, but usage errors exit with 2 (the documented code for
    /// usage and input errors, which `ovseg check` keeps apart from 1 = regression) instead of 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            if let problem = PixelLimit.validateEnvironment() {
                Terminal.error(problem)
                Foundation.exit(2)
            }
            Interruption.install(command: type(of: command)._commandName)
            // Only commands that run encoders keep freed activation buffers (up to 512 MB):
            // scoring, reports and checks leave the allocator as glibc sets it.
            if command is RunsModels { ActivationMemory.keepFreedBuffers() }
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

/// Runs a command body and turns our error types into one clear line on stderr (settings named
/// as options, `OptionHints`) and exit code 2.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        Terminal.error(OptionHints.message(for: error))
        throw ExitCode(2)
    }
}

/// A command that runs the model stack's encoders (see `ActivationMemory`).
protocol RunsModels {}

extension Eval: RunsModels {}
extension Embed: RunsModels {}
extension Demo: RunsModels {}
extension ClassifyRunCommand: RunsModels {}
