import Vocabulary

/// Re-analysing a stored run under another seen/unseen split. A results file keeps the counts of
/// every class, and seen/unseen means, hIoU and collapse are derived from them, so a run scored
/// under one split (or none) reports exactly what scoring it under another would have.
extension RunRecord {
    /// This run with `split` (nil: no split) in place of its own. `vocabulary` must be the
    /// vocabulary the run was scored with: the same class names in the same order.
    public func resplit(_ split: ClassSplit?, of vocabulary: Vocabulary) throws(HarnessError) -> RunRecord {
        let names = vocabulary.classes.map(\.name)
        guard names == classNames else {
            throw HarnessError(.incomparable,
                "cannot re-split \(method): it was scored with \(self.vocabulary.name) (\(classNames.count) classes), "
                    + "not with \(vocabulary.name) (\(names.count) classes)")
        }
        var copy = self
        copy.split = split.map(SplitInfo.init)
        return copy
    }

    /// This run re-split by a split name of its own vocabulary (`none` removes the split).
    /// The vocabulary is looked up by the key the run recorded, or `vocabulary` when given (for
    /// runs scored with a vocabulary file).
    public func resplit(named name: String, vocabulary: Vocabulary? = nil) throws(HarnessError) -> RunRecord {
        try resplit(.named(name), vocabulary: vocabulary)
    }

    /// This run re-split as `selection` says (a split name, `none`, or a split file), in
    /// the run's own vocabulary (looked up by its recorded key unless `vocabulary` is given).
    /// `.vocabularyDefault` means the vocabulary's `default_split` (none if it declares none); a
    /// name `none` means no split. The copy records how its split was chosen (`splitOrigin`).
    public func resplit(_ selection: SplitSelection, vocabulary: Vocabulary? = nil) throws(HarnessError) -> RunRecord {
        let resolved: Vocabulary
        do {
            resolved = try vocabulary ?? Vocabulary.resolve(self.vocabulary.key)
            var copy: RunRecord
            if case .named(let name) = selection, name == "none" {
                copy = try resplit(nil, of: resolved)
                copy.splitOrigin = .noSplit
            } else {
                copy = try resplit(selection.split(for: resolved), of: resolved)
                copy.splitOrigin = selection.origin(for: resolved)
            }
            return copy
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError(.incomparable, "cannot re-split \(method) by \(selection.label): \(error)", underlying: error)
        }
    }
}

extension SplitSelection {
    /// How the selection is named in messages: `'NAME'`, `split file FILE`, ….
    var label: String {
        switch self {
        case .vocabularyDefault: "the vocabulary's default split"
        case .none: "no split"
        case .named(let name): "'\(name)'"
        case .classes: "the given seen and unseen classes"
        case .file(let file): "split file \(file.path)"
        }
    }
}
