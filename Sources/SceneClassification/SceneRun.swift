import Harness
import Metrics
import Vocabulary

/// Everything a scene-classification results file holds (docs/scene-classification.md §4). The
/// per-image samples are the source of truth: every figure is recomputed from them on reading.
public struct SceneRunRecord: Sendable, Equatable {
    public static let schema = "ovseg-scene-results/1"
    public static let kind = "scene-classification"

    public var method: String
    public var vocabularyKey: String
    public var vocabularyName: String
    public var vocabularyFingerprint: String
    /// Class names in id order.
    public var classNames: [String]
    public var split: ClassSplit?
    public var labelsPath: String
    public var labelsFormat: String
    public var labelsFileSHA256: String
    public var predictionsPath: String
    public var predictionsFormat: String
    public var predictionsFileSHA256: String
    /// Sorted by image id.
    public var samples: [SceneSample]
    public var provenance: Provenance

    public init(
        method: String, vocabularyKey: String, vocabularyName: String, vocabularyFingerprint: String, classNames: [String],
        split: ClassSplit?, labelsPath: String, labelsFormat: String, labelsFileSHA256: String, predictionsPath: String,
        predictionsFormat: String, predictionsFileSHA256: String, samples: [SceneSample], provenance: Provenance
    ) {
        self.method = method
        self.vocabularyKey = vocabularyKey
        self.vocabularyName = vocabularyName
        self.vocabularyFingerprint = vocabularyFingerprint
        self.classNames = classNames
        self.split = split
        self.labelsPath = labelsPath
        self.labelsFormat = labelsFormat
        self.labelsFileSHA256 = labelsFileSHA256
        self.predictionsPath = predictionsPath
        self.predictionsFormat = predictionsFormat
        self.predictionsFileSHA256 = predictionsFileSHA256
        self.samples = samples.sorted { $0.image < $1.image }
        self.provenance = provenance
    }

    public var classCount: Int { classNames.count }

    /// All figures of the run.
    public var scores: SceneScores {
        SceneScores(samples: samples, classCount: classCount, split: split.map { ($0.seenIDs, $0.unseenIDs) })
    }

    /// The fewest classes any prediction ranked (1 for plain labels).
    public var minimumRankedCount: Int { samples.map(\.rankedCount).min() ?? 0 }

    /// Fingerprint of the ground truth: SHA-256 over the sorted lines `image<TAB>class name\n`,
    /// prefixed `scene-labels-sha256:`; the same labels in CSV or JSON, by name or id, give the same value.
    public var labelsFingerprint: String {
        "scene-labels-sha256:" + Fingerprint.sha256(Array(samples.map { "\($0.image)\t\(classNames[$0.truth])\n" }.joined().utf8))
    }

    /// Fingerprint of the predictions: SHA-256 over the sorted lines `image<TAB>first ranked class names joined by ;\n`.
    public var predictionsFingerprint: String {
        "scene-predictions-sha256:" + Fingerprint.sha256(Array(samples.map {
            "\($0.image)\t\($0.top.map { classNames[$0] }.joined(separator: ";"))\t\($0.rank.map(String.init) ?? "-")\n"
        }.joined().utf8))
    }
}

/// Matches labels with predictions and builds the run (docs/scene-classification.md §2).
public enum SceneScorer {
    public static func score(
        labels: SceneLabels, predictions: ScenePredictions, vocabulary: SceneVocabulary, split: ClassSplit?, method: String,
        command: [String], date: String, host: String, seconds: Double
    ) throws(SceneClassificationError) -> SceneRunRecord {
        var samples: [SceneSample] = []
        var missing: [(image: String, place: String)] = []
        let labelled = Set(labels.entries.map(\.image))
        for (image, place) in predictions.places.sorted(by: { $0.key < $1.key }) where !labelled.contains(image) {
            throw SceneClassificationError(.predictions,
                "\(predictions.path): \(place): image '\(image)' has no label in \(labels.path) (an extra prediction)")
        }
        for entry in labels.entries {
            guard let ranking = predictions.rankings[entry.image] else {
                missing.append((entry.image, entry.place))
                continue
            }
            let rank = ranking.firstIndex(of: entry.classID).map { $0 + 1 }
            samples.append(SceneSample(
                image: entry.image, truth: entry.classID, prediction: ranking[0], rank: rank, rankedCount: ranking.count,
                top: Array(ranking.prefix(SceneScores.listedRanks))))
        }
        if let first = missing.first {
            throw SceneClassificationError(.predictions,
                "\(predictions.path): no prediction for image '\(first.image)' (\(labels.path) \(first.place)); "
                    + "\(missing.count) of \(labels.entries.count) labelled images have none")
        }
        return SceneRunRecord(
            method: method, vocabularyKey: vocabulary.key, vocabularyName: vocabulary.name, vocabularyFingerprint: vocabulary.fingerprint,
            classNames: vocabulary.classes.map(\.name), split: split, labelsPath: labels.path, labelsFormat: labels.format,
            labelsFileSHA256: labels.fileSHA256, predictionsPath: predictions.path, predictionsFormat: predictions.format,
            predictionsFileSHA256: predictions.fileSHA256, samples: samples,
            provenance: Provenance(version: OVSegVersion.current, command: command, date: date, host: host, seconds: seconds, threads: 1))
    }
}

/// Percentile bootstrap intervals of a scene run's headline figures, images resampled with
/// replacement by `Metrics`' generator (docs/scene-classification.md §5).
public struct SceneBootstrap: Sendable, Equatable {
    public enum Figure: String, Sendable, CaseIterable {
        case accuracy = "top-1 accuracy"
        case top5 = "top-5 accuracy"
        case macroF1 = "macro F1"
        case weightedF1 = "weighted F1"
        case seen = "seen accuracy"
        case unseen = "unseen accuracy"
        case harmonic = "harmonic mean"

        func value(_ scores: SceneScores) -> Double? {
            switch self {
            case .accuracy: scores.accuracy
            case .top5: scores.top5
            case .macroF1: scores.macroF1
            case .weightedF1: scores.weightedF1
            case .seen: scores.seenAccuracy
            case .unseen: scores.unseenAccuracy
            case .harmonic: scores.harmonicMean
            }
        }
    }

    public var configuration: BootstrapConfiguration
    public var intervals: [Figure: ConfidenceInterval]
    /// Per class: the recall interval (classes without support in the run have none).
    public var classRecall: [ConfidenceInterval?]

    /// Draws `configuration.resamples` resamples of the run's images: each draws n images with
    /// replacement (xoshiro256**, the same draw as `Bootstrap.run`), and every figure is recomputed.
    public static func run(_ record: SceneRunRecord, configuration: BootstrapConfiguration) throws(SceneClassificationError) -> SceneBootstrap {
        let n = record.samples.count
        guard n > 0 else { throw SceneClassificationError(.setting, "the bootstrap needs at least one image") }
        guard configuration.resamples > 0, configuration.level > 0, configuration.level < 1 else {
            throw SceneClassificationError(.setting, "the bootstrap needs at least one resample and a level strictly between 0 and 1")
        }
        let split = record.split.map { ($0.seenIDs, $0.unseenIDs) }
        var generator = Xoshiro256StarStar(seed: configuration.seed)
        var weights = [UInt64](repeating: 0, count: n)
        var values: [Figure: [Double]] = [:]
        var recalls = [[Double]](repeating: [], count: record.classCount)
        for _ in 0..<configuration.resamples {
            for i in 0..<n { weights[i] = 0 }
            for _ in 0..<n { weights[Int(generator.next(below: UInt64(n)))] += 1 }
            let scores = SceneScores(samples: record.samples, classCount: record.classCount, split: split, weights: weights)
            for figure in Figure.allCases {
                if let value = figure.value(scores) { values[figure, default: []].append(value) }
            }
            for (c, figures) in scores.classes.enumerated() where figures.support > 0 {
                if let recall = figures.recall { recalls[c].append(recall) }
            }
        }
        var intervals: [Figure: ConfidenceInterval] = [:]
        for (figure, samples) in values {
            intervals[figure] = Bootstrap.percentileInterval(samples, level: configuration.level)
        }
        let full = record.scores
        return SceneBootstrap(
            configuration: configuration, intervals: intervals,
            classRecall: recalls.enumerated().map { full.classes[$0.offset].support > 0 ? Bootstrap.percentileInterval($0.element, level: configuration.level) : nil })
    }
}
