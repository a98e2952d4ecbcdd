import Metrics

extension RunRecord {
    /// Signs in the counts that the predictions were not read as their producer meant.
    public var predictionDiagnostics: PredictionReadingDiagnostics { PredictionReadingDiagnostics(matrix: matrix) }

    /// What a reader of this run's numbers must know, in sentences for people: many predictions
    /// voided, predictions that look shifted by one class, one class taking nearly all predictions,
    /// most of the ground truth ignored, most predictions on classes absent from the ground truth;
    /// each names the likely cause and what fixes it. Derived from the counts (so a results
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
        } else if diagnostics.histogramLooksShiftedByOne {
            warnings.append(
                "the predictions look shifted by one class: how many pixels each class was predicted on matches the "
                    + "ground truth's classes one class up far better than as read (\(reread))")
        }
        let inspect = "ovseg inspect --vocab \(vocabulary.key) --gt \(dataset.groundTruthDirectory)"
        if let top = diagnostics.dominantClass, let share = Self.share(diagnostics.predictedPixels[top], diagnostics.evaluatedPixels) {
            let name = top < vocabulary.classNames.count ? vocabulary.classNames[top] : "class \(top)"
            warnings.append(
                "one class takes nearly all predictions: \(Percent.format(share)) % of the evaluated pixels were predicted "
                    + "as \(name), which holds \(Percent.format(Self.share(diagnostics.groundTruthPixels[top], diagnostics.evaluatedPixels) ?? 0)) % "
                    + "of the ground truth; constant or binary (0/255) prediction files give this (check them with "
                    + "\(inspect) --pred \(dataset.predictionDirectory))")
        }
        let totalPixels = images.reduce(0) { $0 + UInt64($1.width * $1.height) }
        if totalPixels > 0, diagnostics.evaluatedPixels * 2 < totalPixels,
            let ignored = Self.share(totalPixels - diagnostics.evaluatedPixels, totalPixels)
        {
            let fix = policy.reduceZeroLabel
                ? "if the files hold 0-based ids, score with --reduce-zero-label no"
                : "if the files hold 0/255 masks or another encoding, the vocabulary does not fit them"
            warnings.append(
                "most of the ground truth was not evaluated: \(Percent.format(ignored)) % of its pixels are ignore values"
                    + "\(policy.reduceZeroLabel ? " or reduce_zero_label's 0" : "") of \(vocabulary.key); \(fix) "
                    + "(\(inspect) names the encoding that fits)")
        }
        if diagnostics.absentClassesHoldMost, let share = Self.share(diagnostics.absentClassPixels, diagnostics.evaluatedPixels) {
            warnings.append(
                "\(Percent.format(share)) % of the evaluated pixels were predicted as classes that never occur in the "
                    + "ground truth: the predictions may use another vocabulary's ids or class order (check --vocab with "
                    + "\(inspect) --pred \(dataset.predictionDirectory))")
        }
        return warnings
    }

    private static func share(_ part: UInt64, _ whole: UInt64) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole)
    }
}

extension RunRecord {
    /// Facts about the input that are legal and do not change the numbers' meaning, but that a
    /// careful reader wants to know rather than have hidden: predicted values that are no class
    /// where the ground truth is ignored, images whose ground truth is entirely ignored, and
    /// classes no image predicted. Derived from the counts, like `warnings`; shown by `score`,
    /// `eval` and `merge` on stderr and in reports, and stored in the results file.
    public var observations: [String] {
        var notes: [String] = []
        let onIgnored = matrix.outOfRangePredictionsOnIgnored
        if onIgnored > 0 {
            notes.append(
                "\(onIgnored) predicted pixel\(onIgnored == 1 ? "" : "s") on ignored ground truth hold\(onIgnored == 1 ? "s" : "") "
                    + "a value that is no class of \(vocabulary.key); they are not evaluated (as in mmseg), but the "
                    + "prediction files write values outside the vocabulary")
        }
        let unevaluated = images.filter { image in image.counts.allSatisfy { $0.groundTruth == 0 } }.map(\.id)
        if !unevaluated.isEmpty {
            notes.append(
                "\(unevaluated.count) image\(unevaluated.count == 1 ? " has" : "s have") no evaluated pixel (the ground "
                    + "truth is entirely ignored), so \(unevaluated.count == 1 ? "it adds" : "they add") only false "
                    + "positives: " + DatasetScanner.listed(unevaluated.map { ImageID.quoted($0) }))
        }
        let counts = matrix.classCounts
        let neverPredicted = counts.indices.filter { counts[$0].predicted == 0 }
        if !neverPredicted.isEmpty, matrix.evaluatedPixels > 0 {
            let names = neverPredicted.map { $0 < vocabulary.classNames.count ? vocabulary.classNames[$0] : "class \($0)" }
            notes.append(
                "\(neverPredicted.count) class\(neverPredicted.count == 1 ? " was" : "es were") never predicted on an "
                    + "evaluated pixel: " + names.joined(separator: ", "))
        }
        return notes
    }
}
