import Metrics

/// The error for a predicted value that stands for no class, naming the likely cause.
///
/// The usual cause is not a stray value but a whole file written in another encoding: mmseg
/// 1.x writes `pred + 1` for `reduce_zero_label` datasets, so read as ids every pixel is one
/// class off and the last class becomes the value K. Accepting such values as void would give
/// plausible but wrong numbers, so when the image fits its ground truth better shifted by one
/// (or, with no evaluated pixel to tell, when the value is exactly K) the message names the
/// prediction encoding setting and does not offer out-of-range prediction policy `void`.
struct OutOfRangePredictionMessage {
    let file: String
    /// The raw value in the file and where it is.
    let value: Int
    let x: Int
    let y: Int
    let vocabularyKey: String
    let classCount: Int
    let encoding: PredictionEncoding
    /// Evaluation class per pixel of the image's ground truth, −1 where not evaluated.
    let groundTruthIDs: [Int32]
    /// The prediction file's raw values.
    let raw: [UInt16]

    var text: HarnessMessage {
        encoding.isClassIDs ? readAsIDs : readWithEncoding
    }

    private var place: String { "\(file): predicted value \(value) at pixel (\(x), \(y))" }
    private var classRange: String { "\(vocabularyKey) (0–\(classCount - 1))" }
    private var voidHint: HarnessMessage { "use \(setting: .outOfRangePrediction(.void)) to count such pixels as misses" }
    private var encodingSetting: HarnessMessage { "\(setting: .predictionEncoding(encoding))" }
    private var reduceZeroLabel: HarnessMessage { "\(setting: .predictionEncoding(.reduceZeroLabel))" }

    /// The files were read as ids: is it mmseg's ids + 1?
    private var readAsIDs: HarnessMessage {
        let asRead = evidence(shift: 0)
        let plusOne = evidence(shift: 1)
        let onePastLast = value == classCount
        let zeroAbsent = !raw.contains(0) && groundTruthIDs.contains(0)
        let shifted = plusOne.fitsBetter(than: asRead) || (onePastLast && asRead.evaluatedPixels == 0)
        if shifted {
            var facts: [String] = []
            if onePastLast { facts.append("\(value) is one past the last id") }
            if zeroAbsent { facts.append("0 never occurs, though the ground truth has class 0") }
            if let comparison = comparison(plusOne, "read as ids + 1", asRead, "read as ids") { facts.append(comparison.description) }
            let explanation = facts.isEmpty ? "" : " (\(facts.joined(separator: "; ")))"
            let head = "\(place) is not a class id of \(classRange): predictions look like mmseg's reduce_zero_label "
            return head + ("output (ids + 1); use \(reduceZeroLabel)\(explanation)" as HarnessMessage)
        }
        if onePastLast {
            let detail: HarnessMessage = comparison(asRead, "read as ids", plusOne, "read as ids + 1").map { " (\($0))" } ?? ""
            let head = "\(place) is not a class id of \(classRange). It is one past the last id, as in mmseg's "
                + "reduce_zero_label output (ids + 1), but this image fits its ground truth better read as ids"
            return head + ("\(detail), so the value looks stray: \(voidHint), or \(reduceZeroLabel) if the files do hold ids + 1" as HarnessMessage)
        }
        return "\(place) is not a class id of \(classRange) (\(voidHint))" as HarnessMessage
    }

    /// The files were read with an encoding: do they hold plain ids after all?
    private var readWithEncoding: HarnessMessage {
        let shift = encoding.rawValue(ofClass: 0)
        let asIDs = evidence(shift: 0)
        let asEncoded = evidence(shift: shift)
        let reading: HarnessMessage = "under \(encodingSetting) (\(encoding.explanation))"
        let meaning: HarnessMessage = encoding.classID(ofRaw: value).map { "id \($0) \(reading), which is not a class id of \(classRange)" }
            ?? "no class \(reading)"
        if asIDs.fitsBetter(than: asEncoded) {
            let detail: HarnessMessage = comparison(asIDs, "read as ids", asEncoded, "read with \(encodingSetting)").map { " (\($0))" } ?? ""
            return "\(place) stands for \(meaning): the predictions look like plain class ids\(detail); drop \(encodingSetting)" as HarnessMessage
        }
        return "\(place) stands for \(meaning) (\(voidHint))" as HarnessMessage
    }

    private func evidence(shift: Int) -> ShiftEvidence {
        ShiftEvidence(groundTruthIDs: groundTruthIDs, raw: raw, classCount: classCount, shift: shift)
    }

    /// "read as ids + 1 the image agrees with its ground truth on 97.1 % of the evaluated pixels, read as ids on 0.0 %".
    private func comparison(
        _ better: ShiftEvidence, _ betterLabel: HarnessMessage, _ worse: ShiftEvidence, _ worseLabel: HarnessMessage
    ) -> HarnessMessage? {
        guard let b = better.matchingShare, let w = worse.matchingShare else { return nil }
        let agreement = "the image agrees with its ground truth on \(Percent.format(b)) % of the evaluated pixels"
        return "\(betterLabel) \(agreement), \(worseLabel) on \(Percent.format(w)) %" as HarnessMessage
    }
}
