/// Checks that two runs measured the same thing, so their numbers may be compared or merged.
public enum Comparability {
    /// The first way two runs differ in what they measured, or nil when they agree.
    /// - Parameter includeDataset: compare the dataset fingerprints too (not for shards, which
    ///   cover different images by design).
    public static func difference(
        _ a: RunRecord, _ b: RunRecord, includeDataset: Bool = true
    ) -> String? {
        if a.vocabulary.fingerprint != b.vocabulary.fingerprint {
            return "vocabulary differs: \(a.vocabulary.key) \(a.vocabulary.fingerprint) vs \(b.vocabulary.key) \(b.vocabulary.fingerprint)"
        }
        if a.classNames != b.classNames {
            return "class lists differ: \(a.classNames) vs \(b.classNames)"
        }
        if a.split?.name != b.split?.name || a.split?.seenIDs != b.split?.seenIDs || a.split?.unseenIDs != b.split?.unseenIDs {
            return "split differs: \(describe(a.split)) vs \(describe(b.split))"
        }
        if a.policy.presence != b.policy.presence {
            return "presence policy differs: \(a.policy.presence.rawValue) vs \(b.policy.presence.rawValue)"
        }
        // The prediction encoding is left out: it says how files held the predictions, not what was measured.
        if !a.policy.measuresTheSame(as: b.policy) {
            return "evaluation policy differs: \(describe(a.policy)) vs \(describe(b.policy))"
        }
        if includeDataset, let difference = datasetDifference(a, b) {
            return difference
        }
        return nil
    }

    /// Compares the label-based dataset fingerprints when both runs have one; when either was
    /// read from a file written before label fingerprints, compares the file-based ones (which
    /// every file has), so an old and a new run of the same files stay comparable.
    static func datasetDifference(_ a: RunRecord, _ b: RunRecord) -> String? {
        if let labelsA = a.dataset.labelsFingerprint, let labelsB = b.dataset.labelsFingerprint {
            guard labelsA != labelsB else { return nil }
            return "dataset fingerprint differs (decoded ground-truth labels): \(labelsA) (\(a.images.count) images) "
                + "vs \(labelsB) (\(b.images.count) images)"
        }
        let filesA = a.dataset.filesFingerprint
        let filesB = b.dataset.filesFingerprint
        guard filesA != filesB else { return nil }
        let old = a.dataset.labelsFingerprint == nil
            ? (b.dataset.labelsFingerprint == nil ? "both runs were" : "the first run was") : "the second run was"
        return "dataset fingerprint differs (ground-truth file bytes): \(filesA) (\(a.images.count) images) "
            + "vs \(filesB) (\(b.images.count) images); \(old) written before label fingerprints, so only the "
            + "files' bytes could be compared: re-score with this ovseg to compare the decoded labels"
    }

    static func describe(_ split: SplitInfo?) -> String {
        guard let split else { return "no split" }
        return "\(split.name) (seen \(split.seenIDs), unseen \(split.unseenIDs))"
    }

    static func describe(_ policy: EvaluationPolicy) -> String {
        let colors = policy.ignoreColors.isEmpty
            ? "" : ", ignore colours " + policy.ignoreColors.map { "(" + $0.map(String.init).joined(separator: ",") + ")" }.joined(separator: " ")
        return "ignore \(policy.ignoreValues)\(colors), reduce_zero_label \(policy.reduceZeroLabel), label format "
            + "\(policy.labelFormat?.rawValue ?? "by file"), out-of-range gt "
            + "\(policy.outOfRangeGroundTruth.rawValue), out-of-range prediction \(policy.outOfRangePrediction.rawValue)"
    }
}
