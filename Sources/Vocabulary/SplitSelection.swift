/// How a command chooses a run's seen/unseen split: the vocabulary's first split, none, a bundled
/// split by name, classes given one by one (`--seen … --unseen …`) or a split file. The options
/// are exclusive, so a run's split never depends on which of two contradicting options wins.
public enum SplitSelection: Sendable, Equatable {
    case vocabularyDefault
    case none
    case named(String)
    case classes(seen: [String], unseen: [String])
    case file(SplitFile)

    /// The selection the command-line options ask for (`--split`, `--no-split`, `--seen`/`--unseen`,
    /// `--split-file`, whose file is read here); an error when more than one is given.
    public init(split: String?, noSplit: Bool = false, seen: [String] = [], unseen: [String] = [], splitFile: String?)
        throws(SplitSelectionError)
    {
        var given: [String] = []
        if split != nil { given.append("--split") }
        if noSplit { given.append("--no-split") }
        if !seen.isEmpty || !unseen.isEmpty { given.append("--seen/--unseen") }
        if splitFile != nil { given.append("--split-file") }
        guard given.count <= 1 else {
            throw SplitSelectionError(
                "\(given.joined(separator: " and ")) each choose the run's split; give one of them")
        }
        if let splitFile {
            do { self = .file(try SplitFile.load(path: splitFile)) } catch { throw SplitSelectionError(error.description) }
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
        case .vocabularyDefault: return vocabulary.splits.first
        case .none: return nil
        case .named(let name): return try vocabulary.split(named: name)
        case .classes(let seen, let unseen): return try vocabulary.split(seen: seen, unseen: unseen)
        case .file(let file): return try file.split(for: vocabulary)
        }
    }
}

/// Options that choose a split in contradicting ways, or a split file that cannot be read.
public struct SplitSelectionError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
