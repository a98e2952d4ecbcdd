/// Paired percentile bootstrap over images (docs/metrics.md §9).
///
/// The unit is the image: each resample draws n images with replacement, which is the same as
/// giving every image a multinomial weight (how often it was drawn). Dataset-level counts of a
/// resample are then Σ weight × per-image (TP, GT, pred), so no image is copied. Every method is
/// resampled with the *same* weights, so differences against a baseline are paired.
///
/// The generator is xoshiro256** seeded through SplitMix64 with our own bounded draw, so a seed
/// gives the same intervals on every platform and Swift version.
public enum Bootstrap {
    /// Resamples all `methods` with shared weights and summarises each metric, each class's IoU
    /// and each paired difference against `methods[baseline]`.
    ///
    /// - Parameters:
    ///   - methods: per-image counts of each method, on the same images in the same order.
    ///   - baseline: index of the method the others are compared with.
    ///   - seen, unseen: class ids of the split, or nil for a run without a split.
    ///   - policy: the presence policy the means use (as in `Scores`).
    public static func run(
        methods: [ImageCountTable], baseline: Int, seen: [Int]?, unseen: [Int]?,
        policy: PresencePolicy, configuration: BootstrapConfiguration = BootstrapConfiguration()
    ) throws(MetricsError) -> BootstrapResult {
        guard let first = methods.first else { throw MetricsError("the bootstrap needs at least one method") }
        guard methods.indices.contains(baseline) else { throw MetricsError("baseline index \(baseline) is out of range") }
        let n = first.imageCount
        let k = first.classCount
        for table in methods where table.imageCount != n || table.classCount != k {
            throw MetricsError(
                "paired bootstrap needs the same images and classes for every method: \(n) images × \(k) classes vs "
                    + "\(table.imageCount) × \(table.classCount)")
        }
        guard n > 0 else { throw MetricsError("the bootstrap needs at least one image") }
        guard configuration.resamples > 0 else { throw MetricsError("the bootstrap needs at least one resample") }
        guard configuration.level > 0 && configuration.level < 1 else {
            throw MetricsError("the confidence level must lie strictly between 0 and 1, got \(configuration.level)")
        }

        let b = configuration.resamples
        let m = methods.count
        // samples[method][metric][resample], nil when undefined in that resample.
        var samples = [[[Double?]]](
            repeating: [[Double?]](repeating: [], count: BootstrapMetric.allCases.count), count: m)
        var undefinedCounts = [[Int]](repeating: [Int](repeating: 0, count: k), count: m)
        // classSamples[method][class]: the class's IoU in the resamples where it was defined.
        var classSamples = [[[Double]]](repeating: [[Double]](repeating: [], count: k), count: m)
        var generator = Xoshiro256StarStar(seed: configuration.seed)
        var weights = [UInt64](repeating: 0, count: n)
        var sums = [UInt64](repeating: 0, count: k * 3)

        for _ in 0..<b {
            for i in 0..<n { weights[i] = 0 }
            for _ in 0..<n { weights[Int(generator.next(below: UInt64(n)))] += 1 }
            for (methodIndex, table) in methods.enumerated() {
                table.weightedSums(weights: weights, into: &sums)
                let counts = (0..<k).map {
                    ClassCounts(truePositives: sums[$0 * 3], groundTruth: sums[$0 * 3 + 1], predicted: sums[$0 * 3 + 2])
                }
                let scores = Scores(classCounts: counts, policy: policy)
                for c in 0..<k {
                    if let iou = scores.classIoU[c] {
                        classSamples[methodIndex][c].append(iou)
                    } else {
                        undefinedCounts[methodIndex][c] += 1
                    }
                }
                let values = BootstrapMetric.values(of: scores, seen: seen, unseen: unseen)
                for (metricIndex, value) in values.enumerated() { samples[methodIndex][metricIndex].append(value) }
            }
        }

        let summaries = (0..<m).map { methodIndex in
            MethodBootstrap(
                intervals: BootstrapMetric.allCases.indices.map { metricIndex in
                    percentileInterval(samples[methodIndex][metricIndex].compactMap { $0 }, level: configuration.level)
                },
                undefinedClassResamples: undefinedCounts[methodIndex],
                classIntervals: classSamples[methodIndex].map { percentileInterval($0, level: configuration.level) })
        }
        let differences = (0..<m).map { methodIndex in
            BootstrapMetric.allCases.indices.map { metricIndex -> PairedDifference in
                var deltas: [Double] = []
                deltas.reserveCapacity(b)
                for r in 0..<b {
                    if let value = samples[methodIndex][metricIndex][r], let base = samples[baseline][metricIndex][r] {
                        deltas.append(value - base)
                    }
                }
                let atMostZero = deltas.reduce(0) { $0 + ($1 <= 0 ? 1 : 0) }
                return PairedDifference(
                    interval: percentileInterval(deltas, level: configuration.level),
                    shareAtMostZero: deltas.isEmpty ? nil : Double(atMostZero) / Double(deltas.count),
                    definedResamples: deltas.count)
            }
        }
        return BootstrapResult(
            configuration: configuration, imageCount: n, baseline: baseline, methods: summaries, differences: differences)
    }

    /// The percentile interval of `values` at `level` (linear interpolation between order
    /// statistics, numpy's default `percentile`); nil for no values.
    public static func percentileInterval(_ values: [Double], level: Double) -> ConfidenceInterval? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let tail = (1 - level) / 2
        return ConfidenceInterval(lower: quantile(sorted, tail), upper: quantile(sorted, 1 - tail))
    }

    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        if fraction == 0 || sorted[below] == sorted[above] { return sorted[below] }
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}

/// How a bootstrap was run; recorded in every report so the intervals can be reproduced.
public struct BootstrapConfiguration: Sendable, Equatable {
    /// Number of resamples B.
    public var resamples: Int
    /// Confidence level of the percentile intervals, e.g. 0.95.
    public var level: Double
    /// Seed of the generator.
    public var seed: UInt64

    /// The resampling unit.
    public static let unit = "image"
    /// The generator, named in reports.
    public static let generatorName = "xoshiro256** seeded by SplitMix64"

    public init(resamples: Int = 1000, level: Double = 0.95, seed: UInt64 = 0) {
        self.resamples = resamples
        self.level = level
        self.seed = seed
    }
}

/// The figures a bootstrap summarises, in report order.
public enum BootstrapMetric: Int, Sendable, CaseIterable {
    case meanIoU, seen, unseen, harmonic

    public var label: String {
        switch self {
        case .meanIoU: "mIoU"
        case .seen: "mIoU seen"
        case .unseen: "mIoU unseen"
        case .harmonic: "hIoU"
        }
    }

    /// The metric's value for `scores`, nil when undefined or when there is no split.
    public func value(of scores: Scores, seen: [Int]?, unseen: [Int]?) -> Double? {
        Self.values(of: scores, seen: seen, unseen: unseen)[rawValue]
    }

    static func values(of scores: Scores, seen: [Int]?, unseen: [Int]?) -> [Double?] {
        guard let seen, let unseen else { return [scores.meanIoU, nil, nil, nil] }
        let split = scores.split(seen: seen, unseen: unseen)
        return [scores.meanIoU, split.seen, split.unseen, split.harmonic]
    }
}

/// A closed interval [lower, upper] of fractions.
public struct ConfidenceInterval: Sendable, Equatable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// The bootstrap of one method on its own.
public struct MethodBootstrap: Sendable, Equatable {
    /// One interval per `BootstrapMetric` (indexed by raw value); nil when never defined.
    public var intervals: [ConfidenceInterval?]
    /// Per class: in how many resamples its IoU was undefined (empty union).
    public var undefinedClassResamples: [Int]
    /// Per class: percentile interval of its IoU over the resamples in which it was defined
    /// (the others are left out, as they enter no mean); nil when it was never defined.
    public var classIntervals: [ConfidenceInterval?]

    public func interval(_ metric: BootstrapMetric) -> ConfidenceInterval? { intervals[metric.rawValue] }

    /// The interval of class `index`'s IoU; nil when it was never defined.
    public func interval(ofClass index: Int) -> ConfidenceInterval? { classIntervals[index] }
}

/// A paired difference (method − baseline) of one metric over the resamples.
public struct PairedDifference: Sendable, Equatable {
    /// Percentile interval of the differences; nil when the metric was never defined for both.
    public var interval: ConfidenceInterval?
    /// Share of resamples with difference ≤ 0 (a one-sided bootstrap p-value for "better").
    public var shareAtMostZero: Double?
    /// Resamples in which both values were defined.
    public var definedResamples: Int

    /// True when the interval excludes 0.
    public var isSignificant: Bool {
        guard let interval else { return false }
        return !interval.contains(0)
    }
}

/// Everything a paired bootstrap of several methods produced.
public struct BootstrapResult: Sendable, Equatable {
    public var configuration: BootstrapConfiguration
    public var imageCount: Int
    public var baseline: Int
    /// Per method, in input order.
    public var methods: [MethodBootstrap]
    /// `differences[method][metric]`: method − baseline (zero intervals for the baseline itself).
    public var differences: [[PairedDifference]]

    public func difference(method: Int, _ metric: BootstrapMetric) -> PairedDifference {
        differences[method][metric.rawValue]
    }
}

/// Per-image (TP, GT, pred) counts of one method, flattened for fast weighted sums.
public struct ImageCountTable: Sendable, Equatable {
    public let imageCount: Int
    public let classCount: Int
    /// `values[(image * classCount + class) * 3 + j]`, j = TP, GT, pred.
    public let values: [UInt64]

    /// - Parameter images: per image, one `ClassCounts` per class.
    public init(images: [[ClassCounts]], classCount: Int) throws(MetricsError) {
        var values: [UInt64] = []
        values.reserveCapacity(images.count * classCount * 3)
        for (index, counts) in images.enumerated() {
            guard counts.count == classCount else {
                throw MetricsError("image \(index) has counts for \(counts.count) classes, expected \(classCount)")
            }
            for c in counts { values += [c.truePositives, c.groundTruth, c.predicted] }
        }
        self.imageCount = images.count
        self.classCount = classCount
        self.values = values
    }

    /// Σ weight[i] × counts of image i, into `sums` (3 per class).
    func weightedSums(weights: [UInt64], into sums: inout [UInt64]) {
        let stride = classCount * 3
        sums.withUnsafeMutableBufferPointer { out in
            for j in 0..<stride { out[j] = 0 }
            values.withUnsafeBufferPointer { v in
                weights.withUnsafeBufferPointer { w in
                    for i in 0..<imageCount {
                        let weight = w[i]
                        if weight == 0 { continue }
                        let base = i * stride
                        for j in 0..<stride { out[j] &+= weight &* v[base + j] }
                    }
                }
            }
        }
    }
}

/// xoshiro256** (Blackman and Vigna), state filled from SplitMix64: small, fast and specified
/// bit for bit, so a seed reproduces everywhere.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform draw from 0..<bound (bound > 0) by rejection, independent of the standard library.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = next()
            if value < limit { return value % bound }
        }
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
