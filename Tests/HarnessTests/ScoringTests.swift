import Foundation
import Testing

@testable import Harness
import LabelMaps
import Metrics
import SyntheticData
import Vocabulary

@Suite("Scoring folders of label maps")
struct ScoringTests {
    /// The matrix counted straight from the generator's in-memory scenes, bypassing PNG files,
    /// colour tables and pairing: ground truth 255 is ignored, everything else is a class id.
    func expectedMatrix(_ data: SmallDataset, _ method: SimulatedMethod) -> ConfusionMatrix {
        var matrix = ConfusionMatrix(classCount: 6)
        let generator = SceneGenerator(width: data.dataset.width, height: data.dataset.height)
        for index in 0..<data.dataset.imageCount {
            let scene = generator.scene(index: index, seed: data.dataset.seed)
            let prediction = method.predict(scene, seed: data.dataset.seed)
            for (g, p) in zip(scene.labels.values, prediction.values) where g != Scene.ignore {
                matrix[Int(g), Int(p)] += 1
            }
        }
        return matrix
    }

    @Test(arguments: SimulatedMethod.allCases)
    func countsEqualDirectCounting(method: SimulatedMethod) throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch)
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(method), options: data.options())
        #expect(record.matrix == expectedMatrix(data, method))
        #expect(record.images.count == 6)
        let expectedIDs: [String] = ["tile_0000", "tile_0001", "tile_0002", "tile_0003", "tile_0004", "tile_0005"]
        #expect(record.images.map(\.id) == expectedIDs)
        #expect(record.split?.name == data.vocabulary.splits.first?.name)
        let allPixels: UInt64 = 6 * 64 * 64
        #expect(record.matrix.evaluatedPixels < allPixels, "eroded building outlines are ignored")
    }

    @Test func workerCountDoesNotChangeTheResult() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 9)
        let one = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.seenCollapse), options: data.options(jobs: 1))
        let three = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.seenCollapse), options: data.options(jobs: 3))
        #expect(one.matrix == three.matrix)
        #expect(one.images == three.images)
        #expect(one.dataset.fingerprint == three.dataset.fingerprint)
    }

    @Test func indexGroundTruthWithReducedZeroLabelMatchesColourCoded() throws {
        // The same ground truth as mmseg-converted gray PNGs (raw = id + 1, 0 = unlabeled).
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let gray = try scratch.folder("gray")
        var mapping: [RGB: UInt16] = [SampleDataset.ignoreColor: 255]
        for (index, color) in SampleDataset.classColors.enumerated() {
            mapping[color] = UInt16(index)
        }
        let colorTable = ColorTable(mapping)
        for id in try FileManager.default.contentsOfDirectory(atPath: data.gt) {
            let map = try LabelMapReader.read(path: data.gt + "/" + id, colors: colorTable)
            let raw = map.values.map { $0 == 255 ? UInt16(0) : $0 + 1 }
            try LabelMapWriter.writeGray8(LabelMap(width: map.width, height: map.height, values: raw), to: gray + "/" + id)
        }
        let colour = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        let index = try Scorer.score(groundTruthDirectory: gray, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        #expect(colour.matrix == index.matrix)
        #expect(colour.dataset.fingerprint == index.dataset.fingerprint, "same labels, same fingerprint")
        #expect(colour.dataset.filesFingerprint != index.dataset.filesFingerprint, "different files, different file fingerprint")
    }

    @Test func missingPredictionIsAnErrorNamingTheFileUnlessSkipped() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 4)
        try FileManager.default.removeItem(atPath: data.pred(.boundaryDrift) + "/tile_0002.png")
        expectFailure(containing: "tile_0002.png", "no prediction") {
            try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        }
        var options = data.options()
        options.pairing.skipMissingPredictions = true
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: options)
        #expect(record.images.count == 3)
        #expect(record.dataset.missingPredictions == ["tile_0002"])
    }

    @Test func extraPredictionIsAnErrorUnlessSkipped() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 2)
        try FileManager.default.copyItem(
            atPath: data.pred(.boundaryDrift) + "/tile_0001.png", toPath: data.pred(.boundaryDrift) + "/stray.png")
        expectFailure(containing: "stray.png") {
            try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        }
        var options = data.options()
        options.pairing.skipExtraPredictions = true
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: options)
        #expect(record.dataset.extraPredictions == ["stray"])
    }

    @Test func sizeMismatchNamesBothFilesUnlessSkipped() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let small = LabelMap(width: 32, height: 64, repeating: 1)
        try LabelMapWriter.writePalette(small, palette: SampleDataset.classColors, to: data.pred(.boundaryDrift) + "/tile_0001.png")
        expectFailure(containing: "size mismatch", "64×64", "32×64", "tile_0001") {
            try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        }
        var options = data.options()
        options.skipSizeMismatches = true
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: options)
        #expect(record.dataset.sizeMismatches == ["tile_0001"])
        #expect(record.images.count == 2)
    }

    @Test func corruptPredictionIsAnErrorNamingIt() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let path = data.pred(.boundaryDrift) + "/tile_0002.png"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        expectFailure(containing: "tile_0002.png") {
            try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        }
    }

    @Test func unknownGroundTruthColourIsNamedWithItsPosition() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 1, size: 64)
        var pixels = [UInt8](repeating: 255, count: 64 * 64 * 3)
        pixels[(5 * 64 + 3) * 3] = 12  // (12,255,255) at (3, 5)
        try LabelMapWriter.writeRGB(width: 64, height: 64, pixels: pixels, to: data.gt + "/tile_0000.png")
        expectFailure(containing: "(12,255,255)", "(3, 5)", "tile_0000.png") {
            try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        }
    }

    @Test func outOfRangePredictionIsNamedUnlessVoid() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 1, size: 64)
        var values = [UInt16](repeating: 0, count: 64 * 64)
        values[64 * 2 + 9] = 6
        try LabelMapWriter.writeGray8(LabelMap(width: 64, height: 64, values: values), to: data.pred(.boundaryDrift) + "/tile_0000.png")
        expectFailure(containing: "predicted value 6 at pixel (9, 2)") {
            try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        }
        var options = data.options()
        options.outOfRangePrediction = .void
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: options)
        let voidCount: UInt64 = record.matrix.voidPredictions.reduce(UInt64(0), +)
        #expect(voidCount <= 1)
    }

    @Test func emptyOrMissingFoldersAreClearErrors() throws {
        let scratch = try Scratch()
        let empty = try scratch.folder("empty")
        let vocabulary = try Vocabulary.load(key: "potsdam")
        let options = ScoreOptions(vocabulary: vocabulary, method: "m")
        expectFailure(containing: "no label maps (png, tif, tiff, jpg, jpeg) found") {
            try Scorer.score(groundTruthDirectory: empty, predictionDirectory: empty, options: options)
        }
        expectFailure(containing: "no such folder") {
            try Scorer.score(groundTruthDirectory: scratch.path + "/nope", predictionDirectory: empty, options: options)
        }
    }
}
