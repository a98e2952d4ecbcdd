import COCOMasks
import Foundation
import Harness
import Hashing

/// The per-mask hash kept for each sample (docs/referring.md §6.3): SHA-256 over the height and
/// the width as little-endian UInt32, then one byte (0 or 1) per pixel in row-major order.
/// Equal for equal masks whatever encoding (RLE, polygons, PNG) they were given in.
public enum MaskHash {
    public static func sha256(_ mask: BinaryMask) -> String {
        var hasher = SHA256Hasher()
        var header = [UInt8]()
        for value in [UInt32(truncatingIfNeeded: mask.height), UInt32(truncatingIfNeeded: mask.width)] {
            withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) }
        }
        hasher.update(header)
        hasher.update(mask.pixels)
        return SHA256.hexString(hasher.finalize())
    }
}

/// What `ReferringScorer.score` needs besides the files.
public struct ReferringScoreOptions: Sendable {
    public var method: String
    public var precisionThresholds: [Int]
    public var sizeBuckets: SizeBuckets
    public var missingAsEmpty: Bool
    /// Score only the samples whose id hashes to this shard (docs/referring.md §6.4).
    public var shard: Shard?
    public var command: [String]

    public init(
        method: String, precisionThresholds: [Int] = ReferringScores.defaultThresholds,
        sizeBuckets: SizeBuckets = .remoteSensing, missingAsEmpty: Bool = false, shard: Shard? = nil,
        command: [String] = Provenance.invocation
    ) {
        self.method = method
        self.precisionThresholds = precisionThresholds
        self.sizeBuckets = sizeBuckets
        self.missingAsEmpty = missingAsEmpty
        self.shard = shard
        self.command = command
    }
}

/// Scores predicted masks against referring annotations (docs/referring.md §5).
public enum ReferringScorer {
    public static func score(
        annotations: ReferringAnnotations, predictions source: ReferringPredictionSource, options: ReferringScoreOptions
    ) throws(ReferringError) -> ReferringRunRecord {
        let start = Date()
        for percent in options.precisionThresholds where percent < 1 || percent > 100 {
            throw ReferringError(.setting, "precision threshold \(percent)% is outside 1…100")
        }
        let reader = try ReferringPredictionReader(source: source, annotations: annotations)
        var records: [ReferringSampleRecord] = []
        records.reserveCapacity(annotations.samples.count)
        var missing: [String] = []
        let selected = options.shard.map { shard in annotations.samples.filter { shard.contains($0.id) } } ?? annotations.samples
        guard !selected.isEmpty else {
            throw ReferringError(.setting,
                "shard \(options.shard.map(\.description) ?? "") holds none of the \(annotations.samples.count) samples; use fewer shards")
        }
        for sample in selected {
            let target = sample.target.decoded()
            let prediction: BinaryMask
            if let mask = try reader.mask(for: sample) {
                prediction = mask
            } else if options.missingAsEmpty {
                missing.append(sample.id)
                prediction = BinaryMask(height: sample.height, width: sample.width)
            } else {
                throw ReferringError(.missingPrediction, "\(source.path): no prediction for sample \"\(sample.id)\"")
            }
            let intersection = UInt64(target.intersectionArea(prediction))
            let targetArea = UInt64(sample.target.area)
            let predictionArea = UInt64(prediction.area)
            records.append(ReferringSampleRecord(
                id: sample.id, imageID: sample.imageID, text: sample.text, className: sample.className,
                height: sample.height, width: sample.width,
                counts: SampleCounts(
                    intersection: intersection, union: targetArea + predictionArea - intersection, target: targetArea,
                    prediction: predictionArea),
                targetSHA256: MaskHash.sha256(target), predictionSHA256: MaskHash.sha256(prediction)))
        }
        return ReferringRunRecord(
            method: options.method, annotationPaths: annotations.paths, annotationFormat: annotations.format.rawValue,
            annotationFileSHA256: annotations.fileSHA256, predictionPath: source.path, predictionFormat: source.formatName,
            predictionFileSHA256: reader.fileSHA256,
            policy: ReferringPolicy(
                precisionThresholds: options.precisionThresholds, sizeBuckets: options.sizeBuckets,
                missingAsEmpty: options.missingAsEmpty),
            missingPredictions: missing, samples: records,
            shard: options.shard.map { ShardInfo(indices: [$0.index], count: $0.count, partial: false) },
            provenance: Provenance(
                version: OVSegVersion.current, command: options.command, date: Provenance.now(),
                host: ProcessInfo.processInfo.hostName, seconds: Date().timeIntervalSince(start), threads: 1))
    }
}
