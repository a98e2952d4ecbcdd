import Foundation
import Testing

@testable import Harness
import JSON
import LabelMaps
import SyntheticData

@Suite("Label-based dataset fingerprints")
struct LabelFingerprintTests {
    /// The per-image hash is what the README defines, so it can be recomputed in Python.
    @Test func labelHashFollowsItsDefinition() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        var mapping: [RGB: UInt16] = [SampleDataset.ignoreColor: 0xFFFF]
        for (id, color) in SampleDataset.classColors.enumerated() { mapping[color] = UInt16(id) }
        var sawIgnored = false
        for image in record.images {
            let map = try LabelMapReader.read(path: data.gt + "/" + image.id + ".png", colors: ColorTable(mapping))
            sawIgnored = sawIgnored || map.values.contains(0xFFFF)
            var bytes: [UInt8] = []
            for value in [UInt32(map.width), UInt32(map.height)] {
                bytes += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) }
            }
            for value in map.values { bytes += [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)] }
            #expect(image.groundTruthLabelsSHA256 == Fingerprint.sha256(bytes), "image \(image.id)")
        }
        #expect(sawIgnored, "the sample ground truth should hold ignored pixels")
        let lines = record.images.map { "\($0.id)\t\($0.groundTruthLabelsSHA256 ?? "")\n" }.sorted().joined()
        #expect(record.dataset.fingerprint == "labels-sha256:" + Fingerprint.sha256(Array(lines.utf8)))
        #expect(record.dataset.groundTruthFilesFingerprint == Fingerprint.dataset(record.images.map { ($0.id, $0.groundTruthSHA256) }))
    }

    /// A results file as ovseg wrote it before label fingerprints: file-based `fingerprint`, no new keys.
    static func oldStyle(_ record: RunRecord) throws -> JSONValue {
        guard case .object(var root) = ResultsFile.encode(record), case .object(var dataset)? = root["dataset"],
            case .array(let images)? = root["images"]
        else { throw HarnessError("unexpected layout") }
        dataset["fingerprint"] = .string(record.dataset.filesFingerprint)
        dataset["ground_truth_files_fingerprint"] = nil
        dataset["fingerprint_definition"] = nil
        root["dataset"] = .object(dataset)
        root["images"] = .array(images.map { image in
            guard case .object(var object) = image else { return image }
            object["ground_truth_labels_sha256"] = nil
            return .object(object)
        })
        return .object(root)
    }

    @Test func oldFilesLoadAndCompareByTheirFileBytes() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let colour = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        let path = scratch.path + "/old.ovseg.json"
        try JSONCodec.write(try Self.oldStyle(colour), to: path)
        let old = try ResultsFile.read(path: path)
        #expect(old.dataset.labelsFingerprint == nil)
        #expect(old.dataset.filesFingerprint == colour.dataset.filesFingerprint)
        #expect(old.images.allSatisfy { $0.groundTruthLabelsSHA256 == nil })
        #expect(Comparability.difference(old, colour) == nil, "same files: comparable")
        #expect(Comparability.difference(colour, old) == nil)

        // The same labels as gray index PNGs: new runs agree, an old run cannot tell.
        let gray = try writeGrayCopy(of: data, in: scratch)
        let index = try Scorer.score(groundTruthDirectory: gray, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        #expect(Comparability.difference(index, colour) == nil)
        let refused = try #require(Comparability.difference(old, index))
        #expect(refused.contains("ground-truth file bytes") && refused.contains("written before label fingerprints"), "\(refused)")

        // Merging shards read from old files keeps the file-based fingerprint.
        let merged = try ShardMerger.merge([(path, old)], allowPartial: false, command: ["ovseg"])
        #expect(merged.dataset.fingerprint == colour.dataset.filesFingerprint)
        #expect(merged.dataset.labelsFingerprint == nil)
    }

    @Test func sameLabelsAsIndexPNGGiveTheColourCodedFingerprint() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let colour = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        let gray = try writeGrayCopy(of: data, in: scratch)
        let index = try Scorer.score(groundTruthDirectory: gray, predictionDirectory: data.pred(.boundaryDrift), options: data.options())
        #expect(colour.matrix == index.matrix)
        #expect(colour.dataset.fingerprint == index.dataset.fingerprint)
        #expect(colour.dataset.filesFingerprint != index.dataset.filesFingerprint)
        #expect(colour.images.map(\.groundTruthSHA256) != index.images.map(\.groundTruthSHA256), "per-image file hashes stay")
    }

    /// The sample ground truth as mmseg-converted gray PNGs (raw = id + 1, 0 = ignored boundary).
    func writeGrayCopy(of data: SmallDataset, in scratch: Scratch) throws -> String {
        let gray = try scratch.folder("gray")
        var mapping: [RGB: UInt16] = [SampleDataset.ignoreColor: 255]
        for (index, color) in SampleDataset.classColors.enumerated() { mapping[color] = UInt16(index) }
        for file in try FileManager.default.contentsOfDirectory(atPath: data.gt) {
            let map = try LabelMapReader.read(path: data.gt + "/" + file, colors: ColorTable(mapping))
            let raw = map.values.map { $0 == 255 ? UInt16(0) : $0 + 1 }
            try LabelMapWriter.writeGray8(LabelMap(width: map.width, height: map.height, values: raw), to: gray + "/" + file)
        }
        return gray
    }
}
