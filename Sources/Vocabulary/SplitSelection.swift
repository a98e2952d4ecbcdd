/// How a command chooses a run's seen/unseen split: the vocabulary's `default_split` (if it
/// declares one; otherwise no split), none, a bundled
/// split by name, classes given one by one or a split file. The choices are exclusive, so a run's
/// split never depends on which of two contradicting choices wins.
public enum SplitSelection: Sendable, Equatable {
    case vocabularyDefault
    case none
    case named(String)
    case classes(seen: [String], unseen: [String])
    case file(SplitFile)

    /// The selection asked for by a split name, no split, seen and unseen classes, or a split file
    /// (read here); an error when more than one is given.
    public init(split: String?, noSplit: Bool = false, seen: [String] = [], unseen: [String] = [], splitFile: String?)
        throws(SplitSelectionError)
    {
        var given: [SplitSelectionError.Choice] = []
        if split != nil { given.append(.name) }
        if noSplit { given.append(.none) }
        if !seen.isEmpty || !unseen.isEmpty { given.append(.classes) }
        if splitFile != nil { given.append(.file) }
        guard given.count <= 1 else { throw SplitSelectionError(conflicting: given) }
        if let splitFile {
            do { self = .file(try SplitFile.load(path: splitFile)) } catch { throw SplitSelectionError(splitFile: error) }
        } else if !seen.isEmpty || !unseen.isEmpty {
            self = .classes(seen: seen, unseen: unseen)
        } else if let split {
            self = .named(split)
        } else {
            self = noSplit ? .none : .vocabularyDefault
        }
    }

    /// The split this selection gives in `vocabulary`; nil for no split (or a vocabulary without splits).
    public func split(for vocabulary: Vocabulary) throws -> ClassSplit? {
        switch self {
        case .vocabularyDefault: return vocabulary.defaultSplit
        case .none: return nil
        case .named(let name): return try vocabulary.split(named: name)
        case .classes(let seen, let unseen): return try vocabulary.split(seen: seen, unseen: unseen)
        case .file(let file): return try file.split(for: vocabulary)
        }
    }

    /// Where the split this selection gives in `vocabulary` is chosen and defined.
    public func origin(for vocabulary: Vocabulary) -> SplitOrigin {
        switch self {
        case .vocabularyDefault: vocabulary.defaultSplitName == nil ? .noDefault : .vocabularyDefault
        case .none: .noSplit
        case .named: .splitName
        case .classes: .seenUnseen
        case .file: .splitFile
        }
    }
}

/// How a run's split was chosen, and so where its definition comes from; recorded in the
/// results file (`split_origin`) and named in every summary.
public enum SplitOrigin: String, Sendable, Hashable, CaseIterable {
    /// The vocabulary's `default_split`, no split asked for.
    case vocabularyDefault = "vocabulary-default"
    /// No split asked for and the vocabulary declares no default: all-class figures only.
    case noDefault = "no-default"
    /// `--no-split`.
    case noSplit = "no-split"
    /// `--split NAME`: a split defined in the vocabulary.
    case splitName = "split-name"
    /// `--seen … --unseen …`.
    case seenUnseen = "seen-unseen"
    /// `--split-file FILE`.
    case splitFile = "split-file"
    /// A benchmark suite's split derived from vocabulary overlap with its training vocabulary
    /// (docs/suites.md §3).
    case suiteOverlap = "suite-overlap"
    /// A split written in a benchmark suite file (docs/suites.md §2).
    case suiteSplit = "suite-split"

    /// How the choice is said in summaries: "--split-file", "the vocabulary's default_split", ….
    public var explanation: String {
        switch self {
        case .vocabularyDefault: "the vocabulary's default_split"
        case .noDefault: "no --split given and the vocabulary declares no default_split"
        case .noSplit: "--no-split"
        case .splitName: "--split, a split defined in the vocabulary"
        case .seenUnseen: "--seen/--unseen on the command line"
        case .splitFile: "--split-file"
        case .suiteOverlap: "the suite's overlap with its training vocabulary (seen = classes the training vocabulary names)"
        case .suiteSplit: "the split written in the suite file"
        }
    }
}

/// Choices that select a split in contradicting ways, or a split file that cannot be read.
public struct SplitSelectionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A way of choosing the split; a command line renders it as its option.
    public enum Choice: Sendable, Equatable, CaseIterable, CustomStringConvertible {
        case name, none, classes, file

        public var description: String {
            switch self {
            case .name: "a split name"
            case .none: "no split"
            case .classes: "seen and unseen classes"
            case .file: "a split file"
            }
        }
    }

    public enum Kind: Sendable, Equatable {
        /// More than one choice was given.
        case conflicting([Choice])
        /// The split file could not be read or is invalid (`underlying` says why).
        case splitFile
    }

    public let kind: Kind
    /// The split file, for `splitFile`.
    public let file: String?
    /// The split file's error, for `splitFile`.
    public let underlying: VocabularyError?

    public init(conflicting choices: [Choice]) {
        kind = .conflicting(choices)
        file = nil
        underlying = nil
    }

    public init(splitFile error: VocabularyError) {
        kind = .splitFile
        file = error.file
        underlying = error
    }

    /// The message with each choice named by `name` (e.g. as a command-line option).
    public func message(naming name: (Choice) -> String) -> String {
        switch kind {
        case .conflicting(let choices):
            "\(choices.map(name).joined(separator: " and ")) each choose the run's split; give one of them"
        case .splitFile:
            underlying?.description ?? "the split file cannot be read"
        }
    }

    public var description: String { message { $0.description } }
}
