import Foundation
import Testing

@testable import Harness
import JSON
import LabelMaps
import Metrics
import Vocabulary

/// Scoring with command-line encoding overrides (`ScoreOptions.encoding`): hand-computed counts,
/// the results file's record of what was used and where it came from, and comparability.
@Suite struct EncodingOverrideScoringTests {
    /// 0-based LoveDA ids (0…6, no no-data) in ground truth and predictions: a 7×2 map whose
    /// rows both hold 0…6; the prediction is right everywhere.
    struct ZeroBasedIDs {
        let gt: String
        let pred: String
        let rgbGT: String
        static let width = 7, height = 2

        init(in scratch: Scratch) throws {
            gt = try scratch.folder("gt")
            pred = try scratch.folder("pred")
            rgbGT = try scratch.folder("rgb-gt")
            let values = (0..<Self.height).flatMap { _ in (0..<Self.width).map { UInt16($0) } }
            let map = LabelMap(width: Self.width, height: Self.height, values: values)
            try LabelMapWriter.writeGray8(map, to: gt + "/a.png")
            try LabelMapWriter.writeGray8(map, to: pred + "/a.png")
            // The same ids saved as RGB with equal channels.
            try LabelMapWriter.writeRGB(
                width: Self.width, height: Self.height, pixels: values.flatMap { [UInt8($0), UInt8($0), UInt8($0)] },
                to: rgbGT + "/a.png")
        }
    }

    func options(_ vocabulary: Vocabulary, _ override: EncodingOverride) throws -> ScoreOptions {
        ScoreOptions(
            vocabulary: vocabulary, jobs: 1, method: "m", splitOrigin: .noDefault,
            encoding: try vocabulary.effectiveEncoding(override))
    }

    @Test func reduceZeroLabelNoReadsZeroBasedIDs() throws {
        let scratch = try Scratch()
        let data = try ZeroBasedIDs(in: scratch)
        let loveda = try Vocabulary.load(key: "loveda")
        #expect(loveda.encoding.reduceZeroLabel)

        // The vocabulary's reading: raw 0 ignored, raw v is class v − 1, so prediction v (class v)
        // is one class off everywhere, and raw 0 is not counted.
        let declared = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred, options: try options(loveda, EncodingOverride()))
        #expect(declared.matrix.classCounts.map(\.groundTruth).reduce(0, +) == 12)
        #expect(declared.matrix.classCounts.map(\.truePositives).reduce(0, +) == 0)

        // --reduce-zero-label no: every pixel counted on the diagonal, 2 per class.
        let ids = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred,
            options: try options(loveda, EncodingOverride(reduceZeroLabel: false)))
        #expect(ids.matrix.classCounts.map(\.groundTruth) == Array(repeating: 2, count: 7))
        #expect(ids.matrix.classCounts.map(\.truePositives) == Array(repeating: 2, count: 7))
        #expect(!ids.policy.reduceZeroLabel)
        #expect(ids.policy.encodingOrigins?.reduceZeroLabel == .commandLine)
        #expect(ids.policy.encodingOrigins?.ignoreValues == .vocabulary)
        #expect(ids.policy.vocabularyEncoding?.reduceZeroLabel == true)
        // The vocabulary is still recognised as loveda's file.
        #expect(ids.vocabulary.fingerprint == loveda.fingerprint)
    }

    @Test func ignoreReplacesTheIgnoreValues() throws {
        let scratch = try Scratch()
        let data = try ZeroBasedIDs(in: scratch)
        // Ground truth whose last pixel holds 20, no class of openearthmap (9 classes, ignore 255).
        let gt = try scratch.folder("gt-20")
        var values = (0..<2).flatMap { _ in (0..<7).map { UInt16($0) } }
        values[13] = 20
        try LabelMapWriter.writeGray8(LabelMap(width: 7, height: 2, values: values), to: gt + "/a.png")
        let openearthmap = try Vocabulary.load(key: "openearthmap")
        #expect(throws: HarnessError.self) {
            try Scorer.score(groundTruthDirectory: gt, predictionDirectory: data.pred, options: try options(openearthmap, EncodingOverride()))
        }
        let record = try Scorer.score(
            groundTruthDirectory: gt, predictionDirectory: data.pred,
            options: try options(openearthmap, EncodingOverride(ignoreValues: [20])))
        // The pixel at 20 is not counted, in ground truth or prediction; 255 is no longer ignored.
        #expect(record.matrix.classCounts[6].groundTruth == 1)
        #expect(record.matrix.classCounts[6].predicted == 1)
        #expect(record.matrix.classCounts.map(\.groundTruth).reduce(0, +) == 13)
        #expect(record.policy.ignoreValues == [20])
        #expect(record.policy.encodingOrigins?.ignoreValues == .commandLine)
        #expect(record.policy.vocabularyEncoding?.ignoreValues == [255])
    }

    @Test func labelFormatIndexReadsRGBGroundTruthWithEqualChannels() throws {
        let scratch = try Scratch()
        let data = try ZeroBasedIDs(in: scratch)
        let openearthmap = try Vocabulary.load(key: "openearthmap")
        // As the file's colour type says, RGB grays are no class colours.
        #expect(throws: HarnessError.self) {
            try Scorer.score(
                groundTruthDirectory: data.rgbGT, predictionDirectory: data.pred, options: try options(openearthmap, EncodingOverride()))
        }
        let record = try Scorer.score(
            groundTruthDirectory: data.rgbGT, predictionDirectory: data.pred,
            options: try options(openearthmap, EncodingOverride(labelFormat: .index)))
        #expect(Array(record.matrix.classCounts.map(\.truePositives).prefix(7)) == Array(repeating: 2, count: 7))
        #expect(record.policy.labelFormat == .index)
        #expect(record.policy.encodingOrigins?.labelFormat == .commandLine)
        // The decoded labels are the same as the gray file's, so is the dataset fingerprint.
        let gray = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred, options: try options(openearthmap, EncodingOverride()))
        #expect(gray.dataset.labelsFingerprint == record.dataset.labelsFingerprint)
    }

    @Test func resultsFileRecordsTheEncodingAndItsOrigins() throws {
        let scratch = try Scratch()
        let data = try ZeroBasedIDs(in: scratch)
        let loveda = try Vocabulary.load(key: "loveda")
        let record = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred,
            options: try options(loveda, EncodingOverride(reduceZeroLabel: false, labelFormat: .index)))
        let path = scratch.path + "/run.ovseg.json"
        try ResultsFile.write(record, to: path)
        let back = try ResultsFile.read(path: path)
        #expect(back == record)
        #expect(back.splitOrigin == .noDefault)

        let document = try JSONCodec.read(path: path)
        let policy = try #require(document.objectValue?["policy"]?.objectValue)
        #expect(policy["label_format"]?.stringValue == "index")
        #expect(policy["encoding_origin"]?.objectValue?["reduce_zero_label"]?.stringValue == "command line")
        #expect(policy["encoding_origin"]?.objectValue?["ignore_values"]?.stringValue == "vocabulary")
        #expect(policy["vocabulary_encoding"]?.objectValue?["reduce_zero_label"]?.boolValue == true)
        #expect(document.objectValue?["split_origin"]?.stringValue == "no-default")
    }

    @Test func filesWithoutTheNewFieldsStayReadable() throws {
        let scratch = try Scratch()
        let data = try ZeroBasedIDs(in: scratch)
        let loveda = try Vocabulary.load(key: "loveda")
        let record = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred,
            options: try options(loveda, EncodingOverride(reduceZeroLabel: false, labelFormat: .index)))
        guard case .object(var root) = ResultsFile.encode(record), case .object(var policy)? = root["policy"] else {
            Issue.record("results file is not an object")
            return
        }
        policy["label_format"] = nil
        policy["encoding_origin"] = nil
        policy["vocabulary_encoding"] = nil
        root["policy"] = .object(policy)
        root["split_origin"] = nil
        let old = try ResultsFile.decode(.object(root), source: "old.ovseg.json")
        #expect(old.policy.labelFormat == nil)
        #expect(old.policy.encodingOrigins == nil)
        #expect(old.policy.vocabularyEncoding == nil)
        #expect(old.splitOrigin == nil)
        #expect(!old.policy.reduceZeroLabel)
    }

    @Test func differentEncodingsAreNotComparableButOriginsAloneDoNotMatter() throws {
        let scratch = try Scratch()
        let data = try ZeroBasedIDs(in: scratch)
        let openearthmap = try Vocabulary.load(key: "openearthmap")
        func run(_ override: EncodingOverride) throws -> RunRecord {
            try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred, options: try options(openearthmap, override))
        }
        let plain = try run(EncodingOverride())
        // The vocabulary's own settings, given on the command line: the same measurement.
        let restated = try run(EncodingOverride(reduceZeroLabel: false, ignoreValues: [255]))
        #expect(Comparability.difference(plain, restated) == nil)

        let ignoring = try run(EncodingOverride(ignoreValues: [20, 255]))
        let difference = try #require(Comparability.difference(plain, ignoring))
        #expect(difference.contains("ignore [255]") && difference.contains("ignore [20, 255]"), "\(difference)")

        let formatted = try run(EncodingOverride(labelFormat: .index))
        let formatDifference = try #require(Comparability.difference(plain, formatted))
        #expect(formatDifference.contains("label format by file") && formatDifference.contains("label format index"), "\(formatDifference)")
    }

    @Test func reSplittingRecordsHowTheNewSplitWasChosen() throws {
        let scratch = try Scratch()
        let data = try ZeroBasedIDs(in: scratch)
        let openearthmap = try Vocabulary.load(key: "openearthmap")
        let record = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred, options: try options(openearthmap, EncodingOverride()))
        #expect(record.split == nil && record.splitOrigin == .noDefault)
        let named = try record.resplit(.named("globe230k-overlap"), vocabulary: openearthmap)
        #expect(named.split?.name == "globe230k-overlap")
        #expect(named.splitOrigin == .splitName)
        let none = try named.resplit(named: "none", vocabulary: openearthmap)
        #expect(none.split == nil && none.splitOrigin == .noSplit)
        // Without a default_split, the vocabulary default is still no split.
        let defaulted = try named.resplit(.vocabularyDefault, vocabulary: openearthmap)
        #expect(defaulted.split == nil && defaulted.splitOrigin == .noDefault)
    }
}
