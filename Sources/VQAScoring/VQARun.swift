import Foundation
import Harness

/// One scored question as a results file keeps it.
public struct VQAQuestionRecord: Sendable, Equatable {
    public var id: String
    public var image: String
    public var type: String
    public var question: String
    /// The reference answer as written, and normalised.
    public var answer: String
    public var answerNormalized: String
    /// The prediction as written (nil when missing and counted as wrong), and normalised.
    public var prediction: String?
    public var predictionNormalized: String?

    /// Normalised exact match; a missing prediction is wrong.
    public var correct: Bool { predictionNormalized.map { $0 == answerNormalized } ?? false }

    public init(
        id: String, image: String, type: String, question: String, answer: String, answerNormalized: String,
        prediction: String?, predictionNormalized: String?
    ) {
        self.id = id
        self.image = image
        self.type = type
        self.question = question
        self.answer = answer
        self.answerNormalized = answerNormalized
        self.prediction = prediction
        self.predictionNormalized = predictionNormalized
    }
}

/// The choices that change a VQA run's numbers, recorded with them.
public struct VQAPolicy: Sendable, Equatable {
    public var normalizer: AnswerNormalizer
    /// Missing predictions counted as wrong answers instead of being an error.
    public var missingAsWrong: Bool

    public init(normalizer: AnswerNormalizer, missingAsWrong: Bool) {
        self.normalizer = normalizer
        self.missingAsWrong = missingAsWrong
    }

    /// The normalisation steps in words, written in the results file (docs/vqa.md §3).
    public static let normalizationDefinition =
        "lower-case; whitespace trimmed and collapsed; one trailing ?, . or ! removed; number words zero..twenty "
        + "to digits; integers with a zero fraction to integers; counts (type count) to count buckets when set; "
        + "areas <n>m2 / <n> m² to <n>m2, then to area buckets when set; no synonyms, articles kept"
}

/// Accuracy of one question type, with its confusion matrix when the type's answers form a closed
/// set (docs/vqa.md §4).
public struct VQATypeScores: Sendable, Equatable {
    public var type: String
    public var questions: Int
    public var correct: Int
    /// Rows: reference answer, columns: predicted answer, both in `labels` order; the last column
    /// counts predictions outside the set (and missing ones). nil for open types.
    public var confusion: VQAConfusion?

    public var accuracy: Double? { questions > 0 ? Double(correct) / Double(questions) : nil }
}

public struct VQAConfusion: Sendable, Equatable {
    public var labels: [String]
    /// labels.count rows of labels.count + 1 counts (the last: any other or missing prediction).
    public var counts: [[Int]]
    /// References outside `labels` (counted in the type's accuracy, not in the matrix).
    public var otherReferences: Int
}

/// The figures of a VQA run, all derived from the per-question records (docs/vqa.md §4).
public struct VQAScores: Sendable, Equatable {
    public var questions: Int
    public var correct: Int
    /// One entry per question type, sorted by name.
    public var types: [VQATypeScores]

    /// Overall accuracy: correct / questions over all questions.
    public var overallAccuracy: Double? { questions > 0 ? Double(correct) / Double(questions) : nil }
    /// Average accuracy: the unweighted mean of the per-type accuracies (RSVQA's "AA").
    public var averageAccuracy: Double? {
        let values = types.compactMap(\.accuracy)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    public init(records: [VQAQuestionRecord], normalizer: AnswerNormalizer) {
        questions = records.count
        correct = records.filter(\.correct).count
        var byType: [String: [VQAQuestionRecord]] = [:]
        for record in records { byType[record.type, default: []].append(record) }
        types = byType.keys.sorted().map { type in
            let items = byType[type] ?? []
            var confusion: VQAConfusion?
            if let labels = normalizer.closedAnswers(of: type) {
                let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
                var counts = Array(repeating: Array(repeating: 0, count: labels.count + 1), count: labels.count)
                var other = 0
                for item in items {
                    guard let row = index[item.answerNormalized] else { other += 1; continue }
                    let column = item.predictionNormalized.flatMap { index[$0] } ?? labels.count
                    counts[row][column] += 1
                }
                confusion = VQAConfusion(labels: labels, counts: counts, otherReferences: other)
            }
            return VQATypeScores(type: type, questions: items.count, correct: items.filter(\.correct).count, confusion: confusion)
        }
    }
}

/// Everything a VQA results file holds (docs/vqa.md §5). The per-question records are the source
/// of truth: every figure is recomputed from them on reading.
public struct VQARunRecord: Sendable, Equatable {
    public static let schema = "ovseg-vqa-results/1"
    public static let kind = "vqa"

    public var method: String
    public var groundTruthPaths: [String]
    public var groundTruthFormat: String
    public var groundTruthFileSHA256: [String]
    public var groundTruthFingerprint: String
    public var predictionPath: String
    public var predictionFormat: String
    public var predictionFileSHA256: String
    public var predictionsFingerprint: String
    public var policy: VQAPolicy
    /// Questions without a prediction, counted as wrong (`missingAsWrong`), sorted.
    public var missingPredictions: [String]
    /// Sorted by id.
    public var questions: [VQAQuestionRecord]
    public var provenance: Provenance

    public var scores: VQAScores { VQAScores(records: questions, normalizer: policy.normalizer) }

    public init(
        method: String, groundTruthPaths: [String], groundTruthFormat: String, groundTruthFileSHA256: [String],
        groundTruthFingerprint: String, predictionPath: String, predictionFormat: String, predictionFileSHA256: String,
        predictionsFingerprint: String, policy: VQAPolicy, missingPredictions: [String], questions: [VQAQuestionRecord],
        provenance: Provenance
    ) {
        self.method = method
        self.groundTruthPaths = groundTruthPaths
        self.groundTruthFormat = groundTruthFormat
        self.groundTruthFileSHA256 = groundTruthFileSHA256
        self.groundTruthFingerprint = groundTruthFingerprint
        self.predictionPath = predictionPath
        self.predictionFormat = predictionFormat
        self.predictionFileSHA256 = predictionFileSHA256
        self.predictionsFingerprint = predictionsFingerprint
        self.policy = policy
        self.missingPredictions = missingPredictions
        self.questions = questions
        self.provenance = provenance
    }
}

/// Scores predictions against ground truth (docs/vqa.md §4).
public enum VQAScorer {
    public static func score(
        groundTruth: VQAGroundTruth, predictions: VQAPredictions, policy: VQAPolicy, method: String,
        command: [String] = Provenance.invocation
    ) throws(VQAError) -> VQARunRecord {
        let start = Date()
        let known = Set(groundTruth.questions.map(\.id))
        if let unknown = predictions.answers.keys.filter({ !known.contains($0) }).sorted(by: VQAIdentifier.less).first {
            let extra = predictions.answers.keys.filter { !known.contains($0) }.count
            throw VQAError(.predictions, "\(predictions.path): question \"\(unknown)\" is not in the ground truth"
                + (extra > 1 ? " (nor are \(extra - 1) other ids)" : ""))
        }
        var records: [VQAQuestionRecord] = []
        var missing: [String] = []
        let normalizer = policy.normalizer
        for question in groundTruth.questions {
            let prediction = predictions.answers[question.id]
            if prediction == nil {
                guard policy.missingAsWrong else {
                    let count = groundTruth.questions.filter { predictions.answers[$0.id] == nil }.count
                    throw VQAError(.missingPrediction, "\(predictions.path): no prediction for question \"\(question.id)\""
                        + (count > 1 ? " (\(count) questions have none)" : ""))
                }
                missing.append(question.id)
            }
            records.append(VQAQuestionRecord(
                id: question.id, image: question.image, type: question.type, question: question.question,
                answer: question.answer, answerNormalized: normalizer.normalize(question.answer, type: question.type),
                prediction: prediction, predictionNormalized: prediction.map { normalizer.normalize($0, type: question.type) }))
        }
        return VQARunRecord(
            method: method, groundTruthPaths: groundTruth.paths, groundTruthFormat: groundTruth.format.rawValue,
            groundTruthFileSHA256: groundTruth.fileSHA256, groundTruthFingerprint: groundTruth.fingerprint,
            predictionPath: predictions.path, predictionFormat: predictions.format.rawValue,
            predictionFileSHA256: predictions.fileSHA256, predictionsFingerprint: predictions.fingerprint, policy: policy,
            missingPredictions: missing, questions: records,
            provenance: Provenance(
                version: OVSegVersion.current, command: command, date: Provenance.now(),
                host: ProcessInfo.processInfo.hostName, seconds: Date().timeIntervalSince(start), threads: 1))
    }
}
