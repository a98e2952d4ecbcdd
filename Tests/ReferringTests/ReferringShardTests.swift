import Foundation
import Harness
import Referring
import Testing

/// Sharded referring runs (`refer score --shard K/N`) merged by `ReferringShardMerger`: the merge
/// equals the unsharded run sample for sample, and mismatched shards are refused (docs/referring.md §6.4).
@Suite struct ReferringShardTests {
    static func score(shard: Shard?, missingAsEmpty: Bool = false, method: String = "fixture") throws -> ReferringRunRecord {
        let annotations = try ReferringAnnotations.read(path: try Fixture.path("refer_gt.json"))
        return try ReferringScorer.score(
            annotations: annotations, predictions: .json(path: try Fixture.path("refer_pred.json")),
            options: ReferringScoreOptions(method: method, missingAsEmpty: missingAsEmpty, shard: shard, command: ["test"]))
    }

    static func shards(_ count: Int) throws -> [(path: String, record: ReferringRunRecord)] {
        try (1...count).map { index in ("shard\(index).json", try score(shard: try Shard(index: index, count: count))) }
    }

    @Test func mergedShardsEqualTheWholeRun() throws {
        let whole = try Self.score(shard: nil)
        let parts = try Self.shards(4)
        // Every shard holds only its own samples, and together they hold every sample once.
        for (index, part) in parts.enumerated() {
            #expect(part.record.shard == ShardInfo(indices: [index + 1], count: 4, partial: false))
            #expect(part.record.samples.allSatisfy { Shard.assignment(of: $0.id, count: 4) == index + 1 })
        }
        #expect(parts.map(\.record.samples.count).reduce(0, +) == whole.samples.count)
        let merged = try ReferringShardMerger.merge(parts.reversed(), allowPartial: false, command: ["merge"])
        #expect(merged.samples == whole.samples)
        #expect(merged.scores == whole.scores)
        #expect(merged.annotationsFingerprint == whole.annotationsFingerprint)
        #expect(merged.predictionsFingerprint == whole.predictionsFingerprint)
        #expect(merged.shard == ShardInfo(indices: [1, 2, 3, 4], count: 4, partial: false))
        // The shard record survives the results file.
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ReferringResultsFile.write(merged, to: folder + "/merged.json")
        #expect(try ReferringResultsFile.read(path: folder + "/merged.json") == merged)
    }

    @Test func missingShardsNeedAllowPartial() throws {
        let parts = Array(try Self.shards(4).dropLast())
        #expect {
            _ = try ReferringShardMerger.merge(parts, allowPartial: false, command: ["merge"])
        } throws: { error in
            "\(error)".contains("shard(s) 4/4 are missing (1 of 4)")
        }
        let partial = try ReferringShardMerger.merge(parts, allowPartial: true, command: ["merge"])
        #expect(partial.shard == ShardInfo(indices: [1, 2, 3], count: 4, partial: true))
    }

    @Test func mismatchedShardsAreRefused() throws {
        let parts = try Self.shards(3)
        func refusal(_ inputs: [(path: String, record: ReferringRunRecord)], _ text: String) {
            #expect {
                _ = try ReferringShardMerger.merge(inputs, allowPartial: true, command: ["merge"])
            } throws: { error in
                "\(error)".contains(text)
            }
        }
        refusal([parts[0], ("again.json", parts[0].record)], "shard 1/3 appears twice")
        refusal([parts[0], ("other.json", try Self.score(shard: try Shard(index: 2, count: 5)))], "5-way split")
        refusal([parts[0], ("m.json", try Self.score(shard: try Shard(index: 2, count: 3), method: "other"))], "the methods differ")
        refusal([parts[0], ("whole.json", try Self.score(shard: nil))], "is not a shard")
        var foreign = parts[1]
        foreign.record.samples.append(parts[0].record.samples[0])
        refusal([parts[0], foreign], "belongs to shard 1/3")
        var relabelled = parts[1]
        relabelled.record.annotationFileSHA256 = ["0" + String(repeating: "f", count: 63)]
        refusal([parts[0], relabelled], "different annotation files")
    }
}
