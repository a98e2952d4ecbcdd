import Foundation
import Testing

/// The committed synthetic SGSeg checkpoint (Demo/README.md), read from the source tree.
private let suiteDemoCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path

private func jsonObject(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The counts of a results file: the confusion matrix and each image's counts.
private func counts(_ path: String) throws -> String {
    let object = try jsonObject(path)
    let matrix = try JSONSerialization.data(withJSONObject: object["confusion_matrix"] ?? [], options: [.sortedKeys])
    let images = (object["images"] as? [[String: Any]] ?? []).map { "\($0["id"] ?? "")\($0["counts"] ?? "")" }
    return String(decoding: matrix, as: UTF8.self) + images.joined()
}

@Suite("ovseg suite", .serialized)
struct SuiteCommandTests {
    @Test func demoSuiteRunsResumesAndEqualsDirectScoring() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let suite = workspace.path + "/d/suite/suite.json"
        #expect(workspace.exists("d/suite/run/suite-run.json"))
        #expect(demo.stderr.contains("[12/12] seen-collapse × openearthmap … done"))

        let split = try CLI.run(["suite", "split", suite])
        #expect(split.status == 0)
        #expect(split.stdout.contains("low vegetation: seen via \"grass\", matches dlrsd \"grass\""))
        let validate = try CLI.run(["suite", "validate", suite])
        #expect(validate.status == 0 && validate.stdout.contains("4 methods × 3 datasets = 12 cells"), "\(validate.stderr)")

        let out = workspace.path + "/run"
        let first = try CLI.run(["suite", "run", suite, "--out", out, "--jobs", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("[1/12] boundary-drift × potsdam … done"))
        let second = try CLI.run(["suite", "run", suite, "--out", out])
        #expect(second.status == 0)
        #expect(second.stderr.contains("[12/12] seen-collapse × openearthmap … up to date (kept)"))
        #expect(second.stderr.contains("(0 computed, 12 up to date)"))

        // The cell equals ovseg score of the same folders with the same split.
        let direct = workspace.path + "/direct.ovseg.json"
        let score = try CLI.run([
            "score", "--vocab", "openearthmap", "--gt", workspace.path + "/d/suite/data/openearthmap/gt",
            "--pred", workspace.path + "/d/suite/predictions/class-confusion/openearthmap",
            "--seen", "rangeland", "developed space", "tree", "water", "building",
            "--unseen", "bareland", "road", "agriculture land", "--quiet", "-o", direct,
        ])
        try #require(score.status == 0, "\(score.stderr)")
        let cell = out + "/cells/class-confusion/openearthmap.ovseg.json"
        #expect(try counts(cell) == counts(direct))
        let cellSplit = try #require(try jsonObject(cell)["split"] as? [String: Any])
        let directSplit = try #require(try jsonObject(direct)["split"] as? [String: Any])
        #expect(cellSplit["seen_ids"] as? [Int] == directSplit["seen_ids"] as? [Int])
        #expect(cellSplit["unseen_ids"] as? [Int] == directSplit["unseen_ids"] as? [Int])
        #expect(try jsonObject(cell)["split_origin"] as? String == "suite-overlap")

        // A missing prediction folder fails its cell, the rest go on, exit code 1.
        try FileManager.default.removeItem(atPath: workspace.path + "/d/suite/predictions/small-object-misses/loveda")
        let broken = try CLI.run(["suite", "run", suite, "--out", out])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("[8/12] small-object-misses × loveda … failed: "))
        #expect(broken.stderr.contains("11 of 12 cells done"))

        // An invalid suite file: exit code 2 and one line naming the entry.
        try #"{"schema_version": 1, "name": "x", "training_vocabulary": "dlrsd", "datasets": [{"key": "p", "vocabulary": "potsdm", "gt": "g"}], "methods": []}"#
            .write(toFile: workspace.path + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try CLI.run(["suite", "validate", workspace.path + "/bad.json"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains(#"bad.json: datasets[0] ("p"): unknown vocabulary "potsdm" (did you mean "potsdam"?)"#), "\(bad.stderr)")
    }

    /// A checkpoint cell is what `ovseg eval` computes for the same checkpoint and data.
    @Test func checkpointCellEqualsEval() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let suite = workspace.path + "/suite.json"
        try """
            {"schema_version": 1, "name": "model", "training_vocabulary": "dlrsd",
             "datasets": [{"key": "potsdam", "vocabulary": "potsdam", "data": "d"}],
             "methods": [{"name": "demo model", "checkpoint": "\(suiteDemoCheckpoint)", "eval": {"inference": "sliding"}}]}
            """.write(toFile: suite, atomically: true, encoding: .utf8)
        let run = try CLI.run(["suite", "run", suite, "--out", workspace.path + "/run", "--jobs", "2"])
        try #require(run.status == 0, "\(run.stderr)")
        let direct = workspace.path + "/eval.ovseg.json"
        let eval = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", workspace.path + "/d", "--checkpoint", suiteDemoCheckpoint,
            "--seen", "building", "low vegetation", "tree", "car", "--unseen", "impervious surfaces", "--jobs", "2", "--quiet", "-o", direct,
        ])
        try #require(eval.status == 0, "\(eval.stderr)")
        let cell = workspace.path + "/run/cells/demo-model/potsdam.ovseg.json"
        #expect(try counts(cell) == counts(direct))
        let provenance = try #require(try jsonObject(cell)["provenance"] as? [String: Any])
        let evalProvenance = try #require(try jsonObject(direct)["provenance"] as? [String: Any])
        #expect(provenance["checkpoint_sha256"] as? String == evalProvenance["checkpoint_sha256"] as? String)
        // Resumed: the checkpoint's hash is unchanged, so nothing is recomputed.
        let again = try CLI.run(["suite", "run", suite, "--out", workspace.path + "/run"])
        #expect(again.status == 0 && again.stderr.contains("up to date (kept)"))
    }
}
