import Foundation
import Metrics
import Referring

/// The regression gate for referring runs (docs/referring.md §9): cIoU, gIoU and every
/// Precision@τ may drop by at most `maxDrop` percentage points, each class's gIoU by at most
/// `maxDropClass`; in exact mode every sample's counts must be identical.
public enum ReferringCheck {
    public typealias Item = FigureComparison.Item

    /// Compares `run` with `baseline`; runs that scored other annotations or under another policy
    /// are refused (they do not measure the same thing).
    public static func compare(
        baseline: ReferringRunRecord, run: ReferringRunRecord, maxDrop: Double, maxDropClass: Double, exact: Bool
    ) throws(ReferringError) -> FigureComparison {
        guard baseline.annotationsFingerprint == run.annotationsFingerprint else {
            throw ReferringError(.resultsFile,
                "the runs scored different annotations (\(baseline.annotationsFingerprint) vs \(run.annotationsFingerprint)); "
                    + "they are not comparable")
        }
        guard baseline.policy.precisionThresholds == run.policy.precisionThresholds,
            baseline.policy.sizeBuckets == run.policy.sizeBuckets
        else {
            throw ReferringError(.resultsFile,
                "the runs used different precision thresholds or size buckets; score both with the same settings")
        }
        var items: [Item] = []
        let b = baseline.scores
        let r = run.scores
        items.append(Item(name: "cIoU", baseline: b.ciou, run: r.ciou, limit: maxDrop))
        items.append(Item(name: "gIoU", baseline: b.giou, run: r.giou, limit: maxDrop))
        for (bp, rp) in zip(b.precision, r.precision) {
            items.append(Item(name: "Prec@" + bp.label, baseline: bp.value, run: rp.value, limit: maxDrop))
        }
        let runClasses = Dictionary(uniqueKeysWithValues: run.classScores.map { ($0.name, $0.scores) })
        for item in baseline.classScores {
            items.append(Item(
                name: "gIoU[\(item.name)]", baseline: item.scores.giou, run: runClasses[item.name]?.giou, limit: maxDropClass))
        }
        var difference: String?
        if exact {
            for (bs, rs) in zip(baseline.samples, run.samples) where bs.counts != rs.counts || bs.id != rs.id {
                difference = "sample \"\(bs.id)\": baseline I \(bs.counts.intersection), U \(bs.counts.union); "
                    + "run I \(rs.counts.intersection), U \(rs.counts.union)"
                break
            }
        }
        return FigureComparison(
            title: "referring check", exactLabel: "exact per-sample counts",
            baselineMethod: baseline.method, runMethod: run.method, items: items, exact: exact, exactDifference: difference)
    }
}
