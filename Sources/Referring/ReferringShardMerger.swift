import Harness

/// Adds the results files of a sharded referring run (`refer score --shard k/N`) into one run
/// (docs/referring.md §6.4). The per-sample counts are exact integers, so the merged figures
/// equal those of one unsharded run over the same samples.
public enum ReferringShardMerger {
    /// Merges shard files. Refuses files that scored different annotations or under another
    /// policy, a shard given twice, a sample in two files or in a shard its file does not cover,
    /// and missing shards unless `allowPartial` (then the result is marked partial).
    public static func merge(
        _ inputs: [(path: String, record: ReferringRunRecord)], allowPartial: Bool, command: [String]
    ) throws(ReferringError) -> ReferringRunRecord {
        guard let first = inputs.first else { throw ReferringError(.shard, "no referring results files to merge") }
        var shardCount: Int?
        var covered: [Int: String] = [:]
        var owners: [String: String] = [:]
        for (path, record) in inputs {
            let reference = first.record
            func differs(_ what: String, _ mine: String, _ theirs: String) -> ReferringError {
                ReferringError(.shard, "\(path) cannot be merged with \(first.path): \(what) differ (\(mine) vs \(theirs))")
            }
            if record.method != reference.method { throw differs("the methods", record.method, reference.method) }
            if record.annotationFormat != reference.annotationFormat || record.annotationFileSHA256 != reference.annotationFileSHA256 {
                throw ReferringError(.shard,
                    "\(path) cannot be merged with \(first.path): they scored different annotation files (SHA-256 "
                        + "\(record.annotationFileSHA256.joined(separator: ", ")) vs \(reference.annotationFileSHA256.joined(separator: ", ")))")
            }
            if record.predictionFormat != reference.predictionFormat {
                throw differs("the prediction formats", record.predictionFormat, reference.predictionFormat)
            }
            if let mine = record.predictionFileSHA256, let theirs = reference.predictionFileSHA256, mine != theirs {
                throw differs("the prediction files' SHA-256", mine, theirs)
            }
            if record.policy != reference.policy {
                throw ReferringError(.shard,
                    "\(path) cannot be merged with \(first.path): they were scored with different thresholds, size buckets "
                        + "or missing-prediction settings")
            }
            guard let shard = record.shard else {
                if inputs.count == 1 { continue }
                throw ReferringError(.shard, "\(path) is not a shard (it was scored without --shard)")
            }
            if let count = shardCount, count != shard.count {
                throw ReferringError(.shard, "\(path) is part of a \(shard.count)-way split, \(first.path) of a \(count)-way split")
            }
            shardCount = shard.count
            for index in shard.indices {
                if let other = covered[index] {
                    throw ReferringError(.shard, "shard \(index)/\(shard.count) appears twice: \(other) and \(path)")
                }
                covered[index] = path
            }
            let claimed = Set(shard.indices)
            for sample in record.samples {
                let owner = Shard.assignment(of: sample.id, count: shard.count)
                guard claimed.contains(owner) else {
                    throw ReferringError(.shard,
                        "\(path): sample \"\(sample.id)\" belongs to shard \(owner)/\(shard.count), but the file covers shard(s) "
                            + "\(shard.indices.map(String.init).joined(separator: ", ")): the shards were not cut from the same samples")
                }
                if let other = owners.updateValue(path, forKey: sample.id) {
                    throw ReferringError(.shard, "sample \"\(sample.id)\" is in both \(other) and \(path)")
                }
            }
        }
        let records = inputs.map(\.record)
        let reference = first.record
        guard let count = shardCount else {
            // One whole run: copied as it is, with the merge's provenance.
            var copy = reference
            copy.provenance = Provenance(
                version: OVSegVersion.current, command: command, date: Provenance.now(), host: reference.provenance.host,
                seconds: reference.provenance.seconds, threads: 1)
            return copy
        }
        let missing = (1...count).filter { covered[$0] == nil }
        if !missing.isEmpty && !allowPartial {
            let listed = missing.prefix(10).map { "\($0)/\(count)" }.joined(separator: ", ")
            throw ReferringError(.shard,
                "shard(s) \(listed)\(missing.count > 10 ? ", …" : "") are missing (\(missing.count) of \(count)); "
                    + "merge them all, or pass --allow-partial for a result marked partial")
        }
        return ReferringRunRecord(
            method: reference.method, annotationPaths: reference.annotationPaths, annotationFormat: reference.annotationFormat,
            annotationFileSHA256: reference.annotationFileSHA256, predictionPath: reference.predictionPath,
            predictionFormat: reference.predictionFormat,
            predictionFileSHA256: records.allSatisfy({ $0.predictionFileSHA256 == reference.predictionFileSHA256 })
                ? reference.predictionFileSHA256 : nil,
            policy: reference.policy,
            missingPredictions: records.flatMap(\.missingPredictions).sorted(),
            samples: records.flatMap(\.samples),
            shard: ShardInfo(indices: covered.keys.sorted(), count: count, partial: !missing.isEmpty),
            provenance: Provenance(
                version: OVSegVersion.current, command: command, date: Provenance.now(), host: reference.provenance.host,
                seconds: records.reduce(0) { $0 + $1.provenance.seconds }, threads: 1))
    }
}
