import ArgumentParser

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compare a run against a baseline (not yet available).")
    func run() throws { throw ExitCode(2) }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Merge shard results files (not yet available).")
    func run() throws { throw ExitCode(2) }
}
