import Harness
import Metrics

/// Which question `ovseg check` answers about a run and its baseline.
public enum CheckMode: Sendable, Equatable {
    /// Metrics may fall by the thresholds' allowed drops (a method under development).
    case tolerance
    /// The confusion matrices must be identical (deterministic pipelines: scoring, merging).
    case exact
    /// The runs must be equal up to numerical noise (model runs whose floating-point results may
    /// differ in the last bits between CPUs): see ``NoiseLimits`` and ``NoiseComparison``.
    case numericNoise(NoiseLimits)

    /// A short name for headers: "tolerance", "exact" or "numeric noise".
    public var name: String {
        switch self {
        case .tolerance: "tolerance"
        case .exact: "exact"
        case .numericNoise: "numeric noise"
        }
    }
}

/// How far two model runs may differ and still count as equal up to numerical noise.
public struct NoiseLimits: Sendable, Equatable {
    /// The smallest allowed label agreement, in percent of the pixels the per-image counts cover
    /// (see ``NoiseComparison``); resolved to 1e-9 percent.
    public var minLabelAgreement: Double
    /// The largest allowed change of mIoU (all, seen, unseen), hIoU and every class's IoU, in
    /// percentage points, in either direction (|run − baseline|, unrounded).
    public var maxMetricChange: Double

    /// The defaults of `ovseg check --numeric-noise`: 99.99 % agreement, ±0.01 pp.
    public init(minLabelAgreement: Double = 99.99, maxMetricChange: Double = 0.01) {
        self.minLabelAgreement = minLabelAgreement
        self.maxMetricChange = maxMetricChange
    }
}

/// How much a run may fall below its baseline, in percentage points, and which mode decides.
public struct CheckThresholds: Sendable, Equatable {
    /// Largest allowed drop of mIoU (all, seen and unseen).
    public var maxDropMIoU: Double
    /// Largest allowed drop of hIoU.
    public var maxDropHIoU: Double
    /// Largest allowed drop of any single class's IoU.
    public var maxDropClass: Double
    /// Tolerances only, exact counts, or equality up to numerical noise (whose own limits then
    /// replace the three drops above).
    public var mode: CheckMode

    /// Thresholds for `mode`; the drops apply in the tolerance and exact modes.
    public init(maxDropMIoU: Double = 0.5, maxDropHIoU: Double = 0.5, maxDropClass: Double = 2.0, mode: CheckMode = .tolerance) {
        self.maxDropMIoU = maxDropMIoU
        self.maxDropHIoU = maxDropHIoU
        self.maxDropClass = maxDropClass
        self.mode = mode
    }
}

/// One checked metric.
public struct MetricCheck: Sendable, Equatable {
    /// What happened to the metric.
    public enum Status: String, Sendable {
        /// Identical unrounded values.
        case unchanged
        /// Different unrounded values with the same two-decimal display (numpy rounding of
        /// percent): the change is below the precision results are reported at.
        case unchangedAtTwoDecimals = "unchanged at two decimals"
        /// Rose (tolerance and exact modes).
        case improved
        /// Fell by no more than the allowed drop (tolerance and exact modes).
        case withinTolerance = "within tolerance"
        /// Fell by more than the allowed drop, or became undefined (tolerance and exact modes).
        case regressed
        /// Moved by no more than the allowed change in either direction (numeric-noise mode).
        case withinNoise = "within noise"
        /// Moved by more than the allowed change in either direction, or became defined or
        /// undefined (numeric-noise mode).
        case beyondNoise = "beyond noise"
        /// Undefined in both runs.
        case undefined
    }
    /// "mIoU", "mIoU seen", "mIoU unseen", "hIoU" or "IoU <class name>".
    public let name: String
    /// Unrounded fractions.
    public let baseline: Double?
    public let run: Double?
    /// Allowed drop in percentage points; in numeric-noise mode the allowed change either way.
    public let tolerance: Double
    public let status: Status

    /// run − baseline in percentage points, when both are defined.
    public var deltaPoints: Double? {
        guard let baseline, let run else { return nil }
        return (run - baseline) * 100
    }

    /// True when this metric fails the check.
    public var failed: Bool { status == .regressed || status == .beyondNoise }
}

/// The outcome of comparing a run with its baseline.
public struct CheckResult: Sendable, Equatable {
    public let baselineMethod: String
    public let runMethod: String
    public let checks: [MetricCheck]
    /// In exact mode: the first differing cell, or nil when the matrices are identical.
    public let exactDifference: String?
    /// The mode the check ran in.
    public let mode: CheckMode
    /// In numeric-noise mode: label agreement from the per-image counts and the ground-truth check.
    public let noise: NoiseComparison?

    /// True in exact mode.
    public var exact: Bool { mode == .exact }

    /// True when no metric failed, the counts are identical in exact mode, and the numeric-noise
    /// comparison (if any) passed.
    public var passed: Bool {
        !checks.contains(where: \.failed) && exactDifference == nil && noise?.passed != false
    }
    /// The metrics that failed, in check order.
    public var regressions: [MetricCheck] { checks.filter(\.failed) }

    /// The metric whose unrounded value moved most (largest |Δ|); a metric that became defined
    /// or undefined counts as the largest move. Nil when no metric moved.
    public var largestMetricChange: MetricCheck? {
        var best: (check: MetricCheck, size: Double)?
        for check in checks where check.status != .unchanged && check.status != .undefined {
            let size = check.deltaPoints.map(abs) ?? .infinity
            if let current = best, size <= current.size { continue }
            best = (check, size)
        }
        return best?.check
    }
}

/// Compares runs for a CI gate: tolerances on unrounded metrics, exact equality of counts, or
/// equality up to numerical noise.
public enum RegressionCheck {
    /// Compares `run` with `baseline`. Runs that measured different things are an error, and so
    /// is the numeric-noise mode on files without per-image counts.
    public static func compare(
        baseline: RunRecord, run: RunRecord, thresholds: CheckThresholds
    ) throws(HarnessError) -> CheckResult {
        if let difference = Comparability.difference(baseline, run) {
            throw HarnessError(.incomparable, "the run cannot be compared with the baseline: \(difference)")
        }
        let mode = thresholds.mode
        var noise: NoiseComparison?
        if case .numericNoise(let limits) = mode {
            noise = try NoiseComparison(baseline: baseline, run: run, limits: limits)
        }
        let base = baseline.scores
        let now = run.scores
        var checks: [MetricCheck] = []
        func add(_ name: String, _ b: Double?, _ r: Double?, _ allowedDrop: Double) {
            checks.append(check(name, b, r, allowedDrop, mode: mode))
        }
        add("mIoU", base.meanIoU, now.meanIoU, thresholds.maxDropMIoU)
        if let baseSplit = baseline.splitScores, let runSplit = run.splitScores {
            add("mIoU seen", baseSplit.seen, runSplit.seen, thresholds.maxDropMIoU)
            add("mIoU unseen", baseSplit.unseen, runSplit.unseen, thresholds.maxDropMIoU)
            add("hIoU", baseSplit.harmonic, runSplit.harmonic, thresholds.maxDropHIoU)
        }
        for (id, name) in baseline.classNames.enumerated() {
            add("IoU \(name)", base.classIoU[id], now.classIoU[id], thresholds.maxDropClass)
        }
        var exactDifference: String?
        if mode == .exact {
            exactDifference = firstDifference(baseline, run)
        }
        return CheckResult(
            baselineMethod: baseline.method, runMethod: run.method, checks: checks,
            exactDifference: exactDifference, mode: mode, noise: noise)
    }

    /// Classifies one metric. Values whose two-decimal displays are equal are "unchanged at two
    /// decimals" whatever their unrounded difference, except in numeric-noise mode, where the
    /// allowed change applies to the unrounded difference first (a limit below 0.01 pp can fail
    /// a metric whose display did not change). In exact mode such a metric still fails the check
    /// through the differing counts.
    static func check(
        _ name: String, _ baseline: Double?, _ run: Double?, _ allowedDrop: Double, mode: CheckMode
    ) -> MetricCheck {
        if case .numericNoise(let limits) = mode {
            let status: MetricCheck.Status
            switch (baseline, run) {
            case (nil, nil):
                status = .undefined
            case (.some, nil), (nil, .some):
                status = .beyondNoise  // appearing or vanishing is not noise
            case (.some(let b), .some(let r)):
                if r == b {
                    status = .unchanged
                } else if abs((r - b) * 100) > limits.maxMetricChange {
                    status = .beyondNoise
                } else if Percent.format(b) == Percent.format(r) {
                    status = .unchangedAtTwoDecimals
                } else {
                    status = .withinNoise
                }
            }
            return MetricCheck(name: name, baseline: baseline, run: run, tolerance: limits.maxMetricChange, status: status)
        }
        let status: MetricCheck.Status
        switch (baseline, run) {
        case (nil, nil):
            status = .undefined
        case (.some, nil):
            status = .regressed  // a metric that vanished is a regression
        case (nil, .some):
            status = .improved
        case (.some(let b), .some(let r)):
            let delta = (r - b) * 100
            if r == b {
                status = .unchanged
            } else if Percent.format(b) == Percent.format(r) {
                status = .unchangedAtTwoDecimals
            } else if delta > 0 {
                status = .improved
            } else if -delta > allowedDrop {
                status = .regressed
            } else {
                status = .withinTolerance
            }
        }
        return MetricCheck(name: name, baseline: baseline, run: run, tolerance: allowedDrop, status: status)
    }

    /// The first cell (in row-major order) where the matrices differ, named by class.
    static func firstDifference(_ baseline: RunRecord, _ run: RunRecord) -> String? {
        let k = baseline.matrix.classCount
        let names = baseline.classNames
        for g in 0..<k {
            for p in 0..<k where baseline.matrix[g, p] != run.matrix[g, p] {
                return "confusion matrix cell [ground truth \(names[g]), predicted \(names[p])]: "
                    + "baseline \(baseline.matrix[g, p]), run \(run.matrix[g, p])"
            }
        }
        for c in 0..<k where baseline.matrix.voidPredictions[c] != run.matrix.voidPredictions[c] {
            return "void predictions of \(names[c]): baseline \(baseline.matrix.voidPredictions[c]), run \(run.matrix.voidPredictions[c])"
        }
        for c in 0..<k where baseline.matrix.predictionsOnUnlabeled[c] != run.matrix.predictionsOnUnlabeled[c] {
            return "predictions of \(names[c]) on unlabeled pixels: baseline \(baseline.matrix.predictionsOnUnlabeled[c]), "
                + "run \(run.matrix.predictionsOnUnlabeled[c])"
        }
        return nil
    }
}
