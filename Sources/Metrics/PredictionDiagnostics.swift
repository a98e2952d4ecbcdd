/// Signs, in a run's confusion matrix, that its prediction files were read with the wrong
/// encoding or that many predictions were thrown away as void.
///
/// Two traps give plausible-looking but wrong numbers without any error: accepting
/// out-of-range predictions as void (`--out-of-range-prediction void`) when they are in fact
/// a whole shifted encoding, and reading mmseg's `pred + 1` files as class ids on a dataset
/// whose last class happens to be absent. Both leave traces in the counts: voided pixels, and
/// a confusion matrix whose mass sits one column right of the diagonal.
public struct PredictionReadingDiagnostics: Sendable, Equatable {
    /// A void share above this is worth a warning (1 %).
    public static let voidShareLimit = 0.01
    /// Shifted agreement must reach this share of the evaluated pixels…
    public static let shiftedAgreementMinimum = 0.25
    /// …and be this many times the agreement as read, for the predictions to look shifted. A real
    /// `pred + 1` file read as ids matches only where the model confused class g with g − 1, a few
    /// percent; a model that collapses classes onto their neighbours (ovseg's simulated
    /// seen-collapse: 61 % one class up, 31 % right) stays well below the factor.
    public static let shiftedAgreementFactor = 4.0

    /// Pixels with an evaluated ground truth.
    public let evaluatedPixels: UInt64
    /// Of those, pixels whose predicted value stood for no class and was kept as void.
    public let voidPixels: UInt64
    /// Of those, pixels predicted as their own ground-truth class (the matrix's trace).
    public let matchingPixels: UInt64
    /// Of those, pixels of class g predicted as class g + 1, plus the void predictions on the
    /// last class (where `pred + 1` files put the value K, which is no class).
    public let shiftedByOnePixels: UInt64

    /// Evaluated pixels per ground-truth class (the matrix's rows).
    public let groundTruthPixels: [UInt64]
    /// Evaluated pixels per predicted class (its columns, voids left out).
    public let predictedPixels: [UInt64]

    public init(matrix: ConfusionMatrix) {
        let k = matrix.classCount
        evaluatedPixels = matrix.evaluatedPixels
        voidPixels = matrix.voidPredictions.reduce(0, +)
        var matching: UInt64 = 0
        var shifted: UInt64 = matrix.voidPredictions[k - 1]
        var rows = [UInt64](repeating: 0, count: k), columns = [UInt64](repeating: 0, count: k)
        for g in 0..<k {
            matching += matrix[g, g]
            if g + 1 < k { shifted += matrix[g, g + 1] }
            rows[g] += matrix.voidPredictions[g]
            for p in 0..<k {
                rows[g] += matrix[g, p]
                columns[p] += matrix[g, p]
            }
        }
        matchingPixels = matching
        shiftedByOnePixels = shifted
        groundTruthPixels = rows
        predictedPixels = columns
    }

    /// A predicted share above this for one class is "nearly all" (95 %)…
    public static let dominantShareMinimum = 0.95
    /// …worth a warning when that class holds less than this share of the ground truth.
    public static let dominantGroundTruthMaximum = 0.5
    /// Predictions on classes absent from the ground truth above this share are worth a warning.
    public static let absentClassShareLimit = 0.5

    /// The class predicted on at least `dominantShareMinimum` of the evaluated pixels while
    /// holding less than `dominantGroundTruthMaximum` of the ground truth (with at least two
    /// classes in the ground truth): a constant or binary output, not a model's map.
    public var dominantClass: Int? {
        guard evaluatedPixels > 0, groundTruthPixels.filter({ $0 > 0 }).count > 1,
            let top = predictedPixels.indices.max(by: { predictedPixels[$0] < predictedPixels[$1] })
        else { return nil }
        let total = Double(evaluatedPixels)
        guard Double(predictedPixels[top]) >= Self.dominantShareMinimum * total,
            Double(groundTruthPixels[top]) < Self.dominantGroundTruthMaximum * total
        else { return nil }
        return top
    }

    /// Evaluated pixels predicted as a class that never occurs in the ground truth.
    public var absentClassPixels: UInt64 {
        predictedPixels.indices.filter { groundTruthPixels[$0] == 0 }.reduce(0) { $0 + predictedPixels[$1] }
    }

    /// True when more than `absentClassShareLimit` of the evaluated pixels went to absent classes.
    public var absentClassesHoldMost: Bool { (share(absentClassPixels) ?? 0) > Self.absentClassShareLimit }

    /// True when the predicted class histogram is the ground truth's moved one class up (the
    /// last class into void) far more closely than as read: a quarter of the L1 distance, which
    /// itself is at least `shiftedAgreementMinimum` of the pixels. Catches `pred + 1` files of a
    /// model too weak for `looksShiftedByOne`, whose agreement is low either way.
    public var histogramLooksShiftedByOne: Bool {
        let k = groundTruthPixels.count
        guard evaluatedPixels > 0, k > 1 else { return false }
        var asRead: UInt64 = voidPixels, shifted: UInt64 = predictedPixels[0]
        for c in 0..<k {
            asRead += Self.distance(predictedPixels[c], groundTruthPixels[c])
            let next = c + 1 < k ? predictedPixels[c + 1] : voidPixels
            shifted += Self.distance(next, groundTruthPixels[c])
        }
        return Double(asRead) >= Self.shiftedAgreementMinimum * Double(evaluatedPixels) && 4 * shifted < asRead
    }

    private static func distance(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : b - a }

    /// voidPixels / evaluatedPixels; nil when nothing was evaluated.
    public var voidShare: Double? { share(voidPixels) }
    /// matchingPixels / evaluatedPixels (the pixel accuracy); nil when nothing was evaluated.
    public var matchingShare: Double? { share(matchingPixels) }
    /// shiftedByOnePixels / evaluatedPixels; nil when nothing was evaluated.
    public var shiftedByOneShare: Double? { share(shiftedByOnePixels) }

    /// True when more than `voidShareLimit` of the evaluated pixels were voided.
    public var voidShareIsLarge: Bool { (voidShare ?? 0) > Self.voidShareLimit }

    /// True when the predictions agree with the ground truth far better one class up than as
    /// read: at least `shiftedAgreementMinimum` of the pixels, and `shiftedAgreementFactor`
    /// times the pixels that match as read.
    public var looksShiftedByOne: Bool {
        guard let shifted = shiftedByOneShare, let matching = matchingShare else { return false }
        return shifted >= Self.shiftedAgreementMinimum && shifted > Self.shiftedAgreementFactor * matching
    }

    private func share(_ pixels: UInt64) -> Double? {
        evaluatedPixels == 0 ? nil : Double(pixels) / Double(evaluatedPixels)
    }
}

/// How well one image's raw predicted values fit its ground truth when read as `id + shift`.
///
/// Used to name the likely cause when a prediction file holds values that are not class ids:
/// mmseg's `reduce_zero_label` output (`shift` 1) fits its ground truth far better shifted
/// than as it is, a file of class ids with a few stray values does not.
public struct ShiftEvidence: Sendable, Equatable {
    /// The shift tested: raw value = class id + shift.
    public let shift: Int
    /// Pixels with an evaluated ground truth.
    public let evaluatedPixels: Int
    /// Of those, pixels whose raw predicted value is their ground-truth id + shift.
    public let matchingPixels: Int
    /// L1 distance, in pixels, between the ground truth's class histogram and the histogram of
    /// raw − shift over the evaluated pixels (a value that is no class counts in full).
    public let histogramDistance: Int

    /// - Parameters:
    ///   - groundTruthIDs: evaluation class per pixel, −1 where not evaluated.
    ///   - raw: the prediction file's values, same length.
    public init(groundTruthIDs: [Int32], raw: [UInt16], classCount: Int, shift: Int) {
        self.shift = shift
        var groundTruthHistogram = [Int](repeating: 0, count: classCount)
        var predictedHistogram = [Int](repeating: 0, count: classCount)
        var outside = 0
        var evaluated = 0
        var matching = 0
        for (g, value) in zip(groundTruthIDs, raw) where g >= 0 {
            evaluated += 1
            groundTruthHistogram[Int(g)] += 1
            let id = Int(value) - shift
            if id == Int(g) { matching += 1 }
            if id >= 0 && id < classCount { predictedHistogram[id] += 1 } else { outside += 1 }
        }
        evaluatedPixels = evaluated
        matchingPixels = matching
        histogramDistance = outside + zip(groundTruthHistogram, predictedHistogram).reduce(0) { $0 + abs($1.0 - $1.1) }
    }

    /// matchingPixels / evaluatedPixels; nil when nothing was evaluated.
    public var matchingShare: Double? {
        evaluatedPixels == 0 ? nil : Double(matchingPixels) / Double(evaluatedPixels)
    }

    /// True when this reading fits the ground truth better than `other`: more pixels match, or
    /// as many and the class histograms are closer. False when nothing was evaluated.
    public func fitsBetter(than other: ShiftEvidence) -> Bool {
        guard evaluatedPixels > 0 else { return false }
        if matchingPixels != other.matchingPixels { return matchingPixels > other.matchingPixels }
        return histogramDistance < other.histogramDistance
    }
}
