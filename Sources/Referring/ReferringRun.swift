import Harness

/// One scored sample as the results file keeps it: who it is, its exact counts and the hashes of
/// both masks.
public struct ReferringSampleRecord: Sendable, Equatable {
    public var id: String
    public var imageID: String
    public var text: String
    public var className: String?
    public var height: Int
    public var width: Int
    public var counts: SampleCounts
    /// `MaskHash` of the target.
    public var targetSHA256: String
    /// `MaskHash` of the prediction (of an empty mask for a missing prediction counted as empty).
    public var predictionSHA256: String

    public init(
        id: String, imageID: String, text: String, className: String?, height: Int, width: Int, counts: SampleCounts,
        targetSHA256: String, predictionSHA256: String
    ) {
        self.id = id
        self.imageID = imageID
        self.text = text
        self.className = className
        self.height = height
        self.width = width
        self.counts = counts
        self.targetSHA256 = targetSHA256
        self.predictionSHA256 = predictionSHA256
    }
}

/// The choices that change a referring run's numbers, recorded with them.
public struct ReferringPolicy: Sendable, Equatable {
    /// Precision@τ thresholds in percent.
    public var precisionThresholds: [Int]
    public var sizeBuckets: SizeBuckets
    /// Missing predictions counted as empty masks instead of being an error.
    public var missingAsEmpty: Bool

    /// The empty-target convention (docs/referring.md §5.2), written in the file so a reader
    /// knows it without the docs.
    public static let emptyTargetConvention =
        "empty target: IoU 1 when the prediction is empty, else 0; in gIoU and cIoU (I = 0, U = prediction area); "
        + "not in Precision@τ, whose denominator is the samples with a non-empty target"

    public init(precisionThresholds: [Int], sizeBuckets: SizeBuckets, missingAsEmpty: Bool) {
        self.precisionThresholds = precisionThresholds
        self.sizeBuckets = sizeBuckets
        self.missingAsEmpty = missingAsEmpty
    }
}

/// Everything a referring results file holds (docs/referring.md §6). Like semantic runs, the
/// counts are the source of truth: every figure is recomputed from `samples` on reading.
public struct ReferringRunRecord: Sendable, Equatable {
    public static let schema = "ovseg-refer-results/1"
    public static let kind = "referring"

    public var method: String
    /// The annotation files as given, their format and SHA-256s.
    public var annotationPaths: [String]
    public var annotationFormat: String
    public var annotationFileSHA256: [String]
    public var predictionPath: String
    public var predictionFormat: String
    public var predictionFileSHA256: String?
    public var policy: ReferringPolicy
    /// Samples whose prediction was missing and counted as empty (`missingAsEmpty`), sorted.
    public var missingPredictions: [String]
    /// Sorted by id.
    public var samples: [ReferringSampleRecord]
    /// The part of a sharded run this file holds (`refer score --shard k/N`, or a merge); nil
    /// for a whole run.
    public var shard: ShardInfo?
    public var provenance: Provenance

    public init(
        method: String, annotationPaths: [String], annotationFormat: String, annotationFileSHA256: [String],
        predictionPath: String, predictionFormat: String, predictionFileSHA256: String?, policy: ReferringPolicy,
        missingPredictions: [String], samples: [ReferringSampleRecord], shard: ShardInfo? = nil, provenance: Provenance
    ) {
        self.method = method
        self.annotationPaths = annotationPaths
        self.annotationFormat = annotationFormat
        self.annotationFileSHA256 = annotationFileSHA256
        self.predictionPath = predictionPath
        self.predictionFormat = predictionFormat
        self.predictionFileSHA256 = predictionFileSHA256
        self.policy = policy
        self.missingPredictions = missingPredictions
        self.samples = samples.sorted { $0.id < $1.id }
        self.shard = shard
        self.provenance = provenance
    }

    /// All samples' figures.
    public var scores: ReferringScores { ReferringScores(samples.map(\.counts), thresholds: policy.precisionThresholds) }

    /// Per class, classes sorted by name (samples without a class are left out; nil when no
    /// sample has one).
    public var classScores: [(name: String, scores: ReferringScores)] {
        let named = samples.filter { $0.className != nil }
        guard !named.isEmpty else { return [] }
        let grouped = Dictionary(grouping: named) { $0.className ?? "" }
        return grouped.keys.sorted().map { name in
            (name, ReferringScores(grouped[name, default: []].map(\.counts), thresholds: policy.precisionThresholds))
        }
    }

    /// Per size bucket (small, medium, large, empty; buckets without samples left out).
    public var sizeScores: [(bucket: String, scores: ReferringScores)] {
        let grouped = Dictionary(grouping: samples) { policy.sizeBuckets.bucket(ofArea: $0.counts.target) }
        return SizeBuckets.names.compactMap { name in
            guard let members = grouped[name] else { return nil }
            return (name, ReferringScores(members.map(\.counts), thresholds: policy.precisionThresholds))
        }
    }

    /// Fingerprint of the annotations: SHA-256 over the sorted lines
    /// `id<TAB>target mask hash<TAB>SHA-256 of the text (UTF-8)\n`, prefixed `refer-sha256:`.
    public var annotationsFingerprint: String {
        "refer-sha256:" + Fingerprint.sha256(Array(samples.map {
            "\($0.id)\t\($0.targetSHA256)\t\(Fingerprint.sha256(Array($0.text.utf8)))\n"
        }.joined().utf8))
    }

    /// Fingerprint of the predictions: SHA-256 over the sorted lines `id<TAB>prediction mask hash\n`.
    public var predictionsFingerprint: String {
        "masks-sha256:" + Fingerprint.sha256(Array(samples.map { "\($0.id)\t\($0.predictionSHA256)\n" }.joined().utf8))
    }
}
