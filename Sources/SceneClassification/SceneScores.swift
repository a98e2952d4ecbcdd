/// One scored image: its true class, the predicted ranking's first class and where the true
/// class stands in the ranking.
public struct SceneSample: Sendable, Equatable {
    public var image: String
    public var truth: Int
    public var prediction: Int
    /// 1-based position of the true class in the ranking; nil when the ranking does not list it.
    public var rank: Int?
    /// How many classes the prediction ranked (1 for a plain label, K for scores).
    public var rankedCount: Int
    /// The first classes of the ranking (at most `SceneScores.listedRanks`), for reports.
    public var top: [Int]

    public init(image: String, truth: Int, prediction: Int, rank: Int?, rankedCount: Int, top: [Int]) {
        self.image = image
        self.truth = truth
        self.prediction = prediction
        self.rank = rank
        self.rankedCount = rankedCount
        self.top = top
    }
}

/// Precision, recall and F1 of one class (docs/scene-classification.md §3).
public struct SceneClassFigures: Sendable, Equatable {
    /// Images whose true class this is (weighted in a bootstrap resample).
    public var support: UInt64
    /// Images predicted as this class.
    public var predicted: UInt64
    public var truePositives: UInt64
    /// nil for a class in neither the labels nor the predictions (left out of the averages).
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
}

/// Every figure of a scene-classification run, from its samples (docs/scene-classification.md §3).
///
/// Zero division follows scikit-learn's default (`zero_division="warn"`, which yields 0): a class
/// never predicted has precision 0, a class without support recall 0, and F1 is
/// 2·TP / (2·TP + FP + FN), 0 when that denominator is 0. The macro and weighted averages run over
/// the classes present in the labels or the predictions (scikit-learn's default label set).
public struct SceneScores: Sendable, Equatable {
    /// How many classes of the ranking a sample keeps for reports.
    public static let listedRanks = 5

    public var classCount: Int
    /// Number of images (sum of weights in a resample).
    public var images: UInt64
    /// Row-major K×K counts, rows the true class, columns the predicted class.
    public var confusion: [UInt64]
    public var accuracy: Double
    /// Top-5 accuracy: share of images whose true class is among the first five ranked; nil when
    /// some prediction ranks fewer than min(5, K) classes.
    public var top5: Double?
    public var classes: [SceneClassFigures]
    public var macroPrecision: Double
    public var macroRecall: Double
    public var macroF1: Double
    public var weightedPrecision: Double
    public var weightedRecall: Double
    public var weightedF1: Double
    /// Accuracy over images whose true class is seen / unseen (nil without a split or without such images).
    public var seenAccuracy: Double?
    public var unseenAccuracy: Double?
    /// 2·S·U / (S + U); 0 when both are 0; nil when either is undefined.
    public var harmonicMean: Double?

    /// Scores `samples`, each counted `weights[i]` times (all once when nil, as in a bootstrap resample otherwise).
    public init(samples: [SceneSample], classCount k: Int, split: (seen: [Int], unseen: [Int])?, weights: [UInt64]? = nil) {
        classCount = k
        var confusion = [UInt64](repeating: 0, count: k * k)
        var total: UInt64 = 0, correct: UInt64 = 0, inTop5: UInt64 = 0
        var top5Defined = true
        var seenTotal: UInt64 = 0, seenCorrect: UInt64 = 0, unseenTotal: UInt64 = 0, unseenCorrect: UInt64 = 0
        let seen = Set(split?.seen ?? []), unseen = Set(split?.unseen ?? [])
        let depth = min(5, k)
        for (index, sample) in samples.enumerated() {
            let weight = weights?[index] ?? 1
            if sample.rankedCount < depth { top5Defined = false }
            guard weight > 0 else { continue }
            confusion[sample.truth * k + sample.prediction] += weight
            total += weight
            let hit = sample.truth == sample.prediction
            if hit { correct += weight }
            if let rank = sample.rank, rank <= 5 { inTop5 += weight }
            if seen.contains(sample.truth) {
                seenTotal += weight
                if hit { seenCorrect += weight }
            } else if unseen.contains(sample.truth) {
                unseenTotal += weight
                if hit { unseenCorrect += weight }
            }
        }
        images = total
        self.confusion = confusion
        accuracy = total > 0 ? Double(correct) / Double(total) : 0
        top5 = top5Defined && total > 0 ? Double(inTop5) / Double(total) : nil
        var figures: [SceneClassFigures] = []
        for c in 0..<k {
            var support: UInt64 = 0, predicted: UInt64 = 0
            for other in 0..<k {
                support += confusion[c * k + other]
                predicted += confusion[other * k + c]
            }
            let tp = confusion[c * k + c]
            guard support > 0 || predicted > 0 else {
                figures.append(SceneClassFigures(support: 0, predicted: 0, truePositives: 0, precision: nil, recall: nil, f1: nil))
                continue
            }
            let precision = predicted > 0 ? Double(tp) / Double(predicted) : 0
            let recall = support > 0 ? Double(tp) / Double(support) : 0
            let denominator = 2 * tp + (predicted - tp) + (support - tp)
            let f1 = denominator > 0 ? Double(2 * tp) / Double(denominator) : 0
            figures.append(SceneClassFigures(support: support, predicted: predicted, truePositives: tp, precision: precision, recall: recall, f1: f1))
        }
        classes = figures
        let present = figures.filter { $0.precision != nil }
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        macroPrecision = mean(present.map { $0.precision ?? 0 })
        macroRecall = mean(present.map { $0.recall ?? 0 })
        macroF1 = mean(present.map { $0.f1 ?? 0 })
        func weighted(_ value: (SceneClassFigures) -> Double) -> Double {
            guard total > 0 else { return 0 }
            return present.reduce(0) { $0 + Double($1.support) * value($1) } / Double(total)
        }
        weightedPrecision = weighted { $0.precision ?? 0 }
        weightedRecall = weighted { $0.recall ?? 0 }
        weightedF1 = weighted { $0.f1 ?? 0 }
        seenAccuracy = split != nil && seenTotal > 0 ? Double(seenCorrect) / Double(seenTotal) : nil
        unseenAccuracy = split != nil && unseenTotal > 0 ? Double(unseenCorrect) / Double(unseenTotal) : nil
        if let s = seenAccuracy, let u = unseenAccuracy {
            harmonicMean = s + u > 0 ? 2 * s * u / (s + u) : 0
        } else {
            harmonicMean = nil
        }
    }

    /// The count of images of true class `truth` predicted as `predicted`.
    public func count(truth: Int, predicted: Int) -> UInt64 { confusion[truth * classCount + predicted] }
}
