import Foundation
import Testing

@testable import Harness
import SyntheticData

/// Datasets on clusters are reached through symbolic links; every folder walk follows them.
@Suite("Symbolic links to folders and files")
struct SymlinkTests {
    let manager = FileManager.default

    func link(_ path: String, to target: String) throws {
        try manager.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    @Test func linkedGroundTruthAndPredictionFoldersScoreLikeTheFolders() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let direct = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred(.classConfusion), options: data.options())
        try link(scratch.path + "/gt-link", to: data.gt)
        try link(scratch.path + "/pred-link", to: data.pred(.classConfusion))
        let linked = try Scorer.score(
            groundTruthDirectory: scratch.path + "/gt-link", predictionDirectory: scratch.path + "/pred-link",
            options: data.options())
        #expect(linked.images.count == 3)
        #expect(linked.matrix == direct.matrix)
        #expect(linked.dataset.fingerprint == direct.dataset.fingerprint)
        // A relative link (as `ln -s ../store/gt gt` makes) too.
        try link(scratch.path + "/gt-relative", to: "data/" + (data.gt as NSString).lastPathComponent)
        #expect(try DatasetScanner.labelFiles(in: scratch.path + "/gt-relative", suffix: "").count == 3)
    }

    @Test func linkedSubfoldersAndFilesAreFollowed() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 4)
        // gt/: one file in place, a linked subfolder with two more, one linked file.
        let store = try scratch.folder("store/urban")
        let gt = try scratch.folder("gt")
        try manager.copyItem(atPath: data.gt + "/tile_0000.png", toPath: gt + "/tile_0000.png")
        try manager.copyItem(atPath: data.gt + "/tile_0001.png", toPath: store + "/tile_0001.png")
        try manager.copyItem(atPath: data.gt + "/tile_0002.png", toPath: store + "/tile_0002.png")
        try link(gt + "/urban", to: store)
        try link(gt + "/tile_0003.png", to: data.gt + "/tile_0003.png")
        let files = try DatasetScanner.labelFiles(in: gt, suffix: "")
        #expect(files.keys.sorted() == ["tile_0000", "tile_0003", "urban/tile_0001", "urban/tile_0002"])
        #expect(files["urban/tile_0001"] == gt + "/urban/tile_0001.png")
        #expect(files["tile_0003"] == gt + "/tile_0003.png", "a linked file keeps the link's name and path")
        // Predictions laid out the same way, all linked files: the scores are those of the plain folders.
        let pred = try scratch.folder("pred")
        try scratch.folder("pred/urban")
        for id in ["tile_0000", "tile_0003", "urban/tile_0001", "urban/tile_0002"] {
            let name = (id as NSString).lastPathComponent
            try link(pred + "/" + id + ".png", to: data.pred(.boundaryDrift) + "/" + name + ".png")
        }
        let linked = try Scorer.score(groundTruthDirectory: gt, predictionDirectory: pred, options: data.options())
        let direct = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        #expect(linked.matrix == direct.matrix)
        #expect(linked.images.map(\.id) == ["tile_0000", "tile_0003", "urban/tile_0001", "urban/tile_0002"])
    }

    @Test func aLinkToAnAncestorIsAnErrorNamingTheLink() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 2)
        try scratch.folder("gt/sub")
        try manager.copyItem(atPath: data.gt + "/tile_0000.png", toPath: scratch.path + "/gt/sub/tile_0000.png")
        try link(scratch.path + "/gt/sub/back", to: "..")
        expectFailure(containing: "gt/sub/back: symbolic link to .. leads back to", "a loop") {
            try Scorer.score(
                groundTruthDirectory: scratch.path + "/gt", predictionDirectory: data.pred(.boundaryDrift),
                options: data.options())
        }
        // A link to itself and a link to the root, reached through a linked root.
        try manager.removeItem(atPath: scratch.path + "/gt/sub/back")
        try link(scratch.path + "/gt/sub/root", to: scratch.path + "/gt")
        try link(scratch.path + "/gt-link", to: scratch.path + "/gt")
        expectFailure(containing: "gt-link/sub/root: symbolic link to \(scratch.path)/gt leads back to \(scratch.path)/gt-link,") {
            try DatasetScanner.labelFiles(in: scratch.path + "/gt-link", suffix: "")
        }
    }

    @Test func brokenLinksAreNamed() throws {
        let scratch = try Scratch()
        let gt = try scratch.folder("gt")
        try link(gt + "/tile_0000.png", to: scratch.path + "/nowhere.png")
        expectFailure(containing: "gt/tile_0000.png: broken symbolic link to \(scratch.path)/nowhere.png") {
            try DatasetScanner.labelFiles(in: gt, suffix: "")
        }
        try link(scratch.path + "/gt-gone", to: scratch.path + "/gone")
        expectFailure(containing: "gt-gone: broken symbolic link to \(scratch.path)/gone, no such folder") {
            try DatasetScanner.labelFiles(in: scratch.path + "/gt-gone", suffix: "")
        }
    }

    @Test func evalFindsImagesAndGroundTruthThroughLinks() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let root = try scratch.folder("linked")
        try link(root + "/images", to: data.dataset.imageDirectory(in: data.root))
        try link(root + "/gt", to: data.gt)
        let pairs = try EvaluationDataset(root: root).pairs()
        #expect(pairs.map(\.id) == ["tile_0000", "tile_0001", "tile_0002"])
        var predictor = SimulatedPredictor(dataset: data.dataset, method: .boundaryDrift)
        let record = try ModelEvaluation.evaluate(
            dataset: EvaluationDataset(root: root), options: data.options(), predictor: &predictor,
            provenance: (nil, nil, []), numerics: .sample)
        #expect(record.images.count == 3)
        #expect(predictor.groundTruthMismatches == 0)
    }
}
