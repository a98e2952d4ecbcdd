import Foundation
import Testing

@testable import Harness
import LabelMaps
import Metrics
import SyntheticData
import Vocabulary

/// A stand-in model: answers with a simulated method's prediction for the tile it is asked about,
/// and checks that the ground truth it is handed is the scene's (evaluation ids, −1 = ignored).
struct SimulatedPredictor: ImagePredictor {
    let dataset: SampleDataset
    let method: SimulatedMethod
    var calls: [String] = []
    var groundTruthMismatches = 0

    mutating func predict(_ request: PredictionRequest) throws -> LabelMap {
        calls.append(request.id)
        let index = Int(request.id.dropFirst("tile_".count)) ?? -1
        let scene = SceneGenerator(width: dataset.width, height: dataset.height).scene(index: index, seed: dataset.seed)
        let expected = scene.labels.values.map { $0 == Scene.ignore ? Int32(-1) : Int32($0) }
        if expected != request.groundTruthIDs { groundTruthMismatches += 1 }
        return method.predict(scene, seed: dataset.seed)
    }
}

extension NumericEnvironment {
    static let sample = NumericEnvironment(
        arithmetic: "reproducible", kernel: "AVX2+FMA", blas: "OpenBLAS 0.3.21 DYNAMIC_ARCH", cpu: "Example CPU",
        instructionSet: "x86-64-v3", threads: 3)
}

@Suite("Evaluating a model over a dataset")
struct ModelEvaluationTests {
    @Test func countsEqualScoringTheSameMethodsFiles() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch)
        var predictor = SimulatedPredictor(dataset: data.dataset, method: .classConfusion)
        let evaluated = try ModelEvaluation.evaluate(
            dataset: EvaluationDataset(root: data.root), options: data.options(), predictor: &predictor,
            provenance: (checkpoint: "model.safetensors", sha256: "abc", configuration: [("mode", "test")]), numerics: .sample)
        let scored = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred(.classConfusion), options: data.options())
        #expect(evaluated.matrix == scored.matrix)
        #expect(evaluated.dataset.fingerprint == scored.dataset.fingerprint)
        #expect(predictor.calls == scored.images.map(\.id))
        #expect(predictor.groundTruthMismatches == 0)
        #expect(evaluated.provenance.checkpointSHA256 == "abc")
        #expect(evaluated.provenance.configuration.first?.1 == "test")
        // What decided the bits is recorded, with the model's thread count, and survives the file.
        #expect(evaluated.provenance.numerics == NumericEnvironment.sample)
        #expect(evaluated.provenance.threads == 3)
        let reread = try ResultsFile.decode(ResultsFile.encode(evaluated), source: "memory")
        #expect(reread.provenance.numerics == NumericEnvironment.sample)
        #expect(reread == evaluated)
    }

    @Test func savedPredictionsRescoreToIdenticalCountsAndHashes() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch)
        var predictor = SimulatedPredictor(dataset: data.dataset, method: .smallObjectMisses)
        let saved = scratch.path + "/saved"
        let evaluated = try ModelEvaluation.evaluate(
            dataset: EvaluationDataset(root: data.root), options: data.options(), predictor: &predictor,
            savePredictions: saved, provenance: (checkpoint: nil, sha256: nil, configuration: []), numerics: .sample)
        let rescored = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: saved, options: data.options())
        #expect(rescored.matrix == evaluated.matrix)
        #expect(rescored.images == evaluated.images)
    }

    @Test func missingImageOrGroundTruthIsNamed() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        try FileManager.default.removeItem(atPath: data.root + "/images/tile_0001.png")
        var predictor = SimulatedPredictor(dataset: data.dataset, method: .boundaryDrift)
        expectFailure(containing: "have no image", "tile_0001.png") {
            try ModelEvaluation.evaluate(
                dataset: EvaluationDataset(root: data.root), options: data.options(), predictor: &predictor,
                provenance: (checkpoint: nil, sha256: nil, configuration: []), numerics: .sample)
        }
    }

    @Test func wrongSizedPredictionIsAnError() throws {
        struct Tiny: ImagePredictor {
            mutating func predict(_ request: PredictionRequest) throws -> LabelMap {
                LabelMap(width: 3, height: 2, repeating: 0)
            }
        }
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 2)
        var predictor = Tiny()
        expectFailure(containing: "size mismatch", "tile_0000", "3×2") {
            try ModelEvaluation.evaluate(
                dataset: EvaluationDataset(root: data.root), options: data.options(), predictor: &predictor,
                provenance: (checkpoint: nil, sha256: nil, configuration: []), numerics: .sample)
        }
    }

    @Test func featureDriftRoundTripsAndMerges() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 4)
        var record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.seenCollapse), options: data.options())
        record.featureDrift = FeatureDrift(
            frozenCheckpoint: "frozen.safetensors", frozenSHA256: "f00d", definition: "test",
            images: [
                FeatureDrift.Image(id: "tile_0001", whole: 0.25, seen: 0.5, unseen: nil),
                FeatureDrift.Image(id: "tile_0000", whole: 0.125, seen: nil, unseen: 0.75),
            ])
        let path = scratch.path + "/run.ovseg.json"
        try ResultsFile.write(record, to: path)
        let back = try ResultsFile.read(path: path)
        #expect(back.featureDrift == record.featureDrift)
        #expect(back.featureDrift?.images.map(\.id) == ["tile_0000", "tile_0001"])
        #expect(back.featureDrift?.meanWhole == 0.1875)
        #expect(back.featureDrift?.meanSeen == 0.5)
        #expect(back.featureDrift?.meanUnseen == 0.75)
        #expect(back.collapse == record.collapse)
    }
}

/// Re-splitting a stored run needs the vocabulary it was scored with.
@Suite struct ResplitTests {
    @Test func anotherVocabularyIsRefused() throws {
        let potsdam = try Vocabulary.load(key: "potsdam"), loveda = try Vocabulary.load(key: "loveda")
        let record = RunRecord(
            method: "m", vocabulary: VocabularyInfo(potsdam), split: nil,
            policy: EvaluationPolicy(
                presence: .unionPresent, ignoreValues: [], ignoreColors: [], reduceZeroLabel: false,
                outOfRangeGroundTruth: .error, outOfRangePrediction: .error),
            dataset: DatasetInfo(groundTruthDirectory: "gt", predictionDirectory: "pred", fingerprint: "sha256:x"),
            shard: nil, matrix: try ConfusionMatrix(classCount: potsdam.classCount, counts: [UInt64](repeating: 1, count: potsdam.classCount * potsdam.classCount)),
            images: [], provenance: Provenance(version: "t", command: [], date: "d", host: "h", seconds: 0, threads: 1))
        let split = try potsdam.split(named: "dlrsd-overlap")
        let resplit = try record.resplit(split, of: potsdam)
        #expect(resplit.splitScores == record.scores.split(seen: split.seenIDs, unseen: split.unseenIDs))
        #expect(try record.resplit(named: "none").split == nil)
        #expect(throws: HarnessError.self) { try record.resplit(loveda.splits.first, of: loveda) }
    }
}
