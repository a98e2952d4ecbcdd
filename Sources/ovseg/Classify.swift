import ArgumentParser

/// `ovseg classify`: scene classification (docs/zero-shot-classification.md).
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Scene classification: zero-shot predictions with a CLIP checkpoint.",
        subcommands: [ClassifyRunCommand.self])
}
