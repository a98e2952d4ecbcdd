import Foundation
import Testing

/// The per-image pixel limit and its override (`OVSEG_MAX_PIXELS`), and the class limit
/// (docs/robustness.md §3).
@Suite("Pixel and class limits", .serialized)
struct LimitsCommandTests {
    @Test func aTileAboveThePixelLimitIsRefusedNamingTheFileItsSizeAndTheVariable() throws {
        let workspace = try Workspace()
        try WriteFaultTests.dataset(workspace, images: 2, size: 64)
        let d = workspace.path + "/d"
        let score = ["score", "--vocab", "potsdam", "--gt", d + "/gt", "--pred", d + "/predictions/boundary-drift", "--quiet",
                     "-o", workspace.path + "/run.ovseg.json"]
        let refused = try CLI.run(score, environment: ["OVSEG_MAX_PIXELS": "4095"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("64×64 = 4096 pixels"), "\(refused.stderr)")
        #expect(refused.stderr.contains("the limit is 4095 pixels per image") && refused.stderr.contains("OVSEG_MAX_PIXELS"), "\(refused.stderr)")
        #expect(refused.stderr.contains(".png"), "\(refused.stderr)")
        #expect(!workspace.exists("run.ovseg.json"))

        let inspect = try CLI.run(["inspect", "--vocab", "potsdam", "--gt", d + "/gt"], environment: ["OVSEG_MAX_PIXELS": "1000"])
        #expect(inspect.stderr.contains("OVSEG_MAX_PIXELS"), "\(inspect.stdout)\(inspect.stderr)")

        let report = try CLI.run(["report", d + "/results/boundary-drift.ovseg.json", "--out", workspace.path + "/r", "--gt", d + "/gt",
                                  "--pred", "boundary-drift=" + d + "/predictions/boundary-drift"], environment: ["OVSEG_MAX_PIXELS": "1000"])
        #expect(report.status == 2 && report.stderr.contains("OVSEG_MAX_PIXELS"), "\(report.stderr)")

        // Exactly at the limit the tile is read, and the results do not record the setting.
        let allowed = try CLI.run(score, environment: ["OVSEG_MAX_PIXELS": "4096"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let text = try String(contentsOfFile: workspace.path + "/run.ovseg.json", encoding: .utf8)
        #expect(!text.contains("MAX_PIXELS") && !text.contains("max_pixels"))
    }

    @Test(arguments: ["0", "-5", "lots", "1099511627777", ""])
    func anInvalidPixelLimitIsRefusedBeforeTheCommandRuns(value: String) throws {
        let workspace = try Workspace()
        let outcome = try CLI.run(["vocab", "list"], environment: ["OVSEG_MAX_PIXELS": value])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("ovseg: error: OVSEG_MAX_PIXELS="), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
        _ = workspace
    }

    @Test func aVocabularyAboveTheClassLimitIsRefusedBeforeScoring() throws {
        let workspace = try Workspace()
        try WriteFaultTests.dataset(workspace, images: 1, size: 64)
        let classes = (0..<2049).map { #"{"id": \#($0), "name": "class \#($0)", "color": [\#($0 % 256), \#($0 / 256), 7]}"# }
        let vocabulary = #"{"schema": "ovseg-vocabulary/1", "key": "huge", "name": "2049 classes", "description": "test", "classes": ["#
            + classes.joined(separator: ", ")
            + #"], "label_encoding": {"reduce_zero_label": false, "ignore_values": [65535], "ignore_colors": [], "release_format": "index"}, "#
            + #""background": {"class": null, "treatment": "none"}, "prompt_templates": ["a photo of a {}."], "splits": [], "sources": ["test"]}"#
        let path = workspace.path + "/huge.json"
        try Data(vocabulary.utf8).write(to: URL(fileURLWithPath: path))
        let outcome = try CLI.run(["score", "--vocab", path, "--gt", workspace.path + "/d/gt",
                                   "--pred", workspace.path + "/d/predictions/boundary-drift", "-o", workspace.path + "/run.ovseg.json"])
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("huge.json") && outcome.stderr.contains("2049 classes")
                && outcome.stderr.contains("at most 2048"), "\(outcome.stderr)")
        #expect(!workspace.exists("run.ovseg.json"))
    }
}
