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
    ///
    /// Both files are opened as band readers (docs/label-files.md §2) and counted band by band
    /// into one matrix, so a TIFF pair never holds more than a few strips or tile rows per file;
    /// a PNG is decoded whole once and handed out in bands. The file hashes are of the bytes as
    /// before (streamed from disk for TIFF); the labels hash is updated band by band, which gives
    /// the same digest as hashing the whole map.
    func score(_ pair: ImagePair) throws(HarnessError) -> (record: ImageRecord, matrix: ConfusionMatrix)? {
        // --label-format applies to ground truth only.
        let groundTruth = try openLabels(pair.groundTruthPath, colors: groundTruthColors, format: encoding.labelFormat)
        let prediction = try openLabels(pair.predictionPath, colors: predictionColors, format: nil)
        if prediction.isColorCoded && !predictionEncoding.isClassIDs {
            let kind = prediction is TIFFLabelReader ? "an RGB TIFF" : "an RGB PNG"
            throw HarnessError(.labelFile, file: pair.predictionPath,
                "\(pair.predictionPath) is \(kind): its colours name classes directly, so \(setting: .predictionEncoding(predictionEncoding)) "
                    + "does not apply to it (the setting reads gray and palette files of class values)")
        }
        guard groundTruth.width == prediction.width, groundTruth.height == prediction.height else {
            if skipSizeMismatches { return nil }
            throw HarnessError(.sizeMismatch, file: pair.predictionPath,
                "size mismatch for image \(pair.id): ground truth \(pair.groundTruthPath) is "
                    + "\(groundTruth.width)×\(groundTruth.height), prediction \(pair.predictionPath) is "
                    + "\(prediction.width)×\(prediction.height) (use \(setting: .skipSizeMismatches) to skip such pairs)")
        }
        let (matrix, labelsSHA256) = try countBands(groundTruth: groundTruth, prediction: prediction)
        let record = ImageRecord(
            id: pair.id,
            groundTruthSHA256: try fileSHA256(groundTruth),
            predictionSHA256: try fileSHA256(prediction),
            width: groundTruth.width, height: groundTruth.height,
            counts: matrix.classCounts, groundTruthLabelsSHA256: labelsSHA256,
            georeferencing: groundTruth.georeferencing)
        return (record, matrix)
    }

    private func openLabels(_ path: String, colors: ColorTable, format: LabelFormat?) throws(HarnessError) -> any LabelBandReader {
        do {
            return try LabelBandReaders.open(path: path, colors: colors, format: format)
        } catch {
            throw HarnessError(.labelFile, wrapping: error)
        }
    }

    /// SHA-256 of a label file's bytes: from memory when the reader holds them, else streamed.
    private func fileSHA256(_ reader: any LabelBandReader) throws(HarnessError) -> String {
        if let bytes = reader.fileBytes { return Fingerprint.sha256(bytes) }
        return try Fingerprint.sha256(path: reader.name)
    }

    /// Counts two open readers of equal size band by band; errors name the file and the pixel in
    /// whole-image coordinates, exactly as `count` does for decoded maps.
    private func countBands(
        groundTruth: any LabelBandReader, prediction: any LabelBandReader
    ) throws(HarnessError) -> (matrix: ConfusionMatrix, labelsSHA256: String) {
        let width = groundTruth.width, height = groundTruth.height
        let counter = groundTruth.isColorCoded ? colorCounter : indexCounter
        let band = max(1, min(height, max(groundTruth.preferredBandRows, prediction.preferredBandRows)))
        var matrix = ConfusionMatrix(classCount: vocabulary.classCount)
        var hasher = LabelHasher(width: width, height: height)
        var truthBand = [UInt16](repeating: 0, count: band * width)
        var predictedBand = [UInt16](repeating: 0, count: band * width)
        var row = 0
        while row < height {
            let rows = min(band, height - row)
            let pixels = rows * width
            do {
                try truthBand.withUnsafeMutableBufferPointer { try groundTruth.readRows(rows, into: $0) }
                try predictedBand.withUnsafeMutableBufferPointer { try prediction.readRows(rows, into: $0) }
            } catch {
                throw HarnessError(.labelFile, wrapping: error)
            }
            var failure: OutOfRangeValue?
            truthBand.withUnsafeBufferPointer { truth in
                predictedBand.withUnsafeBufferPointer { predicted in
                    let truthRows = UnsafeBufferPointer(rebasing: truth[0..<pixels])
                    do throws(OutOfRangeValue) {
                        try counter.count(
                            groundTruth: truthRows, prediction: UnsafeBufferPointer(rebasing: predicted[0..<pixels]),
                            into: &matrix)
                    } catch {
                        failure = error
                        return
                    }
                    counter.forEachEvaluationLabelChunk(ofGroundTruth: truthRows) { hasher.update($0) }
                }
            }
            if let failure {
                let index = row * width + failure.pixelIndex
                throw outOfRange(
                    failure, x: index % width, y: index / width, groundTruthPath: groundTruth.name,
                    groundTruthIsColorCoded: groundTruth.isColorCoded, predictionName: prediction.name
                ) { () throws(HarnessError) in
                    // Only on this error path: the message wants both whole maps.
                    do {
                        return (try LabelMapReader.read(path: groundTruth.name, colors: groundTruthColors, format: encoding.labelFormat),
                                try LabelMapReader.read(path: prediction.name, colors: predictionColors))
                    } catch {
                        throw HarnessError(.labelFile, wrapping: error)
                    }
                }
            }
            row += rows
        }
        return (matrix, hasher.finalize())
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
            throw outOfRange(
                error, x: error.pixelIndex % groundTruth.width, y: error.pixelIndex / groundTruth.width,
                groundTruthPath: groundTruthPath, groundTruthIsColorCoded: groundTruth.isColorCoded,
                predictionName: predictionName
            ) { () throws(HarnessError) in (groundTruth, prediction) }
        }
        var hasher = LabelHasher(width: groundTruth.width, height: groundTruth.height)
        groundTruth.values.withUnsafeBufferPointer { values in
            counter.forEachEvaluationLabelChunk(ofGroundTruth: values) { hasher.update($0) }
        }
        return (matrix, hasher.finalize())
    }

    /// The error for an out-of-range value at pixel (x, y); `wholeMaps` gives the decoded pair
    /// for the prediction message, which describes the whole image.
    private func outOfRange(
        _ error: OutOfRangeValue, x: Int, y: Int, groundTruthPath: String, groundTruthIsColorCoded: Bool,
        predictionName: String, wholeMaps: () throws(HarnessError) -> (LabelMap, LabelMap)
    ) -> HarnessError {
        switch error.side {
        case .groundTruth:
            return HarnessError(.outOfRange, file: groundTruthPath,
                "\(groundTruthPath): value \(error.value) at pixel (\(x), \(y)) is not a class id of "
                    + "\(vocabulary.key) (0–\(vocabulary.classCount - 1)) nor an ignore value "
                    + "\(ignoreValues)\(vocabulary.encoding.reduceZeroLabel && !groundTruthIsColorCoded ? " after reduce_zero_label" : "")"
                    + " (use \(setting: .outOfRangeGroundTruth(.ignore)) or mmseg-compatible to accept it)" as HarnessMessage)
        case .prediction:
            let counter = groundTruthIsColorCoded ? colorCounter : indexCounter
            let groundTruth: LabelMap, prediction: LabelMap
            do {
                (groundTruth, prediction) = try wholeMaps()
            } catch {
                return error
            }
            let message = OutOfRangePredictionMessage(
                file: predictionName, value: error.value, x: x, y: y, vocabularyKey: vocabulary.key,
                classCount: vocabulary.classCount, encoding: counter.policy.predictionEncoding,
                groundTruthIDs: evaluationIDs(groundTruth), raw: prediction.values)
            return HarnessError(.outOfRange, file: predictionName, message.text)
        }
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
    public static func now() -> String {
        if let fixed = ProcessInfo.processInfo.environment["OVSEG_FIXED_DATE"], !fixed.isEmpty { return fixed }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
