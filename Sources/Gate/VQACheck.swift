import Foundation
import Metrics
import VQAScoring

/// The regression gate for VQA runs (docs/vqa.md §7): overall and average accuracy may drop by at
/// most `maxDrop` percentage points, each question type's accuracy by at most `maxDropType`; in
/// exact mode every question's normalised prediction must be identical.
public enum VQACheck {
    public typealias Item = FigureComparison.Item

    /// Compares `run` with `baseline`; runs that scored other ground truth or normalised answers
    /// differently are refused (they do not measure the same thing).
    public static func compare(
        baseline: VQARunRecord, run: VQARunRecord, maxDrop: Double, maxDropType: Double, exact: Bool
    ) throws(VQAError) -> FigureComparison {
        guard baseline.groundTruthFingerprint == run.groundTruthFingerprint else {
            throw VQAError(.resultsFile,
                "the runs scored different ground truth (\(baseline.groundTruthFingerprint) vs \(run.groundTruthFingerprint)); "
                    + "they are not comparable")
        }
        guard baseline.policy.normalizer == run.policy.normalizer else {
            throw VQAError(.resultsFile, "the runs used different count or area buckets; score both with the same settings")
        }
        let b = baseline.scores
        let r = run.scores
        var items = [
            Item(name: "overall accuracy", baseline: b.overallAccuracy, run: r.overallAccuracy, limit: maxDrop),
            Item(name: "average accuracy", baseline: b.averageAccuracy, run: r.averageAccuracy, limit: maxDrop),
        ]
        let runTypes = Dictionary(uniqueKeysWithValues: r.types.map { ($0.type, $0) })
        for item in b.types {
            items.append(Item(
                name: "accuracy[\(item.type)]", baseline: item.accuracy, run: runTypes[item.type]?.accuracy, limit: maxDropType))
        }
        var difference: String?
        if exact {
            for (bq, rq) in zip(baseline.questions, run.questions)
            where bq.id != rq.id || bq.predictionNormalized != rq.predictionNormalized {
                difference = "question \"\(bq.id)\": baseline answered \"\(bq.predictionNormalized ?? "(missing)")\", "
                    + "run \"\(rq.predictionNormalized ?? "(missing)")\""
                break
            }
        }
        return FigureComparison(
            title: "vqa check", exactLabel: "exact per-question answers",
            baselineMethod: baseline.method, runMethod: run.method, items: items, exact: exact, exactDifference: difference)
    }
}
