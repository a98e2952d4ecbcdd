import Metrics

/// How a class that is absent from the ground truth is shown, and the note that says what it
/// does to the means, under the run's presence policy. The terminal summary and the reports
/// (Markdown, HTML) take both from here, and the note is decided by `Scores.includedInMean`,
/// the same flags the means are computed from, so a table can never say one thing while the
/// mean does another.
public enum PresenceNotes {
    /// The cell of a class under `scores`: its IoU, `IoU*` when it was predicted but is absent
    /// from the ground truth, or `absent` when it occurs in neither.
    public static func cell(_ scores: Scores, classID c: Int) -> String {
        let counts = scores.classCounts[c]
        guard counts.groundTruth == 0 else { return Percent.format(counts.iou) }
        return counts.predicted == 0 ? "absent" : Percent.format(counts.iou) + "*"
    }

    /// The notes the cells of `scores` need, in a fixed order (none when every class is in the
    /// ground truth).
    public static func notes(_ scores: Scores) -> [String] {
        notes(for: [scores])
    }

    /// The notes for the cells of several runs scored under one policy (a report section).
    public static func notes(for runs: [Scores]) -> [String] {
        guard let policy = runs.first?.policy else { return [] }
        var predictedOnly: Set<Bool> = []
        var absent: Set<Bool> = []
        for scores in runs {
            for c in 0..<scores.classCount where scores.classCounts[c].groundTruth == 0 {
                if scores.classCounts[c].predicted == 0 {
                    absent.insert(scores.includedInMean[c])
                } else {
                    predictedOnly.insert(scores.includedInMean[c])
                }
            }
        }
        var lines: [String] = []
        for included in absent.sorted(by: { !$0 && $1 }) {
            lines.append(
                "“absent”: the class occurs in neither the ground truth nor the prediction; "
                    + (included ? "it counts as 0 in the means" : "it enters no mean") + " under \(policy.rawValue).")
        }
        for included in predictedOnly.sorted(by: { !$0 && $1 }) {
            lines.append(
                "* predicted but absent from the ground truth: IoU 0, "
                    + (included ? "counted in the means" : "left out of the means") + " under \(policy.rawValue).")
        }
        return lines
    }
}
