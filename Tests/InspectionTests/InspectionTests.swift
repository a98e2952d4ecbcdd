import Foundation
import Harness
import Inspection
import LabelMaps
import Testing
import Vocabulary

/// Each misconfiguration written to disk the way users meet it, and the verdict `inspect` gives.
@Suite("ovseg inspect: diagnoses")
struct InspectionTests {
    func inspect(_ folders: LabelFolders, gt: String, pred: String? = nil) throws -> InspectionReport {
        try Inspector.inspect(
            vocabulary: folders.vocabulary, groundTruthDirectory: folders.root + "/" + gt,
            predictionDirectory: pred.map { folders.root + "/" + $0 }, jobs: 2)
    }

    func codes(_ report: InspectionReport, _ severity: Finding.Severity = .problem) -> [String] {
        report.findings.filter { $0.severity == severity }.map(\.code)
    }

    @Test func consistentReduceZeroLabelGroundTruthAndIDPredictions() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "loveda")
        try folders.write("gt", .reduceZeroLabel)
        try folders.write("pred", .ids, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(report.isConsistent, "\(report.text)")
        #expect(report.scoreOptions.isEmpty)
        #expect(report.vocabArgument == "loveda")
        #expect(report.groundTruth.chosenEncoding == "reduce_zero_label")
        #expect(report.groundTruth.formats.map(\.format) == ["PNG gray 8-bit"])
        #expect(report.groundTruth.valueHistogram.map(\.value) == Array(0...7))
        #expect(report.text.contains("verdict: consistent"))
    }

    @Test func mmsegPlusOnePredictionsNameThePredReduceZeroLabelOption() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "loveda")
        try folders.write("gt", .reduceZeroLabel)
        try folders.write("pred", .plusOne, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(codes(report) == ["pred-shifted"], "\(report.text)")
        #expect(report.scoreOptions == ["--pred-reduce-zero-label"])
        #expect(report.predictions?.chosenEncoding == "ids + 1")
        #expect(report.text.contains("--pred-reduce-zero-label -o run.ovseg.json"))
    }

    @Test func offsetTwoPredictionsNamePredOffset() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "vdd")
        try folders.write("gt", .ids)
        try folders.write("pred", .mapped { UInt16($0 + 2) }, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(codes(report) == ["pred-shifted"], "\(report.text)")
        #expect(report.scoreOptions == ["--pred-offset", "2"])
    }

    @Test func zeroBasedGroundTruthUnderAReduceZeroLabelVocabulary() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "potsdam")
        try folders.write("gt", .ids)
        let report = try inspect(folders, gt: "gt")
        #expect(codes(report) == ["gt-zero-based-ids"], "\(report.text)")
        #expect(report.vocabArgument == "potsdam")
        #expect(report.groundTruth.chosenEncoding == "ids")
        #expect(report.vocabExportCommand == nil)
        #expect(report.scoreOptions == ["--reduce-zero-label", "no"])
        #expect(report.findings[0].message.contains("score with --reduce-zero-label no"))
    }

    @Test func reduceZeroLabelGroundTruthUnderAnIDVocabulary() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "openearthmap")
        try folders.write("gt", .reduceZeroLabel)
        let report = try inspect(folders, gt: "gt")
        #expect(codes(report) == ["gt-reduce-zero-label"], "\(report.text)")
        #expect(report.vocabArgument == "openearthmap")
        #expect(report.scoreOptions == ["--reduce-zero-label", "yes"])
    }

    @Test func colourGroundTruthAndPalettePredictionsAreConsistent() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "potsdam")
        try folders.write("gt", .colors)
        try folders.write("pred", .palette, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(report.isConsistent, "\(report.text)")
        #expect(report.groundTruth.chosenEncoding == "colours")
        #expect(report.groundTruth.formats.map(\.format) == ["PNG RGB 8-bit"])
        #expect(report.predictions?.formats.map(\.format) == ["PNG palette 8-bit"])
        #expect(codes(report, .note).contains("pred-other-encoding"))
        #expect(report.predictions?.encodings.first { $0.name == "palette in potsdam's colours" }?.consistent == true)
    }

    @Test func paletteColoursThatNameOtherClassesAreNoted() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "vdd")
        try folders.write("gt", .ids)
        try folders.write("pred", .reversedPalette, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(report.isConsistent, "\(report.text)")
        let note = try #require(report.findings.first { $0.code == "pred-palette" }?.message, "\(report.text)")
        #expect(note.contains("index 0 (class other) has the colour of water"), "\(note)")
        #expect(report.predictions?.encodings.first { $0.name == "palette in vdd's colours" }?.consistent == false)
    }

    @Test func sixteenBitGroundTruthIsRead() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "udd5")
        try folders.write("gt", .ids16)
        try folders.write("pred", .ids, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(report.isConsistent, "\(report.text)")
        #expect(report.groundTruth.formats.map(\.format) == ["PNG gray 16-bit"])
        #expect(report.groundTruth.valueHistogram.map(\.value) == [0, 1, 2, 3, 4, 255])
    }

    @Test func predictionsInAnotherVocabularysColours() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "potsdam")
        try folders.write("gt", .colors)
        try folders.write("pred", .otherColors(try Vocabulary.load(key: "isaid")), prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(codes(report).contains("pred-unknown-colours"), "\(report.text)")
        let message = try #require(report.findings.first { $0.code == "pred-unknown-colours" }?.message)
        #expect(message.contains("isaid's colours cover"), "\(message)")
    }

    @Test func binaryMaskPredictions() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "loveda")
        try folders.write("gt", .reduceZeroLabel)
        try folders.write("pred", .binary, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(codes(report).contains("pred-binary-mask"), "\(report.text)")
        #expect(!report.isConsistent)
    }

    @Test func binaryMaskGroundTruth() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "udd5")
        try folders.write("gt", .binary)
        let report = try inspect(folders, gt: "gt")
        #expect(codes(report) == ["gt-binary-mask"], "\(report.text)")
    }

    @Test func predictionsWithAnotherVocabularysClassCount() throws {
        let scratch = try Scratch()
        var folders = try LabelFolders(in: scratch, vocabulary: "udd5")
        try folders.write("gt", .ids)
        // Ids 0–8: a nine-class model (OpenEarthMap) scored against five classes.
        folders.images = 4
        try folders.write("pred", .mapped { UInt16(($0 * 7 + 3) % 9) }, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        let message = try #require(report.findings.first { $0.code == "pred-out-of-range" }?.message, "\(report.text)")
        #expect(message.contains("fit openearthmap (9 classes)"), "\(message)")
    }

    @Test func singleClassPredictionsAndClassesNeverPredicted() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "vdd")
        try folders.write("gt", .ids)
        try folders.write("pred", .constant(3), prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(codes(report).contains("pred-single-class-images"), "\(report.text)")
        #expect(codes(report).contains("pred-one-class"), "\(report.text)")
        #expect(codes(report, .note).contains("pred-classes-never-predicted"))
    }

    @Test func unmatchedAndMissizedPairsNameTheSkipOptions() throws {
        let scratch = try Scratch()
        var folders = try LabelFolders(in: scratch, vocabulary: "vdd")
        try folders.write("gt", .ids)
        try folders.write("pred", .ids, prediction: true)
        try FileManager.default.removeItem(atPath: folders.root + "/pred/tile_1.png")
        folders.size = 16
        folders.images = 1
        try folders.write("pred", .ids, prediction: true)
        let report = try inspect(folders, gt: "gt", pred: "pred")
        #expect(codes(report) == ["missing-predictions", "size-mismatch"], "\(report.text)")
        #expect(report.scoreOptions == ["--skip-missing", "--skip-size-mismatch"])
    }

    @Test func readErrorsNameTheFile() throws {
        let scratch = try Scratch()
        let folders = try LabelFolders(in: scratch, vocabulary: "vdd")
        try folders.write("gt", .ids)
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: folders.root + "/gt/tile_2.png"))
        #expect(throws: HarnessError.self) { try inspect(folders, gt: "gt") }
        do {
            _ = try inspect(folders, gt: "gt")
        } catch {
            #expect("\(error)".contains("tile_2.png"))
        }
    }
}
