import Vocabulary

/// A split that is one fold of a family, named `<family>fold<N>` (`fewshot-fold0`,
/// `isaid-5i-fold2`): the folds of a family divide one vocabulary's classes differently, and a
/// method is evaluated once per fold.
public struct FoldName: Sendable, Hashable {
    /// Everything before `fold`, e.g. `fewshot-`; folds of one family share it exactly.
    public var family: String
    public var number: Int

    /// The fold a split name denotes: it ends in `fold` and digits (any case); nil otherwise.
    public init?(splitName: String) {
        let digits = splitName.reversed().prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int(String(digits.reversed())) else { return nil }
        let head = splitName.dropLast(digits.count)
        guard head.lowercased().hasSuffix("fold") else { return nil }
        family = String(head.dropLast(4))
        self.number = number
    }
}

extension Comparability {
    /// True when `a` and `b` differ only in being scored under different folds of one family:
    /// same vocabulary, policy and dataset, split names `<family>fold<N>` with the same family and
    /// different N. Their numbers are not comparable with each other (the unseen classes differ),
    /// but each method's figures can be summarised over the folds.
    public static func differOnlyInFold(_ a: RunRecord, _ b: RunRecord) -> Bool {
        areOtherFolds(a, b) && differenceBeyondFold(a, b) == nil
    }

    /// The first way `a` and `b` differ, disregarding their splits when they are different folds
    /// of one family (so a fold run scored under another policy is refused for the policy).
    public static func differenceBeyondFold(_ a: RunRecord, _ b: RunRecord) -> String? {
        guard areOtherFolds(a, b) else { return difference(a, b) }
        var aligned = b
        aligned.split = a.split
        return difference(a, aligned)
    }

    /// Both splits are folds of one family with different numbers.
    static func areOtherFolds(_ a: RunRecord, _ b: RunRecord) -> Bool {
        guard let splitA = a.split, let splitB = b.split,
              let foldA = FoldName(splitName: splitA.name), let foldB = FoldName(splitName: splitB.name) else { return false }
        return foldA.family == foldB.family && foldA.number != foldB.number
    }
}

extension RunRecord {
    /// The names of the splits of this run's fold family that its vocabulary defines, in the
    /// vocabulary's order, so a report can say which folds have no run. Nil when the run has no
    /// fold split, or its vocabulary cannot be loaded by its key or has changed since (another
    /// fingerprint).
    public var vocabularyFolds: [String]? {
        guard let split, let fold = FoldName(splitName: split.name),
              let vocabulary = try? Vocabulary.resolve(self.vocabulary.key),
              vocabulary.fingerprint == self.vocabulary.fingerprint else { return nil }
        let names = vocabulary.splits.map(\.name).filter { FoldName(splitName: $0)?.family == fold.family }
        return names.isEmpty ? nil : names
    }
}
