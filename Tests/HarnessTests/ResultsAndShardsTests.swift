import Foundation
import Testing

@testable import Harness
import JSON
import Metrics
import SyntheticData

@Suite("Results files, sharding and merging")
struct ResultsAndShardsTests {
    @Test func resultsFileRoundTripsExactly() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 4)
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.classConfusion), options: data.options())
        let path = scratch.path + "/run.ovseg.json"
        try ResultsFile.write(record, to: path)
        let back = try ResultsFile.read(path: path)
        #expect(back == record)
        #expect(back.scores == record.scores)
        // Plain JSON that another parser reads, with the headline figures in it.
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let display = object?["display"] as? [String: Any]
        #expect(display?["miou"] as? String == Percent.format(record.scores.meanIoU))
        #expect(object?["schema"] as? String == "ovseg-results/1")
    }

    @Test func damagedResultsFilesAreRefused() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 2)
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.classConfusion), options: data.options())
        let text = JSONCodec.serialize(ResultsFile.encode(record))
        let truncated = scratch.path + "/truncated.json"
        try String(text.prefix(text.count / 2)).write(toFile: truncated, atomically: true, encoding: .utf8)
        expectFailure(containing: "truncated.json") {
            try ResultsFile.read(path: truncated)
        }

        // Edit one matrix cell: the per-image counts no longer add up.
        var document = ResultsFile.encode(record)
        guard case .object(var root) = document, case .object(var matrix)? = root["confusion_matrix"],
            case .array(var rows)? = matrix["rows"], case .array(var first) = rows[0]
        else { Issue.record("unexpected layout"); return }
        let original: UInt64 = first[0].uint64Value ?? 0
        first[0] = .count(original + 1)
        rows[0] = .array(first)
        matrix["rows"] = .array(rows)
        root["confusion_matrix"] = .object(matrix)
        document = .object(root)
        let edited = scratch.path + "/edited.json"
        try JSONCodec.write(document, to: edited)
        expectFailure(containing: "do not add up") {
            try ResultsFile.read(path: edited)
        }

        root["schema"] = .string("ovseg-results/99")
        try JSONCodec.write(.object(root), to: edited)
        expectFailure(containing: "ovseg-results/99") {
            try ResultsFile.read(path: edited)
        }

        root["schema"] = .string("ovseg-results/1")
        root["policy"] = nil
        try JSONCodec.write(.object(root), to: edited)
        expectFailure(containing: "missing key policy") {
            try ResultsFile.read(path: edited)
        }
    }

    @Test func shardAssignmentIsAFunctionOfTheIdAlone() throws {
        // Values from Python: int.from_bytes(sha256(id)[:8], "big") % N + 1.
        #expect(Shard.assignment(of: "tile_0000", count: 2) == 2)
        #expect(Shard.assignment(of: "tile_0000", count: 16) == 14)
        #expect(Shard.assignment(of: "tile_0002", count: 3) == 3)
        #expect(Shard.assignment(of: "a/b/c", count: 16) == 13)
        #expect(Shard.assignment(of: "x", count: 16) == 5)
        #expect(throws: HarnessError.self) { try Shard(parsing: "0/4") }
        #expect(throws: HarnessError.self) { try Shard(parsing: "5/4") }
        #expect(throws: HarnessError.self) { try Shard(parsing: "2-4") }
        #expect(try Shard(parsing: "2/4") == Shard(index: 2, count: 4))
    }

    @Test(arguments: [1, 2, 16])
    func mergedShardsEqualTheUnshardedRun(count: Int) throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 20, size: 48)
        let whole = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.seenCollapse), options: data.options())
        var inputs: [(path: String, record: RunRecord)] = []
        for k in 1...count {
            let options = data.options(shard: try Shard(index: k, count: count))
            // With 16 shards of 20 images some shards are empty: they still write a file.
            let part = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.seenCollapse), options: options)
            let path = scratch.path + "/shard\(k).json"
            try ResultsFile.write(part, to: path)
            inputs.append((path, try ResultsFile.read(path: path)))
        }
        #expect(inputs.count == count)
        let merged = try ShardMerger.merge(inputs, allowPartial: false, command: ["test"])
        #expect(merged.matrix == whole.matrix)
        #expect(merged.images == whole.images)
        #expect(merged.dataset.fingerprint == whole.dataset.fingerprint)
        // Every figure of the results file is byte-identical.
        let a = ResultsFile.encode(merged)
        let b = ResultsFile.encode(whole)
        let keys: [String] = ["metrics", "display", "classes", "confusion_matrix", "images", "vocabulary", "split", "policy"]
        for key in keys {
            let same: Bool = a[key] == b[key]
            #expect(same, "\(key) differs")
        }
        let mergedFingerprint: JSONValue? = a["dataset"]?["fingerprint"]
        let wholeFingerprint: JSONValue? = b["dataset"]?["fingerprint"]
        #expect(mergedFingerprint == wholeFingerprint)
    }

    @Test func duplicateIdsAndMissingShardsAreErrors() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 8, size: 48)
        var shards: [(path: String, record: RunRecord)] = []
        for k in 1...2 {
            shards.append(("s\(k).json", try Scorer.score(
                groundTruthDirectory: data.gt, predictionDirectory: data.pred(.boundaryDrift),
                options: data.options(shard: try Shard(index: k, count: 2)))))
        }
        expectFailure(containing: "2/2 missing") {
            try ShardMerger.merge([shards[0]], allowPartial: false, command: [])
        }
        let partial = try ShardMerger.merge([shards[0]], allowPartial: true, command: [])
        #expect(partial.shard?.partial == true)

        var renamed = shards[1]
        renamed.record.shard = ShardInfo(indices: [1], count: 2, partial: false)
        expectFailure(containing: "appears twice") {
            try ShardMerger.merge([shards[0], renamed], allowPartial: true, command: [])
        }

        var overlapping = shards[0]
        overlapping.path = "copy.json"
        overlapping.record.shard = ShardInfo(indices: [2], count: 2, partial: false)
        // A copy relabelled as the other shard: its ids hash to shard 1, which the merge checks.
        expectFailure(containing: "copy.json", "belongs to shard 1/2") {
            try ShardMerger.merge([shards[0], overlapping], allowPartial: false, command: [])
        }

        var otherPolicy = shards[1]
        otherPolicy.record.policy.presence = .gtPresent
        expectFailure(containing: "presence policy differs") {
            try ShardMerger.merge([shards[0], otherPolicy], allowPartial: false, command: [])
        }
    }
}
