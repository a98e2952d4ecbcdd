import Foundation
import LabelMaps
import Testing

/// `ovseg inspect` and the warnings of `ovseg score` on generated folders, through the built binary.
@Suite("ovseg inspect and score warnings", .serialized)
struct InspectTests {
    /// LoveDA-style gray PNGs: `gt/` reduce_zero_label-encoded (class + 1, a 0 no-data corner);
    /// predictions as `transform(class, pixel index)` in `pred/`.
    func write(
        _ workspace: Workspace, images: Int = 3, size: Int = 32, gtValue: ((Int, Int) -> UInt16)? = nil,
        _ transform: (Int, Int) -> UInt16
    ) throws {
        for folder in ["gt", "pred"] {
            try FileManager.default.createDirectory(atPath: workspace.path + "/" + folder, withIntermediateDirectories: true)
        }
        for image in 0..<images {
            var raw = [UInt16](repeating: 0, count: size * size)
            var predicted = raw
            for y in 0..<size {
                for x in 0..<size {
                    let i = y * size + x
                    let id = (x / 5 + y / 11 + image) % 7
                    raw[i] = gtValue?(id, i) ?? (x < 3 && y < 3 ? 0 : UInt16(id + 1))
                    let guess = (i &* 2_654_435_761) % 4 == 0 ? (id + 2) % 7 : id
                    predicted[i] = transform(guess, i)
                }
            }
            try LabelMapWriter.writeGray8(LabelMap(width: size, height: size, values: raw), to: workspace.path + "/gt/tile_\(image).png")
            try LabelMapWriter.writeGray8(
                LabelMap(width: size, height: size, values: predicted), to: workspace.path + "/pred/tile_\(image).png")
        }
    }

    func inspect(_ workspace: Workspace, _ extra: [String] = []) throws -> CLI.Outcome {
        try CLI.run(["inspect", "--vocab", "loveda", "--gt", workspace.path + "/gt", "--pred", workspace.path + "/pred"] + extra)
    }

    func score(_ workspace: Workspace, _ extra: [String] = []) throws -> CLI.Outcome {
        try CLI.run(
            ["score", "--vocab", "loveda", "--gt", workspace.path + "/gt", "--pred", workspace.path + "/pred",
             "-o", workspace.path + "/run.ovseg.json", "--quiet"] + extra)
    }

    func warnings(_ workspace: Workspace) throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workspace.path + "/run.ovseg.json")))
        return (json as? [String: Any])?["warnings"] as? [String] ?? []
    }

    @Test func consistentFoldersExitZeroAndScoreWithoutWarning() throws {
        let workspace = try Workspace()
        try write(workspace) { id, _ in UInt16(id) }
        let outcome = try inspect(workspace)
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("verdict: consistent"))
        #expect(outcome.stdout.contains("formats: PNG gray 8-bit (3)"))
        let scored = try score(workspace)
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stderr.isEmpty, "no warning: \(scored.stderr)")
        #expect(try warnings(workspace).isEmpty)
    }

    @Test func mmsegPlusOneIsDiagnosedAndWarnedAbout() throws {
        let workspace = try Workspace()
        // ids + 1, the last class never predicted, so that reading them as ids raises no error.
        try write(workspace) { id, _ in UInt16(min(id, 5) + 1) }
        let outcome = try inspect(workspace)
        #expect(outcome.status == 1, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("verdict: likely misconfiguration"))
        #expect(outcome.stdout.contains("--pred-reduce-zero-label -o run.ovseg.json"), "\(outcome.stdout)")

        let json = try inspect(workspace, ["--json"])
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["verdict"] as? String == "misconfiguration")
        #expect(document["score_options"] as? [String] == ["--pred-reduce-zero-label"])

        let scored = try score(workspace)
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stderr.contains("ovseg: warning: the predictions look shifted by one class"), "\(scored.stderr)")
        #expect(scored.stderr.contains("--pred-reduce-zero-label"))
        #expect(try warnings(workspace).contains { $0.contains("shifted by one class") })
        let report = try CLI.run(["report", workspace.path + "/run.ovseg.json", "-o", workspace.path + "/report"])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: workspace.path + "/report/report.md", encoding: .utf8)
        #expect(markdown.contains("shifted by one class"))

        // Read as the verdict says: no warning.
        let fixed = try score(workspace, ["--pred-reduce-zero-label"])
        #expect(fixed.status == 0 && fixed.stderr.isEmpty, "\(fixed.stderr)")
    }

    @Test func oneClassTakingNearlyAllPredictionsIsWarnedAbout() throws {
        let workspace = try Workspace()
        try write(workspace) { _, i in i % 50 == 0 ? 1 : 3 }
        let inspected = try inspect(workspace)
        #expect(inspected.status == 1)
        #expect(inspected.stdout.contains("are predicted as water"), "\(inspected.stdout)")
        let scored = try score(workspace)
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stderr.contains("one class takes nearly all predictions"), "\(scored.stderr)")
        #expect(scored.stderr.contains("ovseg inspect --vocab loveda"))
    }

    @Test func mostGroundTruthIgnoredIsWarnedAbout() throws {
        let workspace = try Workspace()
        // Binary masks: 0 (no-data under reduce_zero_label) and 1.
        try write(workspace, gtValue: { id, _ in id == 0 ? 1 : 0 }) { _, _ in 0 }
        let scored = try score(workspace)
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stderr.contains("most of the ground truth was not evaluated"), "\(scored.stderr)")
        #expect(scored.stderr.contains("if the files hold 0-based ids, score with --reduce-zero-label no"), "\(scored.stderr)")
        #expect(try warnings(workspace).contains { $0.contains("most of the ground truth was not evaluated") })
    }

    @Test func predictionsOnAbsentClassesAreWarnedAbout() throws {
        let workspace = try Workspace()
        // Ground truth only classes 0–2; predictions mostly 3–6 (another vocabulary's order).
        try write(workspace, gtValue: { id, _ in UInt16(id % 3 + 1) }) { id, _ in UInt16(id % 4 + 3) }
        let scored = try score(workspace)
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stderr.contains("predicted as classes that never occur in the ground truth"), "\(scored.stderr)")
    }

    @Test func dataLayoutAndErrors() throws {
        let workspace = try Workspace()
        try write(workspace) { id, _ in UInt16(id) }
        let data = try CLI.run(["inspect", "--vocab", "loveda", "--data", workspace.path])
        #expect(data.status == 0, "\(data.stdout)\(data.stderr)")
        #expect(data.stdout.contains("ground truth: \(workspace.path)/gt"))
        let missing = try CLI.run(["inspect", "--vocab", "loveda", "--gt", workspace.path + "/nowhere"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nowhere"))
        let help = try CLI.run(["inspect", "--help"])
        #expect(help.stdout.contains("ovseg inspect --vocab loveda --gt gt --pred mmseg_out"))
    }

    /// 0-based LoveDA ground truth (no-data as 255): inspect recommends --reduce-zero-label no, and
    /// scoring so (or with an exported copy of the vocabulary) counts exactly what the release
    /// encoding (ids + 1, 0 no-data) counts.
    @Test func zeroBasedGroundTruthIsScoredWithReduceZeroLabelNo() throws {
        let release = try Workspace()
        try write(release) { id, _ in UInt16(id) }
        let zeroBased = try Workspace()
        try write(zeroBased, gtValue: { id, i in i % 32 < 3 && i / 32 < 3 ? 255 : UInt16(id) }) { id, _ in UInt16(id) }

        let inspected = try inspect(zeroBased)
        #expect(inspected.status == 1, "\(inspected.stdout)")
        #expect(inspected.stdout.contains("score with --reduce-zero-label no"), "\(inspected.stdout)")
        #expect(inspected.stdout.contains("ovseg score --vocab loveda --gt"), "\(inspected.stdout)")
        #expect(inspected.stdout.contains("--reduce-zero-label no -o run.ovseg.json"), "\(inspected.stdout)")
        // Inspected with the override, the folder is consistent and the recommendation keeps it.
        let overridden = try inspect(zeroBased, ["--reduce-zero-label", "no"])
        #expect(overridden.status == 0, "\(overridden.stdout)")
        #expect(overridden.stdout.contains("--reduce-zero-label no -o run.ovseg.json"), "\(overridden.stdout)")

        try #require(try score(release).status == 0)
        let expectedRows = try rows(release.path + "/run.ovseg.json")
        #expect(expectedRows != nil)
        let override = try score(zeroBased, ["--reduce-zero-label", "no"])
        try #require(override.status == 0, "\(override.stderr)")
        #expect(override.stderr.isEmpty, "no warning: \(override.stderr)")
        #expect(try rows(zeroBased.path + "/run.ovseg.json") == expectedRows)

        let exported = try CLI.run(
            ["vocab", "export", "loveda", "--reduce-zero-label", "false", "-o", zeroBased.path + "/loveda-ids.json"])
        try #require(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("loveda-ids, 7 classes, reduce_zero_label false"))
        #expect(try CLI.run(["inspect", "--vocab", zeroBased.path + "/loveda-ids.json", "--gt", zeroBased.path + "/gt"]).status == 0)

        let copy = try CLI.run(
            ["score", "--vocab", zeroBased.path + "/loveda-ids.json", "--gt", zeroBased.path + "/gt", "--pred",
             zeroBased.path + "/pred", "-o", zeroBased.path + "/run.ovseg.json", "--quiet"])
        try #require(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stderr.isEmpty, "no warning: \(copy.stderr)")
        #expect(try rows(zeroBased.path + "/run.ovseg.json") == expectedRows)
    }

    func rows(_ path: String) throws -> [[Int]]? {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        return (object?["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]]
    }
}
