import Foundation
import LabelMaps
import Metrics
import Vocabulary

/// Reads one ground-truth / prediction pair the way the vocabulary says, and counts it.
///
/// The file's own colour type decides what its pixels mean: gray and palette PNGs hold
/// class ids (ground truth may additionally be `reduce_zero_label`-encoded), RGB PNGs hold
/// the vocabulary's colours, which map straight to evaluation ids (ignore colours to an
/// ignore value). A prediction in an ignore colour is an unknown colour. Gray and palette
/// predictions are read through the prediction encoding (mmseg's `pred + 1`, an offset).
struct LabelReading: Sendable {
    let vocabulary: Vocabulary
    let groundTruthColors: ColorTable
    let predictionColors: ColorTable
    /// For gray and palette ground truth.
    let indexCounter: PixelCounter
    /// For colour-coded ground truth: no label reduction, ignore colours already mapped.
    let colorCounter: PixelCounter
    let skipSizeMismatches: Bool
    let ignoreValues: [Int]
    /// The encoding ground truth is read with (`options.encoding`), with where each setting came from.
    let encoding: EffectiveEncoding

    init(vocabulary: Vocabulary, options: ScoreOptions) {
        // The vocabulary as this run reads it: command-line overrides in place of its encoding.
        let vocabulary = vocabulary.withEncoding(options.encoding)
        self.vocabulary = vocabulary
        encoding = options.encoding
        let k = vocabulary.classCount
        var classColors: [RGB: UInt16] = [:]
        for item in vocabulary.classes { classColors[item.color] = UInt16(item.id) }
        let ignoreValues = vocabulary.encoding.ignoreValues
        // Ignore colours need a value that is ignored and is not a class id.
        let colorIgnore = ignoreValues.first { $0 >= k } ?? 65_535
        var gtColors = classColors
        for color in vocabulary.encoding.ignoreColors { gtColors[color] = UInt16(colorIgnore) }
        groundTruthColors = ColorTable(gtColors)
        predictionColors = ColorTable(classColors)
        self.ignoreValues = ignoreValues
        indexCounter = PixelCounter(policy: PixelPolicy(
            classCount: k, ignoreValues: ignoreValues, reduceZeroLabel: vocabulary.encoding.reduceZeroLabel,
            outOfRangeGroundTruth: options.outOfRangeGroundTruth, outOfRangePrediction: options.outOfRangePrediction,
            predictionEncoding: options.predictionEncoding))
        colorCounter = PixelCounter(policy: PixelPolicy(
            classCount: k, ignoreValues: Array(Set(ignoreValues + [colorIgnore])).sorted(), reduceZeroLabel: false,
            outOfRangeGroundTruth: options.outOfRangeGroundTruth, outOfRangePrediction: options.outOfRangePrediction,
            predictionEncoding: options.predictionEncoding))
        skipSizeMismatches = options.skipSizeMismatches
    }

    func policy(presence: PresencePolicy) -> EvaluationPolicy {
        EvaluationPolicy(
            presence: presence, ignoreValues: ignoreValues,
            ignoreColors: vocabulary.encoding.ignoreColors.map { [$0.r, $0.g, $0.b] },
            reduceZeroLabel: vocabulary.encoding.reduceZeroLabel,
            outOfRangeGroundTruth: indexCounter.policy.outOfRangeGroundTruth,
            outOfRangePrediction: indexCounter.policy.outOfRangePrediction,
            predictionEncoding: indexCounter.policy.predictionEncoding,
            labelFormat: encoding.labelFormat, encodingOrigins: encoding.origins,
            vocabularyEncoding: encoding.vocabularySettings)
    }

    /// The prediction encoding the files are read with.
    var predictionEncoding: PredictionEncoding { indexCounter.policy.predictionEncoding }

    /// Counts one pair; `nil` when the sizes differ and skipping was allowed.
    func score(_ pair: ImagePair) throws(HarnessError) -> (record: ImageRecord, matrix: ConfusionMatrix)? {
        let (groundTruth, groundTruthBytes) = try readGroundTruth(pair.groundTruthPath)
        let predictionBytes = try readBytes(pair.predictionPath)
        let prediction: LabelMap
        do {
            prediction = try LabelMapReader.decode(
                bytes: predictionBytes, name: pair.predictionPath, colors: predictionColors)
        } catch {
            throw HarnessError(.labelFile, wrapping: error)
        }
        if prediction.isColorCoded && !predictionEncoding.isClassIDs {
            throw HarnessError(.labelFile, file: pair.predictionPath,
                "\(pair.predictionPath) is an RGB PNG: its colours name classes directly, so \(setting: .predictionEncoding(predictionEncoding)) "
                    + "does not apply to it (the setting reads gray and palette files of class values)")
        }
        guard groundTruth.width == prediction.width, groundTruth.height == prediction.height else {
            if skipSizeMismatches { return nil }
            throw HarnessError(.sizeMismatch, file: pair.predictionPath,
                "size mismatch for image \(pair.id): ground truth \(pair.groundTruthPath) is "
                    + "\(groundTruth.width)×\(groundTruth.height), prediction \(pair.predictionPath) is "
                    + "\(prediction.width)×\(prediction.height) (use \(setting: .skipSizeMismatches) to skip such pairs)")
        }
        let (matrix, labelsSHA256) = try count(
            groundTruth: groundTruth, groundTruthPath: pair.groundTruthPath, prediction: prediction,
            predictionName: pair.predictionPath)
        let record = ImageRecord(
            id: pair.id,
            groundTruthSHA256: Fingerprint.sha256(groundTruthBytes),
            predictionSHA256: Fingerprint.sha256(predictionBytes),
            width: groundTruth.width, height: groundTruth.height,
            counts: matrix.classCounts, groundTruthLabelsSHA256: labelsSHA256)
        return (record, matrix)
    }

    /// Decodes a ground-truth file; also returns its bytes for the dataset fingerprint.
    func readGroundTruth(_ path: String) throws(HarnessError) -> (map: LabelMap, bytes: [UInt8]) {
        let bytes = try readBytes(path)
        do {
            return (try LabelMapReader.decode(bytes: bytes, name: path, colors: groundTruthColors, format: encoding.labelFormat), bytes)
        } catch {
            throw HarnessError(.labelFile, wrapping: error)
        }
    }

    /// Evaluation class id per pixel of a decoded ground truth, −1 where the pixel is not evaluated
    /// (ignore values, ignore colours, reduce_zero_label's 0, out-of-range values).
    func evaluationIDs(_ groundTruth: LabelMap) -> [Int32] {
        (groundTruth.isColorCoded ? colorCounter : indexCounter).evaluationClasses(ofGroundTruth: groundTruth.values)
    }

    /// Counts a decoded pair of equal size into a fresh matrix and hashes the ground truth's
    /// evaluation labels on the way (`LabelHasher`), from the same decoded values; errors name
    /// the file and the pixel.
    func count(
        groundTruth: LabelMap, groundTruthPath: String, prediction: LabelMap, predictionName: String
    ) throws(HarnessError) -> (matrix: ConfusionMatrix, labelsSHA256: String) {
        let counter = groundTruth.isColorCoded ? colorCounter : indexCounter
        var matrix = ConfusionMatrix(classCount: vocabulary.classCount)
        do {
            try counter.count(groundTruth: groundTruth.values, prediction: prediction.values, into: &matrix)
        } catch {
            let x = error.pixelIndex % groundTruth.width
            let y = error.pixelIndex / groundTruth.width
            switch error.side {
            case .groundTruth:
                throw HarnessError(.outOfRange, file: groundTruthPath,
                    "\(groundTruthPath): value \(error.value) at pixel (\(x), \(y)) is not a class id of "
                        + "\(vocabulary.key) (0–\(vocabulary.classCount - 1)) nor an ignore value "
                        + "\(ignoreValues)\(vocabulary.encoding.reduceZeroLabel && !groundTruth.isColorCoded ? " after reduce_zero_label" : "")"
                        + " (use \(setting: .outOfRangeGroundTruth(.ignore)) or mmseg-compatible to accept it)" as HarnessMessage)
            case .prediction:
                let message = OutOfRangePredictionMessage(
                    file: predictionName, value: error.value, x: x, y: y, vocabularyKey: vocabulary.key,
                    classCount: vocabulary.classCount, encoding: counter.policy.predictionEncoding,
                    groundTruthIDs: evaluationIDs(groundTruth), raw: prediction.values)
                throw HarnessError(.outOfRange, file: predictionName, message.text)
            }
        }
        var hasher = LabelHasher(width: groundTruth.width, height: groundTruth.height)
        groundTruth.values.withUnsafeBufferPointer { values in
            counter.forEachEvaluationLabelChunk(ofGroundTruth: values) { hasher.update($0) }
        }
        return (matrix, hasher.finalize())
    }

    private func readBytes(_ path: String) throws(HarnessError) -> [UInt8] {
        do {
            return try FileBytes.read(path: path)
        } catch {
            throw HarnessError(.labelFile, wrapping: error)
        }
    }
}

extension VocabularyInfo {
    init(_ vocabulary: Vocabulary) {
        self.init(
            key: vocabulary.key, name: vocabulary.name, fingerprint: vocabulary.fingerprint,
            classNames: vocabulary.classes.map(\.name),
            colors: vocabulary.classes.map { [$0.color.r, $0.color.g, $0.color.b] })
    }
}

extension SplitInfo {
    init(_ split: ClassSplit) {
        self.init(
            name: split.name, seenIDs: split.seenIDs, unseenIDs: split.unseenIDs, source: split.source,
            inferred: split.inferred)
    }
}

extension Provenance {
    /// This process's command line, with the program as `ovseg` rather than a build path.
    public static var invocation: [String] {
        var arguments = CommandLine.arguments
        if !arguments.isEmpty { arguments[0] = "ovseg" }
        return arguments
    }

    /// The current time as ISO 8601 UTC, or the value of `OVSEG_FIXED_DATE` (for reproducible files).
    static func now() -> String {
        if let fixed = ProcessInfo.processInfo.environment["OVSEG_FIXED_DATE"], !fixed.isEmpty { return fixed }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
