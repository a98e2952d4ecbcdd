import Foundation
import Testing

@testable import Harness
import JSON
import Metrics
import SyntheticData

/// Results files are input: forged or damaged ones must give an error naming the file and the
/// key, never a trap, an unbounded allocation or a path outside the dataset.
@Suite("Hostile results files")
struct HostileResultsTests {
    /// A real two-image run as a JSON document, to edit.
    static func document(in scratch: Scratch, shard: Shard? = nil) throws -> (record: RunRecord, json: JSONValue) {
        let data = try SmallDataset(in: scratch, images: 2)
        let record = try Scorer.score(
            groundTruthDirectory: data.gt, predictionDirectory: data.pred(.classConfusion), options: data.options(shard: shard))
        return (record, ResultsFile.encode(record))
    }

    /// `value` with the element at `path` (object keys, or array indices as decimal strings) replaced.
    static func edit(_ value: JSONValue, _ path: ArraySlice<String>, to replacement: JSONValue) -> JSONValue {
        guard let key = path.first else { return replacement }
        switch value {
        case .object(var object):
            object[key] = edit(object[key] ?? .null, path.dropFirst(), to: replacement)
            return .object(object)
        case .array(var items):
            guard let index = Int(key), items.indices.contains(index) else { return value }
            items[index] = edit(items[index], path.dropFirst(), to: replacement)
            return .array(items)
        default:
            return value
        }
    }

    static func decodeFailure(_ document: JSONValue, _ path: String, _ replacement: JSONValue, expecting fragments: String...) {
        let edited = edit(document, ArraySlice(path.split(separator: ".").map(String.init)), to: replacement)
        do {
            _ = try ResultsFile.decode(edited, source: "forged.json")
            Issue.record("\(path) = \(replacement) was accepted")
        } catch {
            #expect(error.description.hasPrefix("forged.json: "), "\(error.description)")
            for fragment in fragments {
                #expect(error.description.contains(fragment), "\(error.description) lacks \(fragment)")
            }
        }
    }

    @Test func countsNearTheLimitsOfUInt64AreRefusedNotTrapped() throws {
        let scratch = try Scratch()
        let (_, json) = try Self.document(in: scratch)
        // 2^63 in one cell: before, the row and column sums trapped on overflow.
        Self.decodeFailure(json, "confusion_matrix.rows.0.0", .uint(1 << 63), expecting: "more than 2^53 pixels")
        Self.decodeFailure(json, "confusion_matrix.void_predictions.0", .uint(UInt64.max - 1), expecting: "more than 2^53 pixels")
        Self.decodeFailure(json, "images.0.width", .int(1 << 50), expecting: "images[0]", "more than 2^53")
        Self.decodeFailure(json, "images.0.gt.0", .uint(1 << 62), expecting: "images[0].gt", "counts more pixels than")
        Self.decodeFailure(json, "images.0.width", .int(0), expecting: "both must be positive")
    }

    @Test func anEmptyImageListCannotHideAMatrix() throws {
        let scratch = try Scratch()
        let (_, json) = try Self.document(in: scratch)
        Self.decodeFailure(json, "images", .array([]), expecting: "lists no images")
    }

    @Test func splitsMayNotListAClassOnBothSides() throws {
        let scratch = try Scratch()
        let (record, json) = try Self.document(in: scratch)
        let split = try #require(record.split)
        let seen = split.seenIDs.map { JSONValue.int(Int64($0)) }
        let overlapping = JSONValue.array(seen + [.int(Int64(split.seenIDs[0]))])
        Self.decodeFailure(json, "split.unseen_ids", overlapping, expecting: "in both split.seen_ids and split.unseen_ids")
    }

    @Test(arguments: [
        ("../../secret/private", "'..' path component"),
        ("/etc/passwd", "absolute path"),
        ("tile\n<img src=x>", "control character"),
        ("tile\u{1B}[2K", "control character"),
        ("", "is empty"),
    ])
    func imageIDsThatLeaveTheDatasetAreRefused(id: String, expected: String) throws {
        let scratch = try Scratch()
        let (_, json) = try Self.document(in: scratch)
        Self.decodeFailure(json, "images.0.id", .string(id), expecting: "images[0].id", expected)
    }

    @Test func duplicateImageIDsAreRefused() throws {
        let scratch = try Scratch()
        let (record, json) = try Self.document(in: scratch)
        Self.decodeFailure(json, "images.1.id", .string(record.images[0].id), expecting: "occurs twice")
    }

    @Test func shardRecordsAreBounded() throws {
        let scratch = try Scratch()
        let (_, json) = try Self.document(in: scratch, shard: try Shard(index: 1, count: 1))
        Self.decodeFailure(json, "shard.count", .int(0), expecting: "shard.count is 0")
        Self.decodeFailure(json, "shard.count", .int(10_000_000_000), expecting: "between 1 and 1000000")
        Self.decodeFailure(json, "shard.indices", .array([]), expecting: "shard.indices is empty")
        Self.decodeFailure(json, "shard.indices", .array([.int(2)]), expecting: "outside 1…1")
        expectFailure(containing: "N may be at most 1000000") { try Shard(parsing: "1/10000000000") }
    }

    @Test func mergeRefusesImagesThatDoNotHashToTheirShard() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 8, size: 48)
        var inputs: [(path: String, record: RunRecord)] = []
        for k in 1...2 {
            let part = try Scorer.score(
                groundTruthDirectory: data.gt, predictionDirectory: data.pred(.seenCollapse),
                options: data.options(shard: try Shard(index: k, count: 2)))
            inputs.append(("shard\(k).json", part))
        }
        // Label shard 2's file as shard 1 of another split: its images hash elsewhere.
        var forged = inputs[1].record
        forged.shard = ShardInfo(indices: [1], count: 2, partial: false)
        let victim = try #require(forged.images.first?.id)
        expectFailure(containing: "shard2.json", "image \"\(victim)\" belongs to shard 2/2") {
            try ShardMerger.merge([("shard2.json", forged)], allowPartial: true, command: ["test"])
        }
        // Shards scored on different ground-truth folders are not one run.
        var moved = inputs[1].record
        moved.dataset.groundTruthDirectory = "/elsewhere/gt"
        expectFailure(containing: "scored on the ground truth in /elsewhere/gt") {
            try ShardMerger.merge([inputs[0], ("shard2.json", moved)], allowPartial: false, command: ["test"])
        }
    }

    @Test func matrixAdditionReportsOverflowAndKeepsTheMatrix() throws {
        var big = try ConfusionMatrix(classCount: 2, counts: [UInt64.max - 1, 0, 0, 0])
        let one = try ConfusionMatrix(classCount: 2, counts: [2, 1, 0, 0])
        #expect(throws: MetricsError.self) { try big.add(one) }
        #expect(big.counts == [UInt64.max - 1, 0, 0, 0])
    }
}
