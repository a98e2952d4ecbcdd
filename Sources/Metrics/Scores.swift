/// Which classes enter a mean, and what an undefined class counts as.
///
/// The field uses three conventions (docs/metrics.md §4); the results file records which one was used.
public enum PresencePolicy: String, Sendable, CaseIterable, Codable {
    /// Classes present in the ground truth or the prediction (union > 0): mmseg, detectron2 ≤ v0.6,
    /// torchmetrics ≥ 1.0 macro, scikit-learn. A class predicted but absent from the ground truth counts as 0.
    case unionPresent = "union-present"
    /// Classes present in the ground truth only: detectron2 `main` since 2022-07, so CAT-Seg as installed from git.
    case gtPresent = "gt-present"
    /// Every class; an undefined IoU counts as 0 (ZS3, mmseg `nan_to_num=0`).
    case allZero = "all-zero"
}

/// Every metric of a confusion matrix under one presence policy.
///
/// Fractions in [0, 1], unrounded; `nil` means undefined (no class entered the mean).
public struct Scores: Sendable, Equatable {
    public let policy: PresencePolicy
    public let classCounts: [ClassCounts]
    /// Raw per-class IoU; `nil` when the class's union is empty.
    public let classIoU: [Double?]
    /// Whether each class enters means under `policy`.
    public let includedInMean: [Bool]

    public init(matrix: ConfusionMatrix, policy: PresencePolicy = .unionPresent) {
        self.init(classCounts: matrix.classCounts, policy: policy)
    }

    public init(classCounts: [ClassCounts], policy: PresencePolicy = .unionPresent) {
        self.policy = policy
        self.classCounts = classCounts
        self.classIoU = classCounts.map(\.iou)
        self.includedInMean = classCounts.map { counts in
            switch policy {
            case .unionPresent: counts.union > 0
            case .gtPresent: counts.groundTruth > 0
            case .allZero: true
            }
        }
    }

    public var classCount: Int { classCounts.count }

    /// The IoU a class contributes to a mean under the policy, or `nil` if it does not enter.
    public func contribution(ofClass index: Int) -> Double? {
        guard includedInMean[index] else { return nil }
        return classIoU[index] ?? 0
    }

    /// Mean IoU over `classes` (default: all) under the policy; `nil` if no class enters.
    public func meanIoU(over classes: [Int]? = nil) -> Double? {
        let selected = classes ?? Array(0..<classCount)
        var sum = 0.0
        var count = 0
        for index in selected {
            if let value = contribution(ofClass: index) {
                sum += value
                count += 1
            }
        }
        return count == 0 ? nil : sum / Double(count)
    }

    /// mIoU over all classes.
    public var meanIoU: Double? { meanIoU(over: nil) }

    /// ΣTP / ΣGT over evaluated pixels (aAcc, pACC).
    public var pixelAccuracy: Double? {
        let groundTruth = classCounts.reduce(UInt64(0)) { $0 + $1.groundTruth }
        let truePositives = classCounts.reduce(UInt64(0)) { $0 + $1.truePositives }
        return groundTruth == 0 ? nil : Double(truePositives) / Double(groundTruth)
    }

    /// Mean per-class accuracy over classes present in the ground truth (mAcc).
    public var meanAccuracy: Double? {
        let values = classCounts.compactMap(\.accuracy)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Mean Dice over classes whose Dice is defined (mmseg mDice).
    public var meanDice: Double? {
        let values = classCounts.compactMap(\.dice)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Frequency-weighted IoU: Σ (GT_c / ΣGT) · IoU_c over classes present in the ground truth.
    public var frequencyWeightedIoU: Double? {
        let total = classCounts.reduce(UInt64(0)) { $0 + $1.groundTruth }
        guard total > 0 else { return nil }
        var sum = 0.0
        for counts in classCounts where counts.groundTruth > 0 {
            sum += Double(counts.groundTruth) / Double(total) * (counts.iou ?? 0)
        }
        return sum
    }

    /// Seen, unseen and harmonic mean IoU for a class split, from this same per-class vector.
    public func split(seen: [Int], unseen: [Int]) -> SplitScores {
        SplitScores(seen: meanIoU(over: seen), unseen: meanIoU(over: unseen))
    }
}

/// Seen / unseen mIoU and their harmonic mean (docs/metrics.md §5).
public struct SplitScores: Sendable, Equatable {
    /// Mean IoU over the seen classes that enter the mean; `nil` if none does.
    public let seen: Double?
    /// Mean IoU over the unseen classes that enter the mean; `nil` if none does.
    public let unseen: Double?

    public init(seen: Double?, unseen: Double?) {
        self.seen = seen
        self.unseen = unseen
    }

    /// hIoU = 2su / (s + u) on the unrounded fractions; 0 when either side is 0;
    /// `nil` when either side is undefined (SPNet's "undefined counts 0" is not the default).
    public var harmonic: Double? {
        guard let s = seen, let u = unseen else { return nil }
        if s == 0 || u == 0 { return 0 }
        return 2 * s * u / (s + u)
    }
}

/// Display rounding as numpy does it (`np.round(x * 100, 2)`): scale to percent, multiply by 100,
/// round half to even on the binary value, divide. Never used for computation.
public enum Percent {
    /// Hundredths of a percent after numpy's rounding, e.g. 0.32 → 3200.
    public static func roundedHundredths(_ fraction: Double) -> Int? {
        let percent = fraction * 100
        let scaled = (percent * 100).rounded(.toNearestOrEven)
        guard scaled.isFinite, abs(scaled) < 1e15 else { return nil }
        return Int(scaled)
    }

    /// "32.00" for 0.32; "—" for an undefined value.
    public static func format(_ fraction: Double?, undefined: String = "—") -> String {
        guard let fraction, let hundredths = roundedHundredths(fraction) else { return undefined }
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let fractional = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fractional < 10 ? "0" : "")\(fractional)"
    }
}
