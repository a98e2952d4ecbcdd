import Foundation
import Testing

@testable import Harness

/// Predictions that look missing because they carry another name; the error says what to do.
@Suite("Pairing hints and default method names")
struct NamingHintTests {
    /// Writes empty files (names matter, not content: pairing reads no pixels).
    func touch(_ folder: String, _ names: [String]) throws {
        for name in names {
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data()))
        }
    }

    @Test func predictionsWithASuffixSuggestPredSuffix() throws {
        let scratch = try Scratch()
        let gt = try scratch.folder("gt"), pred = try scratch.folder("pred")
        try touch(gt, ["tile_0001.png", "tile_0002.png", "tile_0003.png"])
        try touch(pred, ["tile_0001_pred.png", "tile_0002_pred.png", "tile_0003_pred.png"])
        expectFailure(containing: "3 ground-truth image(s) have no prediction", "found \(pred)/tile_0001_pred.png — use prediction suffix `_pred`") {
            try DatasetScanner.pair(groundTruthDirectory: gt, predictionDirectory: pred)
        }
        // With the suggested option they pair.
        let pairing = try DatasetScanner.pair(
            groundTruthDirectory: gt, predictionDirectory: pred, options: PairingOptions(predictionSuffix: "_pred"))
        #expect(pairing.pairs.map(\.id) == ["tile_0001", "tile_0002", "tile_0003"])
    }

    @Test func aPartialSuffixMatchSaysHowManyItExplains() throws {
        let scratch = try Scratch()
        let gt = try scratch.folder("gt"), pred = try scratch.folder("pred")
        try touch(gt, ["a.png", "b.png", "c.png"])
        try touch(pred, ["a.png", "b_mask.png"])
        expectFailure(containing: "found \(pred)/b_mask.png — use prediction suffix `_mask` (it explains 1 of them)") {
            try DatasetScanner.pair(groundTruthDirectory: gt, predictionDirectory: pred)
        }
    }

    @Test func anotherExtensionIsNamed() throws {
        let scratch = try Scratch()
        let gt = try scratch.folder("gt"), pred = try scratch.folder("pred")
        try touch(gt, ["tile_0001.png", "tile_0002.png"])
        try touch(pred, ["tile_0001.jpg", "tile_0002.jpg"])
        expectFailure(containing: "found \(pred)/tile_0001.jpg — predictions are read from PNG and TIFF files only") {
            try DatasetScanner.pair(groundTruthDirectory: gt, predictionDirectory: pred)
        }
    }

    @Test func groundTruthWithASuffixSuggestsGtSuffix() throws {
        let scratch = try Scratch()
        let gt = try scratch.folder("gt"), pred = try scratch.folder("pred")
        try touch(gt, ["top_1_label.png"])
        try touch(pred, ["top_1.png"])
        expectFailure(containing: "use ground-truth suffix `_label`") {
            try DatasetScanner.pair(groundTruthDirectory: gt, predictionDirectory: pred)
        }
    }

    @Test func withNothingToExplainTheOldAdviceStays() throws {
        let scratch = try Scratch()
        let gt = try scratch.folder("gt"), pred = try scratch.folder("pred")
        try touch(gt, ["a.png", "b.png"])
        try touch(pred, ["a.png", "notes.txt"])
        expectFailure(containing: "have no prediction", "(use the skip-missing-predictions setting to score the rest)") {
            try DatasetScanner.pair(groundTruthDirectory: gt, predictionDirectory: pred)
        }
        // The setting is machine-readable and the message names no command-line option.
        let error = #expect(throws: HarnessError.self) { try DatasetScanner.pair(groundTruthDirectory: gt, predictionDirectory: pred) }
        #expect(error?.kind == .pairing && error?.settings == [.skipMissingPredictions] && error?.file == pred)
        #expect(error?.description.contains("--") == false, "\(String(describing: error))")
        #expect(error?.message.rendered { _ in "--skip-missing" }.contains("(use --skip-missing to score the rest)") == true)
    }

    @Test func defaultMethodNames() {
        #expect(MethodName.forCheckpoint("/ckpt/sgseg-potsdam.safetensors") == "sgseg-potsdam")
        #expect(MethodName.forCheckpoint("/models/clip-vit-base-patch16/model.safetensors") == "clip-vit-base-patch16")
        #expect(
            MethodName.forCheckpoint(
                "/home/u/.cache/huggingface/hub/models--openai--clip-vit-large-patch14/snapshots/32bd6b/model.safetensors")
                == "clip-vit-large-patch14")
        // Relative paths name the folder they resolve to.
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).lastPathComponent
        #expect(MethodName.forCheckpoint("model.safetensors") == here)
    }
}
