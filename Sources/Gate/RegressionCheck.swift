import Harness
import Metrics

/// How much a run may fall below its baseline, in percentage points.
public struct CheckThresholds: Sendable, Equatable {
    /// Largest allowed drop of mIoU (all, seen and unseen).
    public var maxDropMIoU: Double
    /// Largest allowed drop of hIoU.
    public var maxDropHIoU: Double
    /// Largest allowed drop of any single class's IoU.
    public var maxDropClass: Double
    /// Require identical confusion matrices instead of tolerances.
    public var exact: Bool

    public init(maxDropMIoU: Double = 0.5, maxDropHIoU: Double = 0.5, maxDropClass: Double = 2.0, exact: Bool = false) {
        self.maxDropMIoU = maxDropMIoU
        self.maxDropHIoU = maxDropHIoU
        self.maxDropClass = maxDropClass
        self.exact = exact
    }
}

/// One checked metric.
public struct MetricCheck: Sendable, Equatable {
    public enum Status: String, Sendable {
        case unchanged, improved, withinTolerance = "within tolerance", regressed, undefined
    }
    public let name: String
    /// Unrounded fractions.
    public let baseline: Double?
    public let run: Double?
    /// Allowed drop in percentage points.
    public let tolerance: Double
    public let status: Status

    /// run − baseline in percentage points, when both are defined.
    public var deltaPoints: Double? {
        guard let baseline, let run else { return nil }
        return (run - baseline) * 100
    }

    public var failed: Bool { status == .regressed }
}

/// The outcome of comparing a run with its baseline.
public struct CheckResult: Sendable, Equatable {
    public let baselineMethod: String
    public let runMethod: String
    public let checks: [MetricCheck]
    /// In exact mode: the first differing cell, or nil when the matrices are identical.
    public let exactDifference: String?
    public let exact: Bool

    public var passed: Bool { !checks.contains(where: \.failed) && exactDifference == nil }
    public var regressions: [MetricCheck] { checks.filter(\.failed) }
}

/// Compares runs for a CI gate: tolerances on unrounded metrics, or exact equality of counts.
public enum RegressionCheck {
    /// Compares `run` with `baseline`. Runs that measured different things are an error.
    public static func compare(
        baseline: RunRecord, run: RunRecord, thresholds: CheckThresholds
    ) throws(HarnessError) -> CheckResult {
        if let difference = Comparability.difference(baseline, run) {
            throw HarnessError("the run cannot be compared with the baseline: \(difference)")
        }
        let base = baseline.scores
        let now = run.scores
        var checks: [MetricCheck] = []
        checks.append(check("mIoU", base.meanIoU, now.meanIoU, thresholds.maxDropMIoU))
        if let baseSplit = baseline.splitScores, let runSplit = run.splitScores {
            checks.append(check("mIoU seen", baseSplit.seen, runSplit.seen, thresholds.maxDropMIoU))
            checks.append(check("mIoU unseen", baseSplit.unseen, runSplit.unseen, thresholds.maxDropMIoU))
            checks.append(check("hIoU", baseSplit.harmonic, runSplit.harmonic, thresholds.maxDropHIoU))
        }
        for (id, name) in baseline.classNames.enumerated() {
            checks.append(check("IoU \(name)", base.classIoU[id], now.classIoU[id], thresholds.maxDropClass))
        }
        var exactDifference: String?
        if thresholds.exact {
            exactDifference = firstDifference(baseline, run)
        }
        return CheckResult(
            baselineMethod: baseline.method, runMethod: run.method, checks: checks,
            exactDifference: exactDifference, exact: thresholds.exact)
    }

    static func check(_ name: String, _ baseline: Double?, _ run: Double?, _ tolerance: Double) -> MetricCheck {
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
            } else if delta > 0 {
                status = .improved
            } else if -delta > tolerance {
                status = .regressed
            } else {
                status = .withinTolerance
            }
        }
        return MetricCheck(name: name, baseline: baseline, run: run, tolerance: tolerance, status: status)
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
