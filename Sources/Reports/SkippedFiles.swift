import Harness

/// Says which files a run left out, so a score over fewer images than the dataset never looks
/// like a score over all of them.
///
/// `--skip-missing`, `--skip-size-mismatch` and `--skip-extra` let a run go ahead without some
/// files; the results file lists them, and the terminal summary and the report say how many
/// there were and name the first few.
public enum SkippedFiles {
    /// How many ids are named before "and N more".
    public static let namesShown = 3

    /// Ground-truth images that were not scored: without a prediction, or of another size.
    public static func skippedImageCount(_ record: RunRecord) -> Int {
        record.dataset.missingPredictions.count + record.dataset.sizeMismatches.count
    }

    /// One sentence per kind of left-out file, empty when nothing was left out, e.g.
    /// "skipped 2 of 6 ground-truth images: 1 without a prediction (tile_0003), 1 whose prediction
    /// has another size (tile_0005)" and "ignored 1 prediction file without ground truth (stray)".
    public static func sentences(_ record: RunRecord) -> [String] {
        let dataset = record.dataset
        var sentences: [String] = []
        let skipped = skippedImageCount(record)
        if skipped > 0 {
            var parts: [String] = []
            if !dataset.missingPredictions.isEmpty {
                parts.append("\(dataset.missingPredictions.count) without a prediction (\(listed(dataset.missingPredictions)))")
            }
            if !dataset.sizeMismatches.isEmpty {
                let count = dataset.sizeMismatches.count
                parts.append(
                    "\(count) whose prediction \(count == 1 ? "has" : "have") another size (\(listed(dataset.sizeMismatches)))")
            }
            let total = record.images.count + skipped
            sentences.append(
                "skipped \(skipped) of \(total) ground-truth \(total == 1 ? "image" : "images"): " + parts.joined(separator: ", "))
        }
        if !dataset.extraPredictions.isEmpty {
            let count = dataset.extraPredictions.count
            sentences.append(
                "ignored \(count) prediction \(count == 1 ? "file" : "files") without ground truth "
                    + "(\(listed(dataset.extraPredictions)))")
        }
        return sentences
    }

    /// "a, b, c and 4 more": the first `namesShown` ids, then how many are not named.
    public static func listed(_ ids: [String]) -> String {
        let shown = ids.prefix(namesShown).joined(separator: ", ")
        return ids.count > namesShown ? "\(shown) and \(ids.count - namesShown) more" : shown
    }
}
