import Dispatch
import Foundation
import LabelMaps
import Metrics
import Synchronization
import Vocabulary

/// Receives progress from a scoring run; called from worker threads, one call at a time.
public protocol ScoringProgress: Sendable {
    func started(total: Int)
    func advanced(completed: Int, total: Int)
    func finished()
}

/// Everything that decides how a folder of predictions is scored.
public struct ScoreOptions: Sendable {
    public var vocabulary: Vocabulary
    public var split: ClassSplit?
    /// How `split` was chosen (recorded as the results file's `split_origin`); nil when the
    /// caller does not say.
    public var splitOrigin: SplitOrigin?
    /// The label encoding ground truth is read with: the vocabulary's, or overrides
    /// (`Vocabulary.effectiveEncoding(_:)`) for this run.
    public var encoding: EffectiveEncoding
    public var presence: PresencePolicy
    public var outOfRangeGroundTruth: OutOfRangeGroundTruth
    public var outOfRangePrediction: OutOfRangePrediction
    /// How gray and palette prediction files hold class ids (mmseg's `pred + 1`, an offset);
    /// RGB predictions hold colours and must be read as they are.
    public var predictionEncoding: PredictionEncoding
    public var pairing: PairingOptions
    /// Skip (and count) pairs whose sizes differ instead of failing.
    public var skipSizeMismatches: Bool
    /// Worker threads; each decodes and counts whole images.
    public var jobs: Int
    public var shard: Shard?
    public var method: String

    public init(
        vocabulary: Vocabulary, split: ClassSplit? = nil, presence: PresencePolicy = .unionPresent,
        outOfRangeGroundTruth: OutOfRangeGroundTruth = .error, outOfRangePrediction: OutOfRangePrediction = .error,
        predictionEncoding: PredictionEncoding = .classIDs, pairing: PairingOptions = PairingOptions(), skipSizeMismatches: Bool = false,
        jobs: Int = ProcessInfo.processInfo.activeProcessorCount, shard: Shard? = nil, method: String,
        splitOrigin: SplitOrigin? = nil, encoding: EffectiveEncoding? = nil
    ) {
        self.vocabulary = vocabulary
        self.split = split
        self.splitOrigin = splitOrigin
        self.encoding = encoding ?? vocabulary.vocabularyEncoding
        self.presence = presence
        self.outOfRangeGroundTruth = outOfRangeGroundTruth
        self.outOfRangePrediction = outOfRangePrediction
        self.predictionEncoding = predictionEncoding.normalized
        self.pairing = pairing
        self.skipSizeMismatches = skipSizeMismatches
        self.jobs = max(1, jobs)
        self.shard = shard
        self.method = method
    }
}

/// Scores a folder of predicted label maps against a folder of ground truth.
///
/// Images stream through a fixed number of workers: memory holds one decoded pair per worker
/// plus the per-image counts (3·K integers each), never the label maps of the whole dataset.
public enum Scorer {
    public static func score(
        groundTruthDirectory: String, predictionDirectory: String, options: ScoreOptions,
        command: [String] = Provenance.invocation, progress: (any ScoringProgress)? = nil
    ) throws(HarnessError) -> RunRecord {
        let start = DispatchTime.now()
        let pairing = try DatasetScanner.pair(
            groundTruthDirectory: groundTruthDirectory, predictionDirectory: predictionDirectory,
            options: options.pairing)
        return try score(
            pairing: pairing, groundTruthSource: groundTruthDirectory, predictionSource: predictionDirectory, origin: nil,
            options: options, command: command, progress: progress, start: start)
    }

    /// Scores the images a layout or pairs file listed (docs/dataset-layouts.md). Predictions are
    /// the pairs file's `prediction` column when `predictionDirectory` is nil; otherwise the files
    /// in that folder, matched by image id or by the label or image file's stem
    /// (`ListedDataset.predictionsByID`), with the same skip options as folder pairing.
    public static func score(
        dataset: ListedDataset, predictionDirectory: String?, options: ScoreOptions,
        command: [String] = Provenance.invocation, progress: (any ScoringProgress)? = nil
    ) throws(HarnessError) -> RunRecord {
        let start = DispatchTime.now()
        let pairing: DatasetPairing
        let predictionSource: String
        if let predictionDirectory {
            let found = try DatasetScanner.labelFiles(in: predictionDirectory, suffix: options.pairing.predictionSuffix)
            pairing = try DatasetScanner.pair(
                groundTruth: dataset.labelFiles, groundTruthSource: dataset.root,
                predictions: try dataset.predictionsByID(found, folder: predictionDirectory),
                predictionDirectory: predictionDirectory, options: options.pairing)
            predictionSource = predictionDirectory
        } else {
            var pairs: [ImagePair] = []
            for image in dataset.images {
                guard let prediction = image.predictionPath else {
                    throw HarnessError(.pairing, file: dataset.root,
                        "\(dataset.root): image \(image.id) has no prediction file; give --pred DIR or a prediction column")
                }
                pairs.append(ImagePair(id: image.id, groundTruthPath: image.labelPath, predictionPath: prediction))
            }
            pairing = DatasetPairing(pairs: pairs, missingPredictions: [], extraPredictions: [])
            predictionSource = "(listed in \(dataset.root))"
        }
        return try score(
            pairing: pairing, groundTruthSource: dataset.root, predictionSource: predictionSource, origin: dataset.origin,
            options: options, command: command, progress: progress, start: start)
    }

    static func score(
        pairing: DatasetPairing, groundTruthSource: String, predictionSource: String, origin: DatasetOrigin?,
        options: ScoreOptions, command: [String], progress: (any ScoringProgress)?, start: DispatchTime
    ) throws(HarnessError) -> RunRecord {
        try ClassCountLimit.check(options.vocabulary)
        var pairing = pairing
        let groundTruthDirectory = groundTruthSource, predictionDirectory = predictionSource
        if let shard = options.shard {
            pairing.pairs = pairing.pairs.filter { shard.contains($0.id) }
            pairing.missingPredictions = pairing.missingPredictions.filter { shard.contains($0) }
            pairing.extraPredictions = pairing.extraPredictions.filter { shard.contains($0) }
        }
        try ImageID.validate(pairing.pairs.map { ($0.id, $0.groundTruthPath) })
        let reader = LabelReading(vocabulary: options.vocabulary, options: options)
        let pairs = pairing.pairs
        let jobs = min(options.jobs, max(1, pairs.count))
        let state = Mutex(RunState(count: pairs.count, classCount: options.vocabulary.classCount))

        progress?.started(total: pairs.count)
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            var local = ConfusionMatrix(classCount: options.vocabulary.classCount)
            while let index = state.withLock({ $0.takeNext() }) {
                let pair = pairs[index]
                do {
                    let outcome = try reader.score(pair)
                    if let outcome { try local.add(outcome.matrix) }
                    let completed = state.withLock { $0.finish(index: index, record: outcome?.record, id: pair.id) }
                    progress?.advanced(completed: completed, total: pairs.count)
                } catch {
                    state.withLock { $0.fail(error, at: index) }
                }
            }
            state.withLock { $0.absorb(local) }
        }
        progress?.finished()

        let final = state.withLock { $0 }
        if let failure = final.failure { throw failure }
        let records = final.records.compactMap { $0 }
        // A shard may legitimately hold no image (more shards than images); anything else must score one.
        guard !records.isEmpty || (options.shard != nil && pairs.isEmpty) else {
            throw HarnessError(.input, "no image was scored: every pair was skipped (see the size mismatches)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let vocabulary = options.vocabulary
        return RunRecord(
            method: options.method,
            vocabulary: VocabularyInfo(vocabulary),
            split: options.split.map(SplitInfo.init),
            policy: reader.policy(presence: options.presence),
            dataset: DatasetInfo(
                groundTruthDirectory: groundTruthDirectory, predictionDirectory: predictionDirectory,
                images: records, missingPredictions: pairing.missingPredictions, extraPredictions: pairing.extraPredictions,
                sizeMismatches: final.sizeMismatches.sorted(), origin: origin),
            shard: options.shard.map { ShardInfo(indices: [$0.index], count: $0.count, partial: false) },
            matrix: final.matrix,
            images: records,
            provenance: Provenance(
                version: OVSegVersion.current, command: command, date: Provenance.now(),
                host: ProcessInfo.processInfo.hostName, seconds: seconds, threads: jobs),
            splitOrigin: options.splitOrigin)
    }
}

/// Mutable state shared by the workers, always accessed under the mutex.
private struct RunState: Sendable {
    var next = 0
    var completed = 0
    var records: [ImageRecord?]
    var sizeMismatches: [String] = []
    var failure: HarnessError?
    var failureIndex = Int.max
    var matrix: ConfusionMatrix

    init(count: Int, classCount: Int) {
        records = [ImageRecord?](repeating: nil, count: count)
        matrix = ConfusionMatrix(classCount: classCount)
    }

    mutating func takeNext() -> Int? {
        guard failure == nil, next < records.count else { return nil }
        defer { next += 1 }
        return next
    }

    mutating func finish(index: Int, record: ImageRecord?, id: String) -> Int {
        if let record { records[index] = record } else { sizeMismatches.append(id) }
        completed += 1
        return completed
    }

    /// Keeps the error of the earliest image, so the reported error does not depend on thread timing.
    mutating func fail(_ error: any Error, at index: Int) {
        guard index < failureIndex else { return }
        failureIndex = index
        failure = (error as? HarnessError) ?? HarnessError(.input, wrapping: error)
    }

    mutating func absorb(_ local: ConfusionMatrix) {
        try? matrix.add(local)
    }
}

