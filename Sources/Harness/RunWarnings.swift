import Metrics

extension RunRecord {
    /// Signs in the counts that the predictions were not read as their producer meant.
    public var predictionDiagnostics: PredictionReadingDiagnostics { PredictionReadingDiagnostics(matrix: matrix) }

    /// What a reader of this run's numbers must know, in sentences for people: many predictions
    /// voided, or predictions that look shifted by one class. Derived from the counts (so a results
    /// file read back, merged or re-analysed says the same); `ovseg score` prints them on stderr,
    /// the results file and the report show them.
    public var warnings: [String] {
        let diagnostics = predictionDiagnostics
        var warnings: [String] = []
        let encoding = policy.predictionEncoding
        let reread = encoding.isClassIDs
            ? "mmseg's reduce_zero_label output holds ids + 1: read it with --pred-reduce-zero-label"
            : "they were read with \(encoding.option) (\(encoding.explanation)); check that this is how they were written"
        if diagnostics.voidShareIsLarge, let share = diagnostics.voidShare {
            warnings.append(
                "\(Percent.format(share)) % of the evaluated pixels (\(diagnostics.voidPixels) of "
                    + "\(diagnostics.evaluatedPixels)) had a predicted value that is no class of \(vocabulary.key) "
                    + "and were counted as misses (--out-of-range-prediction void); if the prediction files encode "
                    + "classes differently, these numbers are wrong (\(reread))")
        }
        if diagnostics.looksShiftedByOne, let shifted = diagnostics.shiftedByOneShare,
            let matching = diagnostics.matchingShare
        {
            warnings.append(
                "the predictions look shifted by one class: \(Percent.format(shifted)) % of the evaluated pixels "
                    + "were predicted as the class after their ground-truth class, \(Percent.format(matching)) % as "
                    + "their own class (\(reread))")
        }
        return warnings
    }
}
