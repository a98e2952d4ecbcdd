import Metrics

/// Adds the results of shards into one run, exactly.
public enum ShardMerger {
    /// Merges shard files. The result's counts equal those of one unsharded run over the same images.
    ///
    /// Refuses shards that measured different things, duplicate image ids (naming them and their
    /// files), and missing shards unless `allowPartial` (then the result records `partial`).
    public static func merge(
        _ inputs: [(path: String, record: RunRecord)], allowPartial: Bool, command: [String]
    ) throws(HarnessError) -> RunRecord {
        guard let first = inputs.first else { throw HarnessError(.shard, "no results files to merge") }
        var shardCount: Int?
        var covered: [Int: String] = [:]
        for (path, record) in inputs {
            if let difference = Comparability.difference(first.record, record, includeDataset: false) {
                throw HarnessError(.incomparable, file: path, "\(path) cannot be merged with \(first.path): \(difference)")
            }
            // Comparable, but one merged file can record only one way of reading the prediction files.
            if record.policy.predictionEncoding != first.record.policy.predictionEncoding {
                throw HarnessError(.shard,
                    "\(path) read its prediction files as \(record.policy.predictionEncoding.name), \(first.path) as "
                        + "\(first.record.policy.predictionEncoding.name); shards of one run are read the same way")
            }
            if record.dataset.groundTruthDirectory != first.record.dataset.groundTruthDirectory {
                throw HarnessError(.shard, file: path,
                    "\(path) was scored on the ground truth in \(record.dataset.groundTruthDirectory), \(first.path) on "
                        + "\(first.record.dataset.groundTruthDirectory); shards of one run read the same ground-truth folder")
            }
            if record.method != first.record.method {
                throw HarnessError(.shard, "\(path) is method \"\(record.method)\", \(first.path) is \"\(first.record.method)\"")
            }
            guard let shard = record.shard else {
                if inputs.count == 1 { continue }
                throw HarnessError(.shard, file: path, "\(path) is not a shard (it was scored without \(setting: .shard))")
            }
            if let count = shardCount, count != shard.count {
                throw HarnessError(.shard, "\(path) is part of a \(shard.count)-way split, \(first.path) of a \(count)-way split")
            }
            shardCount = shard.count
            for index in shard.indices {
                if let other = covered[index] {
                    throw HarnessError(.shard, "shard \(index)/\(shard.count) appears twice: \(other) and \(path)")
                }
                covered[index] = path
            }
            // Each image must hash to a shard the file claims; otherwise the shards were cut from
            // different id lists (another dataset folder, suffix or layout) and would not add up.
            let claimed = Set(shard.indices)
            for image in record.images {
                let owner = Shard.assignment(of: image.id, count: shard.count)
                guard claimed.contains(owner) else {
                    throw HarnessError(.shard, file: path,
                        "\(path): image \(ImageID.quoted(image.id)) belongs to shard \(owner)/\(shard.count), but the file "
                            + "covers shard(s) \(shard.indices.map(String.init).joined(separator: ", ")): the shards were not "
                            + "cut from the same image ids (different data, suffix or layout)")
                }
            }
        }

        var owner: [String: String] = [:]
        var duplicates: [String] = []
        var images: [ImageRecord] = []
        var matrix = ConfusionMatrix(classCount: first.record.matrix.classCount)
        var missing: [String] = []
        var extra: [String] = []
        var mismatched: [String] = []
        var seconds = 0.0
        for (path, record) in inputs {
            for image in record.images {
                if let other = owner[image.id] {
                    duplicates.append("\(image.id) (\(other) and \(path))")
                } else {
                    owner[image.id] = path
                }
            }
            images += record.images
            do { try matrix.add(record.matrix) } catch { throw HarnessError(.shard, file: path, "\(path): \(error.description)", underlying: error) }
            missing += record.dataset.missingPredictions
            extra += record.dataset.extraPredictions
            mismatched += record.dataset.sizeMismatches
            seconds += record.provenance.seconds
        }
        if !duplicates.isEmpty {
            throw HarnessError(.shard,
                "\(duplicates.count) image id(s) occur in more than one file: "
                    + DatasetScanner.listed(duplicates))
        }
        var partial = false
        var shardInfo: ShardInfo?
        if let count = shardCount {
            let absent = (1...count).filter { covered[$0] == nil }
            if !absent.isEmpty {
                guard allowPartial else {
                    throw HarnessError(.shard,
                        "shard(s) \(absent.map { "\($0)/\(count)" }.joined(separator: ", ")) missing "
                            + "(use \(setting: .allowPartial) to merge what is there; the result is then marked partial)" as HarnessMessage)
                }
                partial = true
            }
            partial = partial || inputs.contains { $0.record.shard?.partial == true }
            shardInfo = ShardInfo(indices: covered.keys.sorted(), count: count, partial: partial)
        }
        images.sort { $0.id < $1.id }
        // Drift is kept only when every shard measured it against the same frozen checkpoint.
        var drift: FeatureDrift?
        if let firstDrift = first.record.featureDrift,
           inputs.allSatisfy({ $0.record.featureDrift?.frozenSHA256 == firstDrift.frozenSHA256 }) {
            drift = FeatureDrift(
                frozenCheckpoint: firstDrift.frozenCheckpoint, frozenSHA256: firstDrift.frozenSHA256,
                definition: firstDrift.definition, images: inputs.flatMap { $0.record.featureDrift?.images ?? [] })
        }
        var provenance = first.record.provenance
        provenance.command = command
        provenance.date = Provenance.now()
        provenance.seconds = seconds
        return RunRecord(
            method: first.record.method, vocabulary: first.record.vocabulary, split: first.record.split,
            policy: first.record.policy,
            dataset: DatasetInfo(
                groundTruthDirectory: first.record.dataset.groundTruthDirectory,
                predictionDirectory: first.record.dataset.predictionDirectory,
                images: images, missingPredictions: missing.sorted(), extraPredictions: extra.sorted(), sizeMismatches: mismatched.sorted(),
                origin: first.record.dataset.origin),
            shard: shardInfo, matrix: matrix, images: images, provenance: provenance, featureDrift: drift,
            splitOrigin: first.record.splitOrigin)
    }
}
