import Foundation

/// The exact counts of one sample (docs/referring.md §5): pixels in both masks, in either, in the
/// target and in the prediction.
public struct SampleCounts: Sendable, Equatable {
    public var intersection: UInt64
    public var union: UInt64
    public var target: UInt64
    public var prediction: UInt64

    public init(intersection: UInt64, union: UInt64, target: UInt64, prediction: UInt64) {
        self.intersection = intersection
        self.union = union
        self.target = target
        self.prediction = prediction
    }

    /// Consistency of counts read from a file: I ≤ min(T, P), U = T + P − I.
    public var isConsistent: Bool {
        intersection <= target && intersection <= prediction
            && target.addingReportingOverflow(prediction).partialValue == union &+ intersection
            && !target.addingReportingOverflow(prediction).overflow
    }

    /// The sample's IoU (docs/referring.md §5.2): I / U for a non-empty target; for an empty
    /// target, 1 when the prediction is empty too and 0 otherwise (the no-target convention of
    /// generalised referring evaluators).
    public var iou: Double {
        if target == 0 { return prediction == 0 ? 1 : 0 }
        return Double(intersection) / Double(union)
    }

    /// Whether the IoU reaches `percent` / 100, decided on the integers (100·I ≥ τ·U), so no
    /// rounding can move a sample across a threshold. Only asked of non-empty targets.
    public func reaches(percent: Int) -> Bool {
        let lhs = intersection.multipliedFullWidth(by: 100)
        let rhs = union.multipliedFullWidth(by: UInt64(percent))
        return lhs.high != rhs.high ? lhs.high > rhs.high : lhs.low >= rhs.low
    }
}

/// One Precision@τ figure: samples with a non-empty target whose IoU reaches τ.
public struct PrecisionAtThreshold: Sendable, Equatable {
    /// τ in percent (50 for Prec@0.5).
    public var percent: Int
    public var hits: Int
    /// Samples with a non-empty target: the denominator.
    public var samples: Int
    public var value: Double? { samples == 0 ? nil : Double(hits) / Double(samples) }
    /// "0.5", "0.75": how τ is written in keys and tables.
    public var label: String { ReferringScores.thresholdLabel(percent) }
}

/// cIoU, gIoU and Precision@τ over a set of samples (docs/referring.md §5).
public struct ReferringScores: Sendable, Equatable {
    public var samples: Int
    public var cumulativeIntersection: UInt64
    public var cumulativeUnion: UInt64
    /// Σ I / Σ U; nil when the union is empty (every target and prediction empty).
    public var ciou: Double?
    /// Mean of the per-sample IoU, summed in sample-id order; nil without samples.
    public var giou: Double?
    public var precision: [PrecisionAtThreshold]
    /// Samples whose target is empty, and those of them predicted empty.
    public var emptyTargets: Int
    public var emptyTargetsPredictedEmpty: Int

    /// `counts` in sample-id order (the order fixes gIoU's summation, to the last bit).
    public init(_ counts: [SampleCounts], thresholds: [Int]) {
        samples = counts.count
        var i: UInt64 = 0
        var u: UInt64 = 0
        var sum = 0.0
        var empty = 0
        var emptyRight = 0
        for c in counts {
            i += c.intersection
            u += c.union
            sum += c.iou
            if c.target == 0 {
                empty += 1
                if c.prediction == 0 { emptyRight += 1 }
            }
        }
        cumulativeIntersection = i
        cumulativeUnion = u
        ciou = u == 0 ? nil : Double(i) / Double(u)
        giou = counts.isEmpty ? nil : sum / Double(counts.count)
        emptyTargets = empty
        emptyTargetsPredictedEmpty = emptyRight
        let targeted = counts.filter { $0.target > 0 }
        precision = thresholds.map { percent in
            PrecisionAtThreshold(
                percent: percent, hits: targeted.reduce(0) { $0 + ($1.reaches(percent: percent) ? 1 : 0) },
                samples: targeted.count)
        }
    }

    /// The thresholds reported by default: 0.5, 0.6, 0.7, 0.8, 0.9.
    public static let defaultThresholds = [50, 60, 70, 80, 90]

    /// "0.5" for 50, "0.75" for 75.
    public static func thresholdLabel(_ percent: Int) -> String {
        let whole = percent / 100
        let rest = percent % 100
        if rest == 0 { return "\(whole).0" }
        return rest % 10 == 0 ? "\(whole).\(rest / 10)" : "\(whole).\(rest < 10 ? "0" : "")\(rest)"
    }
}

/// Small / medium / large by target area in pixels (docs/referring.md §5.4).
public struct SizeBuckets: Sendable, Equatable {
    /// Targets with fewer pixels are small.
    public var smallBelow: UInt64
    /// Targets with fewer pixels (and at least `smallBelow`) are medium; the rest large.
    public var mediumBelow: UInt64

    /// Defaults: 144 and 1024 pixels (12² and 32²), the aerial instance-segmentation split.
    public static let remoteSensing = SizeBuckets(smallBelow: 144, mediumBelow: 1024)

    public init(smallBelow: UInt64, mediumBelow: UInt64) {
        self.smallBelow = smallBelow
        self.mediumBelow = mediumBelow
    }

    /// Parses "S,M" (two increasing positive integers).
    public init(parsing text: String) throws(ReferringError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let small = parts[0], let medium = parts[1], small >= 1, small < medium else {
            throw ReferringError(.setting,
                "size thresholds \"\(text)\": expected two increasing positive pixel counts \"SMALL,MEDIUM\" (e.g. 144,1024)")
        }
        self.init(smallBelow: small, mediumBelow: medium)
    }

    /// The bucket of a target area: "empty", "small", "medium" or "large".
    public func bucket(ofArea area: UInt64) -> String {
        if area == 0 { return "empty" }
        if area < smallBelow { return "small" }
        return area < mediumBelow ? "medium" : "large"
    }

    public static let names = ["small", "medium", "large", "empty"]

    /// "area < 144", "144 ≤ area < 1024", …
    public func definition(of bucket: String) -> String {
        switch bucket {
        case "small": "0 < area < \(smallBelow)"
        case "medium": "\(smallBelow) ≤ area < \(mediumBelow)"
        case "large": "area ≥ \(mediumBelow)"
        default: "empty target"
        }
    }
}
