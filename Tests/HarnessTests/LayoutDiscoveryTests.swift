import Foundation
import LabelMaps
import Testing
import Vocabulary
@testable import Harness

/// Miniature copies of each official release layout (generated names and folders, 2×2 PNGs;
/// `.tif` names hold the same PNG bytes: discovery never reads a file), and what discovery finds.
@Suite struct LayoutDiscoveryTests {
    /// Writes a 2×2 gray PNG at each path relative to `root`, creating folders.
    func write(_ root: String, _ files: [String]) throws {
        for file in files {
            let path = root + "/" + file
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try LabelMapWriter.writeGray8(LabelMap(width: 2, height: 2, repeating: 1), to: path)
        }
    }

    func discover(
        _ key: String, _ root: String, layout: String = "official", subset: String? = nil, variant: String? = nil,
        needsImages: Bool = true
    ) throws -> ListedDataset {
        let vocabulary = try Vocabulary.load(key: key)
        return try LayoutDiscovery.discover(LayoutDiscovery.Request(
            layout: try vocabulary.layout(named: layout), vocabulary: key, root: root, subset: subset, labelVariant: variant,
            needsImages: needsImages))
    }

    func relative(_ path: String?, _ root: String) -> String? {
        path.map { String($0.dropFirst(root.count + 1)) }
    }

    @Test func potsdam() throws {
        let scratch = try Scratch()
        let root = scratch.path
        var files: [String] = []
        for tile in ["2_13", "2_14", "2_10"] {
            files += ["2_Ortho_RGB/top_potsdam_\(tile)_RGB.png", "3_Ortho_IRRG/top_potsdam_\(tile)_IRRG.png",
                      "5_Labels_all/top_potsdam_\(tile)_label.png", "5_Labels_all_noBoundary/top_potsdam_\(tile)_label_noBoundary.png"]
        }
        try write(root, files + ["2_Ortho_RGB/.top_potsdam_9_9_RGB.png"])
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: root + "/2_Ortho_RGB/readme.txt"))
        let full = try discover("potsdam", root)
        #expect(full.images.map(\.id) == ["2_10", "2_13", "2_14"])
        #expect(relative(full.images[1].labelPath, root) == "5_Labels_all/top_potsdam_2_13_label.png")
        #expect(relative(full.images[1].imagePath, root) == "2_Ortho_RGB/top_potsdam_2_13_RGB.png")
        #expect(full.images[1].aliases == ["top_potsdam_2_13_label", "top_potsdam_2_13_RGB"])
        #expect(full.origin == DatasetOrigin(layout: "official"))
        let eroded = try discover("potsdam", root, variant: "eroded")
        #expect(relative(eroded.images[0].labelPath, root) == "5_Labels_all_noBoundary/top_potsdam_2_10_label_noBoundary.png")
        #expect(eroded.origin.labelVariant == "eroded")
        let irrg = try discover("potsdam", root, layout: "official-irrg")
        #expect(relative(irrg.images[0].imagePath, root) == "3_Ortho_IRRG/top_potsdam_2_10_IRRG.png")
        // The official val list has 14 tiles; this copy has two of them.
        expectFailure(containing: "12 of the 14 ids in the val list of layout official of potsdam have no image and label", "3_13") {
            try discover("potsdam", root, subset: "val")
        }
    }

    @Test func potsdamValSubsetKeepsTheFourteenTiles() throws {
        let scratch = try Scratch()
        let tiles = ["2_13", "2_14", "3_13", "3_14", "4_13", "4_14", "4_15", "5_13", "5_14", "5_15", "6_13", "6_14", "6_15", "7_13", "2_10", "7_7"]
        try write(scratch.path, tiles.flatMap { ["2_Ortho_RGB/top_potsdam_\($0)_RGB.tif", "5_Labels_all/top_potsdam_\($0)_label.TIF"] })
        let val = try discover("potsdam", scratch.path, subset: "val")
        #expect(val.images.map(\.id) == tiles.prefix(14).sorted())
        #expect(val.origin == DatasetOrigin(layout: "official", subset: "val"))
        expectFailure(containing: "22 of the 24 ids in the train list of layout official of potsdam have no label") {
            try discover("potsdam", scratch.path, subset: "train", needsImages: false)
        }
    }

    @Test func vaihingen() throws {
        let scratch = try Scratch()
        let areas = (1...38).map { "area\($0)" }
        try write(scratch.path, areas.flatMap {
            ["top/top_mosaic_09cm_\($0).tif",
             "ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE/top_mosaic_09cm_\($0).tif",
             "ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE/top_mosaic_09cm_\($0)_noBoundary.tif"]
        })
        let val = try discover("vaihingen", scratch.path, subset: "val", variant: "eroded")
        #expect(val.images.map(\.id) == ["area10", "area12", "area14", "area16", "area2", "area20", "area22", "area24",
                                         "area27", "area29", "area31", "area33", "area35", "area38", "area4", "area6", "area8"])
        #expect(relative(val.images[0].labelPath, scratch.path)
            == "ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE/top_mosaic_09cm_area10_noBoundary.tif")
        let full = try discover("vaihingen", scratch.path)
        #expect(full.images.count == 38)
    }

    @Test func isaidInPlaceOrFlat() throws {
        let scratch = try Scratch()
        try write(scratch.path, [
            "val/images/images/P0003.png", "val/Semantic_masks/images/P0003_instance_color_RGB.png",
            "val/images/P0004.png", "val/Semantic_masks/P0004_instance_color_RGB.png",
            "train/images/P0001.png", "train/Semantic_masks/P0001_instance_color_RGB.png",
        ])
        let val = try discover("isaid", scratch.path, subset: "val")
        #expect(val.images.map(\.id) == ["P0003", "P0004"])
        #expect(relative(val.images[0].labelPath, scratch.path) == "val/Semantic_masks/images/P0003_instance_color_RGB.png")
        #expect(try discover("isaid", scratch.path).images.count == 3)
    }

    @Test func lovedaDomains() throws {
        let scratch = try Scratch()
        try write(scratch.path, [
            ("Train", "Rural", "0"), ("Val", "Rural", "2522"), ("Val", "Urban", "3514"), ("Val", "Urban", "3515"),
        ].flatMap { split, domain, n in ["\(split)/\(domain)/images_png/\(n).png", "\(split)/\(domain)/masks_png/\(n).png"] }
            + ["Test/Urban/images_png/5000.png"])
        expectFailure(containing: "1 image(s) have no label: Test/Urban/images_png/5000") {
            try discover("loveda", scratch.path)
        }
        #expect(try discover("loveda", scratch.path, subset: "val-urban").images.map(\.id) == ["3514", "3515"])
        #expect(try discover("loveda", scratch.path, subset: "val").images.map(\.id) == ["2522", "3514", "3515"])
        expectFailure(containing: "has no subset val-suburban (available: train, val, train-urban") {
            try discover("loveda", scratch.path, subset: "val-suburban")
        }
    }

    @Test func dlrsdScenes() throws {
        let scratch = try Scratch()
        try write(scratch.path, [
            "UCMerced_LandUse/Images/agricultural/agricultural00.tif", "DLRSD/Labels/agricultural/agricultural00.png",
            "UCMerced_LandUse/Images/airplane/airplane01.tif", "DLRSD/Labels/airplane/airplane01.png",
        ])
        let all = try discover("dlrsd", scratch.path)
        #expect(all.images.map(\.id) == ["agricultural00", "airplane01"])
        #expect(relative(all.images[1].imagePath, scratch.path) == "UCMerced_LandUse/Images/airplane/airplane01.tif")
    }

    @Test func openEarthMapListFiles() throws {
        let scratch = try Scratch()
        try write(scratch.path, ["aachen/images/aachen_1.tif", "aachen/labels/aachen_1.tif",
                                 "tokyo/images/tokyo_2.tif", "tokyo/labels/tokyo_2.tif"])
        expectFailure(containing: "val.txt: cannot read the val list of layout official of openearthmap") {
            try discover("openearthmap", scratch.path, subset: "val")
        }
        try Data("tokyo_2.tif\n\n".utf8).write(to: URL(fileURLWithPath: scratch.path + "/val.txt"))
        #expect(try discover("openearthmap", scratch.path, subset: "val").images.map(\.id) == ["tokyo_2"])
        // Labels alone (the xBD regions' images are not in the release) are enough to score.
        try FileManager.default.removeItem(atPath: scratch.path + "/aachen/images/aachen_1.tif")
        #expect(try discover("openearthmap", scratch.path, needsImages: false).images.map(\.id) == ["aachen_1", "tokyo_2"])
        expectFailure(containing: "1 label(s) have no image: aachen/labels/aachen_1") {
            try discover("openearthmap", scratch.path)
        }
    }

    @Test func mismatchesNameTheFirstFewOnEachSide() throws {
        let scratch = try Scratch()
        try write(scratch.path, (1...7).map { "2_Ortho_RGB/top_potsdam_9_\($0)_RGB.png" }
            + ["5_Labels_all/top_potsdam_3_10_label.png", "5_Labels_all/top_potsdam_9_1_label.png"])
        expectFailure(containing:
            "6 image(s) have no label: 2_Ortho_RGB/top_potsdam_9_2_RGB, 2_Ortho_RGB/top_potsdam_9_3_RGB, "
                + "2_Ortho_RGB/top_potsdam_9_4_RGB, 2_Ortho_RGB/top_potsdam_9_5_RGB, 2_Ortho_RGB/top_potsdam_9_6_RGB, … (1 more); "
                + "1 label(s) have no image: 5_Labels_all/top_potsdam_3_10_label")
        {
            try discover("potsdam", scratch.path)
        }
    }

    @Test func aMissingFolderSaysWhatTheLayoutExpects() throws {
        let scratch = try Scratch()
        try write(scratch.path, ["2_Ortho_RGB/top_potsdam_2_13_RGB.png"])
        expectFailure(containing: "5_Labels_all: no such folder: layout official of potsdam expects its labels at 5_Labels_all/top_potsdam_{id}_label.<ext>") {
            try discover("potsdam", scratch.path)
        }
        expectFailure(containing: "has no eroded label variant") {
            try discover("loveda", scratch.path, variant: "eroded")
        }
    }

    @Test func oneIdWithTwoExtensionsIsAnError() throws {
        let scratch = try Scratch()
        try write(scratch.path, ["5_Labels_all/top_potsdam_2_13_label.png", "5_Labels_all/top_potsdam_2_13_label.tif"])
        expectFailure(containing: "two files have the image id \"2_13\"") {
            try discover("potsdam", scratch.path, needsImages: false)
        }
    }

    /// Predictions may be named by id or by the label or image file's stem; a name two images
    /// could have, or two predictions for one image, are errors.
    @Test func predictionNames() throws {
        let dataset = ListedDataset(root: "/d", images: [
            ListedImage(id: "2_13", imagePath: nil, labelPath: "/d/l/top_potsdam_2_13_label.tif", aliases: ["top_potsdam_2_13_label", "top_potsdam_2_13_RGB"]),
            ListedImage(id: "2_14", imagePath: nil, labelPath: "/d/l/top_potsdam_2_14_label.tif", aliases: ["top_potsdam_2_14_label", "top_potsdam_2_14_RGB"]),
            ListedImage(id: "2_15", imagePath: nil, labelPath: "/d/l/x.tif", aliases: ["x"]),
        ], origin: DatasetOrigin(layout: "official"))
        let matched = try dataset.predictionsByID(
            ["2_13": "/p/2_13.png", "top_potsdam_2_14_RGB": "/p/top_potsdam_2_14_RGB.png", "x": "/p/x.png", "stray": "/p/stray.png"],
            folder: "/p")
        #expect(matched == ["2_13": "/p/2_13.png", "2_14": "/p/top_potsdam_2_14_RGB.png", "2_15": "/p/x.png", "stray": "/p/stray.png"])
        expectFailure(containing: "/p: two predictions for image 2_13: /p/2_13.png and /p/top_potsdam_2_13_label.png") {
            try dataset.predictionsByID(["2_13": "/p/2_13.png", "top_potsdam_2_13_label": "/p/top_potsdam_2_13_label.png"], folder: "/p")
        }
        let ambiguous = ListedDataset(root: "/d", images: [
            ListedImage(id: "a", imagePath: nil, labelPath: "/d/a/label.png", aliases: ["label"]),
            ListedImage(id: "b", imagePath: nil, labelPath: "/d/b/label.png", aliases: ["label"]),
        ], origin: DatasetOrigin(layout: "official"))
        expectFailure(containing: "the name label fits 2 images (a, b)") {
            try ambiguous.predictionsByID(["label": "/p/label.png"], folder: "/p")
        }
    }

    /// A layout-listed run counts exactly what a folder run counts: colour-coded Potsdam labels
    /// (all building, eroded copy with a black boundary row), gray predictions of class ids.
    @Test func scoringALayoutMatchesHandCounts() throws {
        let scratch = try Scratch()
        let root = try scratch.folder("Potsdam"), pred = try scratch.folder("pred")
        try FileManager.default.createDirectory(atPath: root + "/5_Labels_all", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/5_Labels_all_noBoundary", withIntermediateDirectories: true)
        let building: [UInt8] = [0, 0, 255], black: [UInt8] = [0, 0, 0]
        try LabelMapWriter.writeRGB(width: 2, height: 2, pixels: Array([[UInt8]](repeating: building, count: 4).joined()),
                                    to: root + "/5_Labels_all/top_potsdam_2_13_label.png")
        try LabelMapWriter.writeRGB(width: 2, height: 2, pixels: black + black + building + building,
                                    to: root + "/5_Labels_all_noBoundary/top_potsdam_2_13_label_noBoundary.png")
        // Prediction: building, tree / building, building (class ids; 1 = building, 3 = tree).
        try LabelMapWriter.writeGray8(LabelMap(width: 2, height: 2, values: [1, 3, 1, 1]), to: pred + "/top_potsdam_2_13_RGB.png")
        let vocabulary = try Vocabulary.load(key: "potsdam")
        let options = ScoreOptions(vocabulary: vocabulary, jobs: 1, method: "m")
        let full = try Scorer.score(dataset: try discover("potsdam", root, needsImages: false), predictionDirectory: pred, options: options)
        #expect(full.matrix.classCounts[1].truePositives == 3)
        #expect(full.matrix.classCounts[1].groundTruth == 4)
        #expect(full.matrix.classCounts[3].predicted == 1)
        #expect(full.dataset.origin == DatasetOrigin(layout: "official"))
        let eroded = try Scorer.score(
            dataset: try discover("potsdam", root, variant: "eroded", needsImages: false), predictionDirectory: pred, options: options)
        // The boundary row is ignored: 2 building pixels, both predicted building.
        #expect(eroded.matrix.classCounts[1].truePositives == 2)
        #expect(eroded.matrix.classCounts[1].groundTruth == 2)
        #expect(eroded.matrix.classCounts[3].predicted == 0)
        #expect(eroded.dataset.origin == DatasetOrigin(layout: "official", labelVariant: "eroded"))
        // The origin survives a results-file round trip.
        let path = scratch.path + "/run.ovseg.json"
        try ResultsFile.write(eroded, to: path)
        #expect(try ResultsFile.read(path: path).dataset.origin == DatasetOrigin(layout: "official", labelVariant: "eroded"))
    }
}

/// `--pairs FILE` CSVs.
@Suite struct PairsFileTests {
    func csv(_ scratch: Scratch, _ text: String) throws -> String {
        let path = scratch.path + "/pairs.csv"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func files(_ scratch: Scratch, _ names: [String]) throws {
        for name in names {
            let path = scratch.path + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try LabelMapWriter.writeGray8(LabelMap(width: 1, height: 1, repeating: 0), to: path)
        }
    }

    @Test func aGoodFileListsItsRows() throws {
        let scratch = try Scratch()
        try files(scratch, ["img/a.png", "gt/a_label.tif", "pred/a.png", "img/b c.png", "gt/b.png", "pred/b.png"])
        let path = try csv(scratch, "image,label,prediction\r\nimg/a.png,gt/a_label.tif,pred/a.png\r\n\"img/b c.png\",gt/b.png,\(scratch.path)/pred/b.png\r\n")
        let listed = try PairsFile.read(path, needsImages: true, needsPredictions: true)
        #expect(listed.images.map(\.id) == ["a", "b c"])
        #expect(listed.images[0].labelPath == scratch.path + "/gt/a_label.tif")
        #expect(listed.images[0].aliases == ["a_label"])
        #expect(listed.images[1].predictionPath == scratch.path + "/pred/b.png")
        #expect(listed.origin == DatasetOrigin(pairsFile: path))
    }

    @Test func anIdColumnNamesTheImages() throws {
        let scratch = try Scratch()
        try files(scratch, ["x/label.png", "y/label.png"])
        let path = try csv(scratch, "id,label\nfirst,x/label.png\nsecond,y/label.png\n")
        #expect(try PairsFile.read(path, needsImages: false, needsPredictions: false).images.map(\.id) == ["first", "second"])
    }

    @Test func aMissingFileNamesTheRow() throws {
        let scratch = try Scratch()
        try files(scratch, ["gt/a.png", "gt/b.png"])
        let path = try csv(scratch, "image,label\ngt/a.png,gt/a.png\nimg/b.png,gt/b.png\n")
        expectFailure(containing: "pairs.csv: row 3: image file \(scratch.path)/img/b.png does not exist") {
            try PairsFile.read(path, needsImages: true, needsPredictions: false)
        }
    }

    @Test func aBadHeaderSaysWhatIsExpected() throws {
        let scratch = try Scratch()
        expectFailure(containing: "row 1: unknown column \"mask\"; expected a header row naming columns image,label[,prediction][,id]") {
            try PairsFile.read(try csv(scratch, "image,mask\na.png,b.png\n"), needsImages: true, needsPredictions: false)
        }
        expectFailure(containing: "row 1: no label column") {
            try PairsFile.read(try csv(scratch, "image,prediction\na.png,b.png\n"), needsImages: true, needsPredictions: false)
        }
        expectFailure(containing: "row 1: no prediction column; give one, or predictions with --pred DIR") {
            try PairsFile.read(try csv(scratch, "image,label\n"), needsImages: false, needsPredictions: true)
        }
        try files(scratch, ["a.png"])
        expectFailure(containing: "row 2: 3 field(s), the header has 2") {
            try PairsFile.read(try csv(scratch, "image,label\na.png,a.png,a.png\n"), needsImages: true, needsPredictions: false)
        }
    }

    @Test func aDuplicateIdNamesBothRows() throws {
        let scratch = try Scratch()
        try files(scratch, ["u/a.png", "v/a.png", "gt/a.png"])
        let path = try csv(scratch, "image,label\nu/a.png,gt/a.png\nv/a.png,gt/a.png\n")
        expectFailure(containing: "rows 2 and 3 have the same image id \"a\" (ids are file stems; add an id column to tell them apart)") {
            try PairsFile.read(path, needsImages: true, needsPredictions: false)
        }
    }

    /// Scored from a pairs file's prediction column: the same counts as by hand.
    @Test func scoringAPairsFile() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/d", withIntermediateDirectories: true)
        try LabelMapWriter.writeGray8(LabelMap(width: 2, height: 1, values: [1, 2]), to: scratch.path + "/d/gt.png")
        try LabelMapWriter.writeGray8(LabelMap(width: 2, height: 1, values: [1, 1]), to: scratch.path + "/d/pr.png")
        let path = try csv(scratch, "label,prediction\nd/gt.png,d/pr.png\n")
        let vocabulary = try Vocabulary.load(key: "loveda")
        let record = try Scorer.score(
            dataset: try PairsFile.read(path, needsImages: false, needsPredictions: true), predictionDirectory: nil,
            options: ScoreOptions(vocabulary: vocabulary, jobs: 1, method: "m"))
        // loveda ground truth is read with reduce_zero_label (raw 1 → class 0, raw 2 → class 1);
        // predictions are class ids (1 → class 1).
        #expect(record.matrix.classCounts[0].groundTruth == 1)
        #expect(record.matrix.classCounts[0].truePositives == 0)
        #expect(record.matrix.classCounts[1].groundTruth == 1)
        #expect(record.matrix.classCounts[1].predicted == 2)
        #expect(record.matrix.classCounts[1].truePositives == 1)
        #expect(record.dataset.origin == DatasetOrigin(pairsFile: path))
    }
}

/// A layout whose images pattern lacks a subset's placeholder keeps the images of the kept labels.
@Suite struct PlaceholderSubsetTests {
    @Test func imagesFollowTheirLabels() throws {
        let scratch = try Scratch()
        for file in ["img/a.png", "img/b.png", "gt/Val/a.png", "gt/Train/b.png"] {
            let path = scratch.path + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try LabelMapWriter.writeGray8(LabelMap(width: 1, height: 1, repeating: 0), to: path)
        }
        let layout = DatasetLayout(
            name: "custom", images: try LayoutPathPattern("img/{id}"), labels: try LayoutPathPattern("gt/{split}/{id}"),
            subsets: [LayoutSubset(name: "val", members: .placeholders(["split": "Val"]))])
        let listed = try LayoutDiscovery.discover(LayoutDiscovery.Request(
            layout: layout, vocabulary: "toy", root: scratch.path, subset: "val", needsImages: true))
        #expect(listed.images.map(\.id) == ["a"])
        #expect(listed.images.first?.imagePath == scratch.path + "/img/a.png")
    }
}
