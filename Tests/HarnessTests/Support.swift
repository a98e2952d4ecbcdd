import Foundation
import Harness
import LabelMaps
import SyntheticData
import Vocabulary

/// A fresh folder per test, removed when the value goes away.
final class Scratch {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-harness-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func folder(_ name: String) throws -> String {
        let folder = path + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + name) }
}

/// A small synthetic dataset written to disk, shared by several tests.
struct SmallDataset {
    let root: String
    let dataset: SampleDataset
    let vocabulary: Vocabulary

    init(in scratch: Scratch, images: Int = 6, size: Int = 64, seed: UInt64 = 7) throws {
        root = scratch.path + "/data"
        dataset = SampleDataset(imageCount: images, width: size, height: size, seed: seed)
        try dataset.write(to: root, methods: SimulatedMethod.allCases, jobs: 2)
        vocabulary = try Vocabulary.load(key: SampleDataset.vocabularyKey)
    }

    var gt: String { dataset.groundTruthDirectory(in: root) }
    func pred(_ method: SimulatedMethod) -> String { dataset.predictionDirectory(in: root, method: method) }

    func options(jobs: Int = 2, shard: Shard? = nil, method: String = "m") -> ScoreOptions {
        ScoreOptions(vocabulary: vocabulary, split: vocabulary.splits.first, jobs: jobs, shard: shard, method: method)
    }
}

import Testing

/// Runs `body` and requires it to throw an error whose text contains every fragment.
func expectFailure(
    containing fragments: String..., sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any
) {
    do {
        _ = try body()
        Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
    } catch {
        let text = "\(error)"
        for fragment in fragments where !text.contains(fragment) {
            Issue.record("error \"\(text)\" does not contain \"\(fragment)\"", sourceLocation: sourceLocation)
        }
    }
}
