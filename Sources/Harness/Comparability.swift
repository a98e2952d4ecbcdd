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
        if includeDataset && a.dataset.fingerprint != b.dataset.fingerprint {
            return "dataset fingerprint differs: \(a.dataset.fingerprint) (\(a.images.count) images) vs \(b.dataset.fingerprint) (\(b.images.count) images)"
        }
        return nil
    }

    static func describe(_ split: SplitInfo?) -> String {
        guard let split else { return "no split" }
        return "\(split.name) (seen \(split.seenIDs), unseen \(split.unseenIDs))"
    }

    static func describe(_ policy: EvaluationPolicy) -> String {
        "ignore \(policy.ignoreValues), reduce_zero_label \(policy.reduceZeroLabel), out-of-range gt "
            + "\(policy.outOfRangeGroundTruth.rawValue), out-of-range prediction \(policy.outOfRangePrediction.rawValue)"
    }
}
