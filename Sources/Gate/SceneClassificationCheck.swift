import Foundation
import Metrics
import SceneClassification

/// The regression gate for scene-classification runs (docs/scene-classification.md §5): top-1,
/// top-5, macro F1 and (with a split) seen/unseen accuracy and H may drop by at most `maxDrop`
/// percentage points, each class's recall by at most `maxDropClass`; in exact mode the confusion
/// matrices must be identical.
public enum SceneClassificationCheck {
    public typealias Item = FigureComparison.Item

    /// Compares `run` with `baseline`; runs over other labels, another vocabulary or another split
    /// are refused (they do not measure the same thing).
    public static func compare(
        baseline: SceneRunRecord, run: SceneRunRecord, maxDrop: Double, maxDropClass: Double, exact: Bool
    ) throws(SceneClassificationError) -> FigureComparison {
        guard baseline.vocabularyFingerprint == run.vocabularyFingerprint, baseline.classNames == run.classNames else {
            throw SceneClassificationError(.resultsFile,
                "the runs used different vocabularies (\(baseline.vocabularyKey) \(baseline.vocabularyFingerprint) vs "
                    + "\(run.vocabularyKey) \(run.vocabularyFingerprint)); they are not comparable")
        }
        guard baseline.labelsFingerprint == run.labelsFingerprint else {
            throw SceneClassificationError(.resultsFile,
                "the runs scored different labels (\(baseline.labelsFingerprint) vs \(run.labelsFingerprint)); they are not comparable")
        }
        guard baseline.split?.seenIDs == run.split?.seenIDs, baseline.split?.unseenIDs == run.split?.unseenIDs else {
            throw SceneClassificationError(.resultsFile, "the runs used different seen/unseen splits; score both with the same split")
        }
        let b = baseline.scores, r = run.scores
        var items = [
            Item(name: "top-1 accuracy", baseline: b.accuracy, run: r.accuracy, limit: maxDrop),
            Item(name: "top-5 accuracy", baseline: b.top5, run: r.top5, limit: maxDrop),
            Item(name: "macro F1", baseline: b.macroF1, run: r.macroF1, limit: maxDrop),
        ]
        if baseline.split != nil {
            items.append(Item(name: "seen accuracy", baseline: b.seenAccuracy, run: r.seenAccuracy, limit: maxDrop))
            items.append(Item(name: "unseen accuracy", baseline: b.unseenAccuracy, run: r.unseenAccuracy, limit: maxDrop))
            items.append(Item(name: "harmonic mean", baseline: b.harmonicMean, run: r.harmonicMean, limit: maxDrop))
        }
        for (index, figures) in b.classes.enumerated() where figures.support > 0 {
            items.append(Item(name: "recall[\(baseline.classNames[index])]", baseline: figures.recall, run: r.classes[index].recall, limit: maxDropClass))
        }
        var difference: String?
        if exact {
            search: for row in 0..<baseline.classCount {
                for column in 0..<baseline.classCount where b.count(truth: row, predicted: column) != r.count(truth: row, predicted: column) {
                    difference = "confusion matrix cell (\(baseline.classNames[row]) → \(baseline.classNames[column])): baseline "
                        + "\(b.count(truth: row, predicted: column)), run \(r.count(truth: row, predicted: column))"
                    break search
                }
            }
        }
        return FigureComparison(
            title: "scene classification check", exactLabel: "exact confusion matrix",
            baselineMethod: baseline.method, runMethod: run.method, items: items, exact: exact, exactDifference: difference)
    }
}
