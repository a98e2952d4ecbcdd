import ArgumentParser

/// `ovseg suite`: benchmark suites (this branch carries the reporting subcommands only).
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Benchmark suites: report the grid of a suite run and list published baselines.",
        subcommands: [SuiteReportCommand.self, SuiteBaselinesCommand.self])
}
