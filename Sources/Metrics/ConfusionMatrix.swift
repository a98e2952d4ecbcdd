/// The exact pixel counts from which every metric is computed.
///
/// Rows are ground-truth classes, columns predicted classes, over the evaluated
/// pixels only (ground truth not ignored and in range). Counts are `UInt64`, so
/// matrices from images, shards or workers add exactly and in any order.
///
/// Two side vectors keep the opt-in out-of-range policies exact as well:
/// `voidPredictions[g]` counts pixels of ground-truth class `g` whose prediction
/// was out of range and was kept as a "void" prediction (they count in the
/// class's ground-truth area, never in any predicted area), and
/// `predictionsOnUnlabeled[p]` counts predictions of class `p` on pixels whose
/// ground truth was out of range under the mmseg-compatible policy (they count
/// in the predicted area, never in any ground-truth area).
public struct ConfusionMatrix: Sendable, Equatable, Hashable {
    /// Number of classes K.
    public let classCount: Int
    /// K×K counts, row-major: `counts[g * K + p]`.
    public private(set) var counts: [UInt64]
    /// Per ground-truth class: pixels whose out-of-range prediction was kept as void.
    public private(set) var voidPredictions: [UInt64]
    /// Per predicted class: predictions on pixels whose ground truth was out of range (mmseg-compatible policy).
    public private(set) var predictionsOnUnlabeled: [UInt64]
    /// Pixels with ignored ground truth whose prediction is no class of the vocabulary. They are
    /// not evaluated (mmseg accepts them too), but are counted so a results file shows them: a
    /// model writing 255 or an offset id where the labels are ignored often writes it elsewhere too.
    public var outOfRangePredictionsOnIgnored: UInt64 = 0

    /// An all-zero matrix for `classCount` classes.
    public init(classCount: Int) {
        precondition(classCount > 0, "a confusion matrix needs at least one class")
        self.classCount = classCount
        self.counts = [UInt64](repeating: 0, count: classCount * classCount)
        self.voidPredictions = [UInt64](repeating: 0, count: classCount)
        self.predictionsOnUnlabeled = [UInt64](repeating: 0, count: classCount)
    }

    /// A matrix from stored counts, e.g. read back from a results file.
    public init(
        classCount: Int, counts: [UInt64],
        voidPredictions: [UInt64]? = nil, predictionsOnUnlabeled: [UInt64]? = nil
    ) throws(MetricsError) {
        guard classCount > 0 else { throw MetricsError("a confusion matrix needs at least one class") }
        guard counts.count == classCount * classCount else {
            throw MetricsError(
                "a confusion matrix for \(classCount) classes needs \(classCount * classCount) counts, found \(counts.count)")
        }
        let void = voidPredictions ?? [UInt64](repeating: 0, count: classCount)
        let unlabeled = predictionsOnUnlabeled ?? [UInt64](repeating: 0, count: classCount)
        guard void.count == classCount, unlabeled.count == classCount else {
            throw MetricsError("side vectors of a confusion matrix must have \(classCount) entries")
        }
        self.classCount = classCount
        self.counts = counts
        self.voidPredictions = void
        self.predictionsOnUnlabeled = unlabeled
    }

    /// The count of pixels with ground truth `groundTruth` predicted as `predicted`.
    public subscript(groundTruth: Int, predicted: Int) -> UInt64 {
        get { counts[groundTruth * classCount + predicted] }
        set { counts[groundTruth * classCount + predicted] = newValue }
    }

    /// The K×K cells for counting in place (`PixelCounter`); the caller keeps them exact.
    mutating func withUnsafeMutableCells<Result>(_ body: (UnsafeMutableBufferPointer<UInt64>) -> Result) -> Result {
        counts.withUnsafeMutableBufferPointer { body($0) }
    }

    /// Records a void prediction on a pixel of ground-truth class `groundTruth`.
    public mutating func addVoidPrediction(groundTruth: Int, count: UInt64 = 1) {
        voidPredictions[groundTruth] += count
    }

    /// Records a prediction of class `predicted` on a pixel with out-of-range ground truth.
    public mutating func addPredictionOnUnlabeled(predicted: Int, count: UInt64 = 1) {
        predictionsOnUnlabeled[predicted] += count
    }

    /// Adds another matrix of the same size, cell by cell.
    public mutating func add(_ other: ConfusionMatrix) throws(MetricsError) {
        guard other.classCount == classCount else {
            throw MetricsError("cannot add a \(other.classCount)-class matrix to a \(classCount)-class matrix")
        }
        // Checked first, so a failed addition leaves the matrix unchanged.
        var sum = self
        var overflow = false
        for i in counts.indices {
            let (value, over) = counts[i].addingReportingOverflow(other.counts[i])
            sum.counts[i] = value
            overflow = overflow || over
        }
        for i in 0..<classCount {
            let void = voidPredictions[i].addingReportingOverflow(other.voidPredictions[i])
            let unlabeled = predictionsOnUnlabeled[i].addingReportingOverflow(other.predictionsOnUnlabeled[i])
            sum.voidPredictions[i] = void.partialValue
            sum.predictionsOnUnlabeled[i] = unlabeled.partialValue
            overflow = overflow || void.overflow || unlabeled.overflow
        }
        let ignored = outOfRangePredictionsOnIgnored.addingReportingOverflow(other.outOfRangePredictionsOnIgnored)
        sum.outOfRangePredictionsOnIgnored = ignored.partialValue
        guard !overflow, !ignored.overflow else { throw MetricsError("the summed counts exceed 2^64 − 1 pixels") }
        self = sum
    }

    /// Sum of two matrices.
    public static func + (lhs: ConfusionMatrix, rhs: ConfusionMatrix) throws(MetricsError) -> ConfusionMatrix {
        var sum = lhs
        try sum.add(rhs)
        return sum
    }

    /// Per-class true positives, ground-truth areas and predicted areas.
    public var classCounts: [ClassCounts] {
        let k = classCount
        var groundTruth = voidPredictions
        var predicted = predictionsOnUnlabeled
        var truePositives = [UInt64](repeating: 0, count: k)
        counts.withUnsafeBufferPointer { cells in
            for g in 0..<k {
                var rowSum: UInt64 = 0
                for p in 0..<k {
                    let value = cells[g * k + p]
                    rowSum += value
                    predicted[p] += value
                }
                groundTruth[g] += rowSum
                truePositives[g] = cells[g * k + g]
            }
        }
        return (0..<k).map {
            ClassCounts(truePositives: truePositives[$0], groundTruth: groundTruth[$0], predicted: predicted[$0])
        }
    }

    /// Total evaluated pixels (pixels with an in-range, non-ignored ground truth).
    public var evaluatedPixels: UInt64 {
        counts.reduce(0, +) + voidPredictions.reduce(0, +)
    }
}

/// The three numbers per class that every metric derives from.
public struct ClassCounts: Sendable, Equatable, Hashable, Codable {
    /// Pixels of the class predicted as the class (TP).
    public var truePositives: UInt64
    /// Pixels whose ground truth is the class (TP + FN), the class's support.
    public var groundTruth: UInt64
    /// Evaluated pixels predicted as the class (TP + FP).
    public var predicted: UInt64

    public init(truePositives: UInt64, groundTruth: UInt64, predicted: UInt64) {
        self.truePositives = truePositives
        self.groundTruth = groundTruth
        self.predicted = predicted
    }

    /// FP = predicted − TP.
    public var falsePositives: UInt64 { predicted - truePositives }
    /// FN = ground truth − TP.
    public var falseNegatives: UInt64 { groundTruth - truePositives }
    /// |GT ∪ prediction| = TP + FP + FN.
    public var union: UInt64 { groundTruth + predicted - truePositives }

    /// TP / (TP + FP + FN); `nil` when the union is empty.
    public var iou: Double? {
        union == 0 ? nil : Double(truePositives) / Double(union)
    }
    /// Per-class accuracy (recall) TP / GT; `nil` when the class is absent from the ground truth.
    public var accuracy: Double? {
        groundTruth == 0 ? nil : Double(truePositives) / Double(groundTruth)
    }
    /// Precision TP / predicted; `nil` when never predicted.
    public var precision: Double? {
        predicted == 0 ? nil : Double(truePositives) / Double(predicted)
    }
    /// F1 / Dice 2TP / (GT + predicted); `nil` when both are zero.
    public var dice: Double? {
        groundTruth + predicted == 0 ? nil : 2 * Double(truePositives) / Double(groundTruth + predicted)
    }
}

/// A metrics computation that cannot proceed, with a message for a person.
public struct MetricsError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
