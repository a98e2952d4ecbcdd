import Foundation
import Testing

@testable import Harness
import JSON
import LabelMaps
import Metrics
import Vocabulary

/// LoveDA-style label files: ground truth with mmseg's reduce_zero_label (raw 0 no-data,
/// raw v = class v − 1), a model's predictions as class ids (`ids/`), and the same predictions
/// as mmseg 1.x's format_only writes them for reduce_zero_label datasets (`plus-one/`, ids + 1).
struct LoveDALabels {
    static let classCount = 7
    let gt: String
    let ids: String
    let plusOne: String

    init(in scratch: Scratch, images: Int = 3, size: Int = 32) throws {
        gt = try scratch.folder("gt")
        ids = try scratch.folder("ids")
        plusOne = try scratch.folder("plus-one")
        for image in 0..<images {
            var raw = [UInt16](repeating: 0, count: size * size)
            var predicted = [UInt16](repeating: 0, count: size * size)
            for y in 0..<size {
                for x in 0..<size {
                    let i = y * size + x
                    // Bands of the seven classes, a no-data corner, and a model that is wrong on
                    // about a quarter of the pixels (it calls them two classes further on).
                    let id = (x / 5 + y / 11 + image) % Self.classCount
                    raw[i] = x < 3 && y < 3 ? 0 : UInt16(id + 1)
                    let wrong = (i &* 2_654_435_761) % 4 == 0
                    predicted[i] = UInt16(wrong ? (id + 2) % Self.classCount : id)
                }
            }
            let name = "/tile_\(image).png"
            try LabelMapWriter.writeGray8(LabelMap(width: size, height: size, values: raw), to: gt + name)
            try LabelMapWriter.writeGray8(LabelMap(width: size, height: size, values: predicted), to: ids + name)
            try LabelMapWriter.writeGray8(
                LabelMap(width: size, height: size, values: predicted.map { $0 + 1 }), to: plusOne + name)
        }
    }

    static func options(
        encoding: PredictionEncoding = .classIDs, outOfRange: OutOfRangePrediction = .error
    ) throws -> ScoreOptions {
        let vocabulary = try Vocabulary.load(key: "loveda")
        return ScoreOptions(
            vocabulary: vocabulary, split: vocabulary.splits.first, outOfRangePrediction: outOfRange,
            predictionEncoding: encoding, jobs: 2, method: "m")
    }
}

@Suite("Scoring prediction files in other encodings (mmseg's ids + 1)")
struct PredictionEncodingScoringTests {
    @Test func idsPlusOneReadWithTheirEncodingCountLikeTheIDs() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch)
        let reference = try Scorer.score(
            groundTruthDirectory: labels.gt, predictionDirectory: labels.ids, options: LoveDALabels.options())
        #expect(reference.scores.meanIoU ?? 0 > 0.5, "a usable model, so the shift is visible")
        for encoding in [PredictionEncoding.reduceZeroLabel, .offset(1)] {
            let record = try Scorer.score(
                groundTruthDirectory: labels.gt, predictionDirectory: labels.plusOne,
                options: LoveDALabels.options(encoding: encoding))
            #expect(record.matrix == reference.matrix)
            #expect(record.images.map(\.counts) == reference.images.map(\.counts))
            #expect(record.policy.predictionEncoding == encoding)
            #expect(record.warnings.isEmpty)
            // The same measurement: comparable, and only the reading differs.
            #expect(Comparability.difference(reference, record) == nil)
            #expect(record.policy != reference.policy)
        }
    }

    @Test func idsPlusOneReadAsIDsNameTheCauseAndOfferNoVoid() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch)
        do {
            _ = try Scorer.score(
                groundTruthDirectory: labels.gt, predictionDirectory: labels.plusOne, options: LoveDALabels.options())
            Issue.record("ids + 1 read as ids must fail")
        } catch {
            let text = "\(error)"
            #expect(text.contains("plus-one/tile_0.png: predicted value 7 at pixel"), "\(text)")
            #expect(text.contains("is not a class id of loveda (0–6)"), "\(text)")
            #expect(
                text.contains("predictions look like mmseg's reduce_zero_label output (ids + 1); use prediction encoding `reduce-zero-label`"),
                "\(text)")
            #expect(text.contains("7 is one past the last id"), "\(text)")
            #expect(text.contains("0 never occurs"), "\(text)")
            #expect(text.contains("read as ids + 1 the image agrees with its ground truth on"), "\(text)")
            #expect(!text.contains("out-of-range prediction policy `void`"), "the hint that gives wrong numbers: \(text)")
        }
    }

    @Test func voidingAShiftedEncodingWarnsAndRecordsTheShare() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch)
        let record = try Scorer.score(
            groundTruthDirectory: labels.gt, predictionDirectory: labels.plusOne,
            options: LoveDALabels.options(outOfRange: .void))
        let diagnostics = record.predictionDiagnostics
        #expect(diagnostics.voidShareIsLarge)
        #expect(diagnostics.looksShiftedByOne)
        #expect(record.warnings.count == 2)
        #expect(record.warnings.first?.contains("were counted as misses (--out-of-range-prediction void)") == true)
        #expect(record.warnings.first?.contains("--pred-reduce-zero-label") == true)
        #expect(record.warnings.last?.contains("the predictions look shifted by one class") == true)
        // The share and the warnings are in the results file, and come back from it.
        let path = scratch.path + "/void.ovseg.json"
        try ResultsFile.write(record, to: path)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let metrics = object?["metrics"] as? [String: Any]
        let share = try #require(metrics?["void_prediction_share"] as? Double)
        #expect(abs(share - (diagnostics.voidShare ?? 0)) < 1e-12)
        #expect(share > 0.1, "LoveDA's last class, agricultural, is a seventh of these tiles")
        #expect((object?["warnings"] as? [String]) == record.warnings)
        #expect(try ResultsFile.read(path: path).warnings == record.warnings)
    }

    @Test func aStrayValueOnePastTheLastIDStillOffersVoid() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch, images: 1)
        // Class ids with one stray 7: the image fits its ground truth as ids, not as ids + 1.
        var map = try LabelMapReader.read(path: labels.ids + "/tile_0.png", colors: ColorTable([:]))
        map[x: 10, y: 4] = 7
        try LabelMapWriter.writeGray8(map, to: labels.ids + "/tile_0.png")
        expectFailure(
            containing: "predicted value 7 at pixel (10, 4)", "one past the last id",
            "fits its ground truth better read as ids", "use out-of-range prediction policy `void`"
        ) {
            try Scorer.score(groundTruthDirectory: labels.gt, predictionDirectory: labels.ids, options: LoveDALabels.options())
        }
        // Another stray value is the plain error with the void hint.
        map[x: 10, y: 4] = 200
        try LabelMapWriter.writeGray8(map, to: labels.ids + "/tile_0.png")
        do {
            _ = try Scorer.score(groundTruthDirectory: labels.gt, predictionDirectory: labels.ids, options: LoveDALabels.options())
            Issue.record("a stray 200 must fail")
        } catch {
            #expect("\(error)".hasSuffix(
                "predicted value 200 at pixel (10, 4) is not a class id of loveda (0–6) "
                    + "(use out-of-range prediction policy `void` to count such pixels as misses)"))
        }
    }

    @Test func idsReadAsIDsPlusOneSayToDropTheOption() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch, images: 1)
        do {
            _ = try Scorer.score(
                groundTruthDirectory: labels.gt, predictionDirectory: labels.ids,
                options: LoveDALabels.options(encoding: .reduceZeroLabel))
            Issue.record("ids read as ids + 1 must fail")
        } catch {
            let text = "\(error)"
            #expect(text.contains("predicted value 0 at pixel"), "\(text)")
            #expect(text.contains("stands for no class under prediction encoding `reduce-zero-label`"), "\(text)")
            #expect(text.contains("the predictions look like plain class ids"), "\(text)")
            #expect(text.hasSuffix("drop prediction encoding `reduce-zero-label`"), "\(text)")
            #expect(!text.contains("out-of-range prediction policy `void`"), "\(text)")
        }
    }

    @Test func encodingsDoNotApplyToColourCodedPredictions() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch, images: 1, size: 8)
        let rgb = try scratch.folder("rgb")
        try LabelMapWriter.writeRGB(
            width: 8, height: 8, pixels: [UInt8](repeating: 255, count: 8 * 8 * 3), to: rgb + "/tile_0.png")
        expectFailure(containing: "rgb/tile_0.png is an RGB PNG", "prediction encoding `reduce-zero-label` does not apply") {
            try Scorer.score(
                groundTruthDirectory: labels.gt, predictionDirectory: rgb,
                options: LoveDALabels.options(encoding: .reduceZeroLabel))
        }
        // As ids, the white RGB prediction is LoveDA's background colour.
        let record = try Scorer.score(groundTruthDirectory: labels.gt, predictionDirectory: rgb, options: LoveDALabels.options())
        #expect(record.scores.classCounts[0].predicted == 64 - 9)
    }

    @Test func theEncodingIsRecordedAndOlderFilesReadAsIDs() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch, images: 2)
        let record = try Scorer.score(
            groundTruthDirectory: labels.gt, predictionDirectory: labels.plusOne,
            options: LoveDALabels.options(encoding: .reduceZeroLabel))
        let path = scratch.path + "/run.ovseg.json"
        try ResultsFile.write(record, to: path)
        #expect(try ResultsFile.read(path: path) == record)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let policy = object?["policy"] as? [String: Any]
        #expect(policy?["prediction_encoding"] as? String == "reduce-zero-label")
        #expect((policy?["prediction_encoding_meaning"] as? String)?.contains("value v is class v − 1") == true)

        guard case .object(var root) = ResultsFile.encode(record), case .object(var policyObject)? = root["policy"] else {
            Issue.record("unexpected layout")
            return
        }
        policyObject["prediction_encoding"] = nil
        root["policy"] = .object(policyObject)
        let older = try ResultsFile.decode(.object(root), source: "older.json")
        #expect(older.policy.predictionEncoding == .classIDs)

        policyObject["prediction_encoding"] = .string("plus-one")
        root["policy"] = .object(policyObject)
        expectFailure(containing: "bad.json", "policy.prediction_encoding", "\"plus-one\"") {
            try ResultsFile.decode(.object(root), source: "bad.json")
        }
    }

    @Test func shardsReadDifferentlyAreNotMerged() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch, images: 4)
        var first = try LoveDALabels.options()
        first.shard = try Shard(parsing: "1/2")
        var second = try LoveDALabels.options(encoding: .reduceZeroLabel)
        second.shard = try Shard(parsing: "2/2")
        let a = try Scorer.score(groundTruthDirectory: labels.gt, predictionDirectory: labels.ids, options: first)
        let b = try Scorer.score(groundTruthDirectory: labels.gt, predictionDirectory: labels.plusOne, options: second)
        expectFailure(containing: "b.json read its prediction files as reduce-zero-label, a.json as ids") {
            try ShardMerger.merge([("a.json", a), ("b.json", b)], allowPartial: false, command: [])
        }
    }

    @Test func modelRunsRefuseAnEncoding() throws {
        let scratch = try Scratch()
        let labels = try LoveDALabels(in: scratch, images: 1)
        struct Blank: ImagePredictor {
            mutating func predict(_ request: PredictionRequest) throws -> LabelMap {
                LabelMap(width: request.width, height: request.height, repeating: 0)
            }
        }
        var predictor = Blank()
        expectFailure(containing: "prediction encoding `offset-2` reads prediction files") {
            try ModelEvaluation.evaluate(
                dataset: EvaluationDataset(imageDirectory: labels.ids, groundTruthDirectory: labels.gt),
                options: LoveDALabels.options(encoding: .offset(2)), predictor: &predictor,
                provenance: (nil, nil, []), numerics: .sample)
        }
    }
}
