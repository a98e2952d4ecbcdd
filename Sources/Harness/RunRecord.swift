import LabelMaps
import Metrics
import Vocabulary

/// Everything a results file holds: how the numbers were made and the exact counts they come from.
///
/// Metrics are never stored as the source of truth: `scores` recomputes them from `matrix`,
/// so a results file can be re-analysed under another presence policy or merged with others.
public struct RunRecord: Sendable, Equatable {
    public static let schema = "ovseg-results/1"

    public var method: String
    public var vocabulary: VocabularyInfo
    public var split: SplitInfo?
    /// How the split (or its absence) was chosen: `--split`, the vocabulary's `default_split`, ….
    /// nil for results files written before it was recorded.
    public var splitOrigin: SplitOrigin?
    public var policy: EvaluationPolicy
    public var dataset: DatasetInfo
    public var shard: ShardInfo?
    public var matrix: ConfusionMatrix
    /// Per-image counts, sorted by id.
    public var images: [ImageRecord]
    public var provenance: Provenance
    /// Tuned-versus-frozen feature drift, when `ovseg eval` ran with `--frozen`.
    public var featureDrift: FeatureDrift?

    public init(
        method: String, vocabulary: VocabularyInfo, split: SplitInfo?, policy: EvaluationPolicy,
        dataset: DatasetInfo, shard: ShardInfo?, matrix: ConfusionMatrix, images: [ImageRecord], provenance: Provenance,
        featureDrift: FeatureDrift? = nil, splitOrigin: SplitOrigin? = nil
    ) {
        self.featureDrift = featureDrift
        self.splitOrigin = splitOrigin
        self.method = method
        self.vocabulary = vocabulary
        self.split = split
        self.policy = policy
        self.dataset = dataset
        self.shard = shard
        self.matrix = matrix
        self.images = images
        self.provenance = provenance
    }

    /// All metrics under the recorded presence policy.
    public var scores: Scores { Scores(matrix: matrix, policy: policy.presence) }

    /// Seen / unseen / hIoU when the run has a split.
    public var splitScores: SplitScores? {
        guard let split else { return nil }
        return scores.split(seen: split.seenIDs, unseen: split.unseenIDs)
    }

    /// How much of the unseen classes' area went to seen classes, when the run has a split.
    public var collapse: CollapseDiagnostics? {
        guard let split else { return nil }
        return CollapseDiagnostics(matrix: matrix, seen: split.seenIDs, unseen: split.unseenIDs)
    }

    public var classNames: [String] { vocabulary.classNames }
}

/// The vocabulary a run used, with enough detail to check that two runs are comparable.
public struct VocabularyInfo: Sendable, Equatable {
    public var key: String
    public var name: String
    public var fingerprint: String
    public var classNames: [String]
    /// RGB colour per class, for reports.
    public var colors: [[UInt8]]

    public init(key: String, name: String, fingerprint: String, classNames: [String], colors: [[UInt8]]) {
        self.key = key
        self.name = name
        self.fingerprint = fingerprint
        self.classNames = classNames
        self.colors = colors
    }
}

/// The seen/unseen split a run was scored with.
public struct SplitInfo: Sendable, Equatable {
    public var name: String
    public var seenIDs: [Int]
    public var unseenIDs: [Int]
    public var source: String?
    public var inferred: Bool

    public init(name: String, seenIDs: [Int], unseenIDs: [Int], source: String?, inferred: Bool) {
        self.name = name
        self.seenIDs = seenIDs
        self.unseenIDs = unseenIDs
        self.source = source
        self.inferred = inferred
    }

    /// "seen", "unseen" or nil for a class id.
    public func side(ofClass id: Int) -> String? {
        if seenIDs.contains(id) { return "seen" }
        if unseenIDs.contains(id) { return "unseen" }
        return nil
    }
}

/// The choices that change the numbers, recorded with them, and how the prediction files were read.
public struct EvaluationPolicy: Sendable, Equatable {
    public var presence: PresencePolicy
    public var ignoreValues: [Int]
    public var ignoreColors: [[UInt8]]
    public var reduceZeroLabel: Bool
    public var outOfRangeGroundTruth: OutOfRangeGroundTruth
    public var outOfRangePrediction: OutOfRangePrediction
    /// How the values of gray and palette prediction files were read (`--pred-reduce-zero-label`,
    /// `--pred-offset`). Recorded so a run says how it read its files; it does not change what is
    /// measured (the same predictions written as ids or as ids + 1 give the same counts, each read
    /// with its encoding), so `measuresTheSame(as:)` and hence comparability leave it out.
    public var predictionEncoding: PredictionEncoding
    /// How ground-truth files were read when a run fixed it (`--label-format`); nil: each file's
    /// colour type decided (and every file written before the option existed).
    public var labelFormat: LabelFormat?
    /// Where reduce_zero_label, the ignore values and colours and the label format came from
    /// (vocabulary or command line); nil for files written before it was recorded. Says how a
    /// run was set up, not what it measured, so `measuresTheSame(as:)` leaves it out.
    public var encodingOrigins: EffectiveEncoding.Origins?
    /// The vocabulary's own settings, so a summary can say what the command line replaced; nil
    /// for files written before it was recorded.
    public var vocabularyEncoding: VocabularyEncodingSettings?

    public init(
        presence: PresencePolicy, ignoreValues: [Int], ignoreColors: [[UInt8]], reduceZeroLabel: Bool,
        outOfRangeGroundTruth: OutOfRangeGroundTruth, outOfRangePrediction: OutOfRangePrediction,
        predictionEncoding: PredictionEncoding = .classIDs, labelFormat: LabelFormat? = nil,
        encodingOrigins: EffectiveEncoding.Origins? = nil, vocabularyEncoding: VocabularyEncodingSettings? = nil
    ) {
        self.vocabularyEncoding = vocabularyEncoding
        self.labelFormat = labelFormat
        self.encodingOrigins = encodingOrigins
        self.presence = presence
        self.ignoreValues = ignoreValues
        self.ignoreColors = ignoreColors
        self.reduceZeroLabel = reduceZeroLabel
        self.outOfRangeGroundTruth = outOfRangeGroundTruth
        self.outOfRangePrediction = outOfRangePrediction
        self.predictionEncoding = predictionEncoding.normalized
    }

    /// True when both policies turn the same label maps into the same counts: every field but
    /// the prediction encoding, which only says how the files held those label maps, and the
    /// encoding origins and vocabulary settings, which say where equal settings came from. A forced label format counts:
    /// reading a file as indices or as colours can give other labels.
    public func measuresTheSame(as other: EvaluationPolicy) -> Bool {
        var other = other
        other.predictionEncoding = predictionEncoding
        other.encodingOrigins = encodingOrigins
        other.vocabularyEncoding = vocabularyEncoding
        return self == other
    }
}

/// Which images were scored, and fingerprints of their ground truth.
///
/// New runs fingerprint the *decoded labels* (`fingerprint`, `labels-sha256:`), so the same
/// ground truth saved as RGB or index PNG, or with other compression, gives the same value, and
/// keep the hash of the files' bytes as secondary information (`groundTruthFilesFingerprint`).
/// Results files written before label fingerprints existed have only the file-based value, which
/// they hold in `fingerprint`, and `groundTruthFilesFingerprint` is nil.
public struct DatasetInfo: Sendable, Equatable {
    public var groundTruthDirectory: String
    public var predictionDirectory: String
    /// The fingerprint comparability uses: `labels-sha256:` over the sorted (id, labels hash)
    /// lines of the scored images (`Fingerprint.labels`); in older files, which lack
    /// `groundTruthFilesFingerprint`, the `sha256:` over the sorted (id, file hash) lines.
    public var fingerprint: String
    /// `sha256:` over the sorted (id, ground-truth file hash) lines (`Fingerprint.dataset`);
    /// nil in files written before label fingerprints, whose `fingerprint` is this value.
    public var groundTruthFilesFingerprint: String?
    public var missingPredictions: [String]
    public var extraPredictions: [String]
    public var sizeMismatches: [String]
    /// The release layout (and subset, label variant) or pairs file the files were listed by;
    /// nil when ground truth was a folder (docs/dataset-layouts.md §6).
    public var origin: DatasetOrigin?

    public init(
        groundTruthDirectory: String, predictionDirectory: String, fingerprint: String,
        groundTruthFilesFingerprint: String? = nil,
        missingPredictions: [String] = [], extraPredictions: [String] = [], sizeMismatches: [String] = [],
        origin: DatasetOrigin? = nil
    ) {
        self.origin = origin
        self.groundTruthDirectory = groundTruthDirectory
        self.predictionDirectory = predictionDirectory
        self.fingerprint = fingerprint
        self.groundTruthFilesFingerprint = groundTruthFilesFingerprint
        self.missingPredictions = missingPredictions
        self.extraPredictions = extraPredictions
        self.sizeMismatches = sizeMismatches
    }

    /// Fingerprints computed from the scored images: label-based when every image has its labels
    /// hash, otherwise (images read from older files) file-based only, as older files had it.
    public init(
        groundTruthDirectory: String, predictionDirectory: String, images: [ImageRecord],
        missingPredictions: [String] = [], extraPredictions: [String] = [], sizeMismatches: [String] = [],
        origin: DatasetOrigin? = nil
    ) {
        let files = Fingerprint.dataset(images.map { ($0.id, $0.groundTruthSHA256) })
        let labels = images.map { image in image.groundTruthLabelsSHA256.map { (image.id, $0) } }
        if labels.allSatisfy({ $0 != nil }) {
            self.init(
                groundTruthDirectory: groundTruthDirectory, predictionDirectory: predictionDirectory,
                fingerprint: Fingerprint.labels(labels.compactMap { $0 }), groundTruthFilesFingerprint: files,
                missingPredictions: missingPredictions, extraPredictions: extraPredictions, sizeMismatches: sizeMismatches,
                origin: origin)
        } else {
            self.init(
                groundTruthDirectory: groundTruthDirectory, predictionDirectory: predictionDirectory,
                fingerprint: files, missingPredictions: missingPredictions, extraPredictions: extraPredictions,
                sizeMismatches: sizeMismatches, origin: origin)
        }
    }

    /// The label-based fingerprint, or nil for a run read from an older file.
    public var labelsFingerprint: String? { groundTruthFilesFingerprint == nil ? nil : fingerprint }

    /// The file-based fingerprint, which every results file has.
    public var filesFingerprint: String { groundTruthFilesFingerprint ?? fingerprint }
}

/// Which part of a sharded evaluation a file holds.
public struct ShardInfo: Sendable, Equatable {
    /// The shards this file covers (one for a shard file, several after a merge).
    public var indices: [Int]
    public var count: Int
    /// True when a merge went ahead with shards missing (`--allow-partial`).
    public var partial: Bool

    public init(indices: [Int], count: Int, partial: Bool) {
        self.indices = indices
        self.count = count
        self.partial = partial
    }
}

/// The counts of one image.
public struct ImageRecord: Sendable, Equatable {
    public var id: String
    /// SHA-256 of the ground-truth file's bytes.
    public var groundTruthSHA256: String
    public var predictionSHA256: String
    public var width: Int
    public var height: Int
    public var counts: [ClassCounts]
    /// SHA-256 of the decoded evaluation labels (`LabelHasher`): equal for equal labels whatever
    /// the file encoding. Nil for images read from files written before it existed.
    public var groundTruthLabelsSHA256: String?
    /// The ground-truth file's GeoTIFF tags as stored (not interpreted); nil for files without
    /// them, PNG files and older results files (docs/results-file.md §2.11).
    public var georeferencing: Georeferencing?

    public init(
        id: String, groundTruthSHA256: String, predictionSHA256: String, width: Int, height: Int, counts: [ClassCounts],
        groundTruthLabelsSHA256: String? = nil, georeferencing: Georeferencing? = nil
    ) {
        self.groundTruthLabelsSHA256 = groundTruthLabelsSHA256
        self.georeferencing = georeferencing
        self.id = id
        self.groundTruthSHA256 = groundTruthSHA256
        self.predictionSHA256 = predictionSHA256
        self.width = width
        self.height = height
        self.counts = counts
    }
}

/// How and where a run was made.
public struct Provenance: Sendable, Equatable {
    public var tool: String
    public var version: String
    public var command: [String]
    /// ISO 8601, UTC.
    public var date: String
    public var host: String
    public var checkpointPath: String?
    public var checkpointSHA256: String?
    /// Free-form configuration of the method (inference mode, template, …).
    public var configuration: [(String, String)]
    public var seconds: Double
    public var threads: Int
    /// For model runs: what decided the floating-point bits (nil for scoring runs and older files).
    public var numerics: NumericEnvironment?

    public init(
        tool: String = "ovseg", version: String, command: [String], date: String, host: String,
        checkpointPath: String? = nil, checkpointSHA256: String? = nil, configuration: [(String, String)] = [],
        seconds: Double, threads: Int, numerics: NumericEnvironment? = nil
    ) {
        self.tool = tool
        self.version = version
        self.command = command
        self.date = date
        self.host = host
        self.checkpointPath = checkpointPath
        self.checkpointSHA256 = checkpointSHA256
        self.configuration = configuration
        self.seconds = seconds
        self.threads = threads
        self.numerics = numerics
    }

    public static func == (lhs: Provenance, rhs: Provenance) -> Bool {
        lhs.tool == rhs.tool && lhs.version == rhs.version && lhs.command == rhs.command && lhs.date == rhs.date
            && lhs.host == rhs.host && lhs.checkpointPath == rhs.checkpointPath
            && lhs.checkpointSHA256 == rhs.checkpointSHA256 && lhs.seconds == rhs.seconds && lhs.threads == rhs.threads
            && lhs.numerics == rhs.numerics
            && lhs.configuration.map(\.0) == rhs.configuration.map(\.0)
            && lhs.configuration.map(\.1) == rhs.configuration.map(\.1)
    }
}

/// What decides the last bits of a model run's floating-point results, recorded so that two runs
/// that differ can be told apart by their files (see docs/reproducibility.md).
public struct NumericEnvironment: Sendable, Equatable {
    /// `reproducible` (ovseg's own GEMM kernels: the same bits on every x86-64 CPU and thread
    /// count) or `openblas` (the BLAS's kernel for this CPU).
    public var arithmetic: String
    /// The kernel that ran: the reproducible kernels' instruction set, or OpenBLAS's kernel family.
    public var kernel: String
    /// The BLAS library and version as it reports itself.
    public var blas: String
    /// The CPU's model name.
    public var cpu: String
    /// The x86-64 micro-architecture level the CPU supports (e.g. `x86-64-v3`), or `unknown`.
    public var instructionSet: String
    /// Threads the model ran on (results do not depend on it).
    public var threads: Int

    public init(arithmetic: String, kernel: String, blas: String, cpu: String, instructionSet: String, threads: Int) {
        self.arithmetic = arithmetic
        self.kernel = kernel
        self.blas = blas
        self.cpu = cpu
        self.instructionSet = instructionSet
        self.threads = threads
    }
}

/// The tool's version, recorded in every results file.
public enum OVSegVersion {
    public static let current = "0.1.0"
}
