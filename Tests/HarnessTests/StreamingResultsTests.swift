import Foundation
import Testing

@testable import Harness
import JSON
import LabelMaps
import Metrics

/// The results file is written and read one image at a time (docs/robustness.md §10). The bytes
/// written must be those of the whole-tree serialisation, and reading must accept and refuse
/// exactly what reading the whole tree does, with the same messages.
@Suite("Streaming results files")
struct StreamingResultsTests {
    static func scored(in scratch: Scratch, images: Int = 5, shard: Shard? = nil) throws -> RunRecord {
        let data = try SmallDataset(in: scratch, images: images, size: 48)
        return try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred(.classConfusion), options: data.options(shard: shard))
    }

    /// Runs that exercise every optional part of the document.
    static func variedRuns(in scratch: Scratch) throws -> [(String, RunRecord)] {
        let plain = try scored(in: scratch)
        var runs: [(String, RunRecord)] = [("scored", plain)]

        var noImages = plain
        noImages.images = []
        noImages.matrix = ConfusionMatrix(classCount: plain.matrix.classCount)
        runs.append(("no images", noImages))

        var oneImage = plain
        oneImage.images = [plain.images[0]]
        runs.append(("one image", oneImage))

        var shard = plain
        shard.shard = ShardInfo(indices: [2, 5], count: 64, partial: true)
        runs.append(("shard", shard))

        // Text JSON must escape, numbers above Int64.max, georeferencing, no labels hash, drift.
        var unusual = plain
        unusual.method = "mé\"thod\\ / \u{1B}[2K\ttab\nline — 🛰"
        unusual.images[0].id = "dir/sub dir/ü \"quoted\""
        unusual.images[0].groundTruthLabelsSHA256 = nil
        unusual.images[1].counts[0] = ClassCounts(truePositives: UInt64(Int64.max) + 7, groundTruth: UInt64.max - 1, predicted: UInt64(Int64.max) + 9)
        unusual.images[2].georeferencing = Georeferencing(
            modelPixelScale: [0.5, 0.5, 0], modelTiepoint: [0, 0, 0, 399_000.25, 5_200_000, 0], geoKeys: [1, 1, 0, 4],
            geoDoubleParams: [6_378_137, 298.257223563, 1e-300, -0.0], geoASCIIParams: "WGS 84 / UTM 32N|")
        unusual.featureDrift = FeatureDrift(
            frozenCheckpoint: "frozen.safetensors", frozenSHA256: "ab", definition: "cosine distance",
            images: [.init(id: "tile_0000", whole: 0.125, seen: nil, unseen: 1e-7), .init(id: "x", whole: 3, seen: 0.1, unseen: nil)])
        unusual.provenance.seconds = 1.0 / 3.0
        unusual.provenance.configuration = [("preset", "a\"b"), ("λ", "0.5")]
        runs.append(("unusual", unusual))

        // A run whose summary has observations (a class never predicted, an image with nothing evaluated).
        var observed = plain
        observed.images[0].counts = observed.images[0].counts.map { _ in ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0) }
        runs.append(("observations", observed))
        return runs
    }

    @Test func theStreamedTextIsTheTreeWritersByteForByte() throws {
        let scratch = try Scratch()
        for (name, record) in try Self.variedRuns(in: scratch) {
            let tree = JSONCodec.serialize(ResultsFile.encode(record))
            let streamed = ResultsFile.streamedText(record)
            #expect(Array(streamed.utf8) == Array(tree.utf8), "\(name): the streamed text differs from the tree's")
            // And through the file: the bytes on disk are the same.
            let path = scratch.path + "/\(name.replacingOccurrences(of: " ", with: "-")).ovseg.json"
            try ResultsFile.write(record, to: path)
            let onDisk = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(onDisk == Array(tree.utf8), "\(name): the file's bytes differ from the tree's")
        }
        // The observations run really has observations, or the case tests nothing.
        let observed = try #require(try Self.variedRuns(in: scratch).first { $0.0 == "observations" }?.1)
        #expect(!observed.observations.isEmpty)
    }

    @Test func aScoredRunRoundTripsThroughTheSplicedReader() throws {
        let scratch = try Scratch()
        for (count, shard) in [(7, nil), (9, try Shard(index: 2, count: 3))] as [(Int, Shard?)] {
            let record = try Self.scored(in: try Scratch(), images: count, shard: shard)
            let path = scratch.path + "/run-\(count).ovseg.json"
            try ResultsFile.write(record, to: path)
            // The one-image-at-a-time path takes a valid file (it is not falling back) …
            let spliced = try #require(ResultsFile.readSpliced(path: path))
            #expect(spliced == record)
            // … and agrees with reading the whole tree.
            let tree = try ResultsFile.decode(try JSONCodec.read(path: path), source: path)
            #expect(spliced == tree)
            #expect(try ResultsFile.read(path: path) == record)
        }
    }

    @Test func theUnusualRunRoundTrips() throws {
        let scratch = try Scratch()
        let unusual = try #require(try Self.variedRuns(in: scratch).first { $0.0 == "unusual" }?.1)
        // Counts above 2^53 are refused on reading; keep the rest of the unusual content.
        var record = unusual
        record.images[1] = try Self.scored(in: try Scratch()).images[1]
        let path = scratch.path + "/unusual.ovseg.json"
        try ResultsFile.write(record, to: path)
        let back = try #require(ResultsFile.readSpliced(path: path))
        #expect(back.method == record.method)
        #expect(back.images == record.images)
        #expect(back.featureDrift == record.featureDrift)
    }

    /// Text edits of a valid file: each must give the whole-tree reader's error, word for word.
    static func forgeries(of text: String, record: RunRecord) -> [(String, [UInt8])] {
        let first = record.images[0]
        func replacing(_ old: String, _ new: String) -> String {
            guard let range = text.range(of: old) else { return text }
            return text.replacingCharacters(in: range, with: new)
        }
        let firstID = "\"id\": \"\(first.id)\""
        let g = first.counts[0].groundTruth
        // Invalid UTF-8 in the first image's id.
        let marked = Array(replacing(firstID, "\"id\": \"@@\"").utf8)
        let at = marked.firstIndex(of: UInt8(ascii: "@"))!
        var invalidUTF8 = marked
        invalidUTF8.replaceSubrange(at..<(at + 2), with: [0xFF, 0xFE])
        let edits: [(String, String)] = [
            ("truncated", String(text.prefix(text.count * 2 / 3))),
            ("truncated inside images", String(text[..<text.range(of: firstID)!.upperBound])),
            ("trailing text", text + "x"),
            ("duplicate key in an image", replacing(firstID, firstID + ", \"id\": \"again\"")),
            ("duplicate images key", replacing("\n  \"provenance\"", "\n  \"images\": [],\n  \"provenance\"")),
            ("invalid JSON in an image", replacing(firstID, firstID + ",,")),
            ("empty element", replacing("\"images\": [\n", "\"images\": [\n    {},\n")),
            ("missing comma between images", replacing("\n    },\n    {", "\n    }\n    {")),
            ("extra comma after the last image", replacing("\n    }\n  ],", "\n    },\n  ],")),
            ("images not a list", replacing("\"images\": [", "\"images\": {\"a\": [") .replacingOccurrences(of: "\n  ],\n  \"provenance\"", with: "\n  ]},\n  \"provenance\"")),
            ("a number beyond 64 bits", replacing("\"width\": \(first.width)", "\"width\": 99999999999999999999")),
            ("NaN in an image", replacing("\"width\": \(first.width)", "\"width\": NaN")),
            ("an image counts more than its size", replacing("\"width\": \(first.width)", "\"width\": 1")),
            ("an id leaves the folder", replacing(firstID, "\"id\": \"../../secret\"")),
            ("duplicate ids", replacing("\"id\": \"\(record.images[1].id)\"", firstID)),
            ("an extra count", replacing("\"tp\": [\n        ", "\"tp\": [\n        9007199254740993, ")),
            ("per-image sums off by one", replacing("\"gt\": [\n        \(g),", "\"gt\": [\n        \(g + 1),")),
            ("a bad schema", replacing("ovseg-results/1", "ovseg-results/2")),
            ("deep nesting in an image", replacing(firstID, firstID + ", \"deep\": " + String(repeating: "[", count: 130) + String(repeating: "]", count: 130))),
            ("not an object", "[" + text + "]"),
        ]
        return edits.map { ($0.0, Array($0.1.utf8)) } + [("invalid UTF-8 in an id", invalidUTF8)]
    }

    @Test func forgedFilesAreRefusedWithTheWholeTreeReadersMessage() throws {
        let scratch = try Scratch()
        let record = try Self.scored(in: scratch)
        let text = ResultsFile.streamedText(record)
        var refused = 0
        for (name, forged) in Self.forgeries(of: text, record: record) {
            #expect(forged != Array(text.utf8), "\(name): the edit did not apply")
            let path = scratch.path + "/forged.ovseg.json"
            try Data(forged).write(to: URL(fileURLWithPath: path))
            let before: String?
            do {
                _ = try ResultsFile.decode(try JSONCodec.read(path: path), source: path)
                before = nil
            } catch {
                before = "\(error)"
            }
            let after: String?
            do {
                _ = try ResultsFile.read(path: path)
                after = nil
            } catch {
                after = error.description
            }
            #expect(after == before, "\(name): \(after ?? "accepted") ≠ \(before ?? "accepted")")
            if before != nil {
                refused += 1
                // A refused file never gets through the spliced path.
                #expect(ResultsFile.readSpliced(path: path) == nil, "\(name)")
            }
        }
        // Every forgery is refused (else a case tests nothing).
        #expect(refused == Self.forgeries(of: text, record: record).count)
    }

    @Test func theSplitterFindsTheListAndOnlyTheTopLevelOne() throws {
        let document = Array(#"{"a": {"images": [1]}, "s": "\"images\": [", "images" : [ {"x": "]}"} , {"y": [{}]} ], "z": 1}"#.utf8)
        let (header, elements) = try #require(ResultsDocumentSplitter.split(document))
        #expect(String(decoding: header, as: UTF8.self) == #"{"a": {"images": [1]}, "s": "\"images\": [", "images" : [], "z": 1}"#)
        #expect(elements.map { String(decoding: document[$0], as: UTF8.self) } == [#"{"x": "]}"}"#, #"{"y": [{}]}"#])
        #expect(ResultsDocumentSplitter.split(Array(#"{"images": []}"#.utf8))?.elements.isEmpty == true)
        #expect(ResultsDocumentSplitter.split(Array(#"{"images": [1]}"#.utf8)) == nil)
        #expect(ResultsDocumentSplitter.split(Array(#"{"images": [{}], "images": []}"#.utf8)) == nil)
        #expect(ResultsDocumentSplitter.split(Array(#"{"other": []}"#.utf8)) == nil)
        #expect(ResultsDocumentSplitter.split(Array(#"{"images": [{"a": "unterminated}]}"#.utf8)) == nil)
    }
}
