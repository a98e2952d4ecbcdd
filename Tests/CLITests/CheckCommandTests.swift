import Foundation
import LabelMaps
import Testing
import Vocabulary

/// `ovseg check --numeric-noise` end to end: the demo's ground truth as its own prediction (every
/// evaluated pixel a true positive) against copies with evaluated pixels of tile_0000 relabelled.
@Suite("ovseg check --numeric-noise")
struct CheckCommandTests {
    /// The demo's ground truth (6 tiles of 64×64) as class ids, 255 on ignored (black) pixels.
    struct GroundTruth {
        var maps: [(name: String, map: LabelMap)] = []
        /// Pixels that are not ignored, over all tiles.
        var evaluated: Int { maps.reduce(0) { $0 + $1.map.values.count { $0 != 255 } } }
    }

    func demo(_ workspace: Workspace) throws -> GroundTruth {
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "6", "--size", "64", "--skip-model"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let vocabulary = try Vocabulary.load(key: "potsdam")
        var table = Dictionary(uniqueKeysWithValues: vocabulary.classes.map { ($0.color, UInt16($0.id)) })
        for color in vocabulary.encoding.ignoreColors { table[color] = 255 }
        var truth = GroundTruth()
        let directory = workspace.path + "/d/gt"
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
            truth.maps.append((name, try LabelMapReader.read(path: directory + "/" + name, colors: ColorTable(table))))
        }
        return truth
    }

    /// Writes the ground truth as gray predictions (ignored pixels predicted 0, which is not scored)
    /// with the first `relabel` evaluated pixels of tile_0000 moved g → (g + 1) mod 6, and scores them.
    /// Each relabelled pixel takes a true positive from g and adds a false positive to g + 1, so
    /// T = F = relabel and the bound max(T, ⌈(T + F)/2⌉) is exactly `relabel`.
    func predictions(_ workspace: Workspace, _ truth: GroundTruth, relabel: Int, name: String) throws -> String {
        let folder = workspace.path + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (file, groundTruth) in truth.maps {
            var map = groundTruth
            var left = file == "tile_0000.png" ? relabel : 0
            for i in map.values.indices {
                if map.values[i] == 255 {
                    map.values[i] = 0
                } else if left > 0 {
                    map.values[i] = (map.values[i] + 1) % 6
                    left -= 1
                }
            }
            #expect(left == 0, "tile_0000 has fewer than \(relabel) evaluated pixels")
            try LabelMapWriter.writeGray8(map, to: folder + "/" + file)
        }
        let output = workspace.path + "/\(name).ovseg.json"
        let score = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", workspace.path + "/d/gt", "--pred", folder, "--method", "oracle",
            "-o", output, "--quiet",
        ])
        #expect(score.status == 0, "\(score.stderr)")
        return output
    }

    @Test func onePixelPassesWithinTheLimitsAndFailsBeyondThem() throws {
        let workspace = try Workspace()
        let truth = try demo(workspace)
        let pixels = truth.evaluated
        let baseline = try predictions(workspace, truth, relabel: 0, name: "oracle")
        let same = try CLI.run(["check", "--numeric-noise", "--baseline", baseline, baseline])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        #expect(same.stdout.contains("numeric noise: label agreement ≥ 99.99 %, metrics ±0.01 pp"))
        #expect(same.stdout.contains("no changed label among \(pixels) pixels"))

        // 1 of ~24 000 pixels keeps the agreement above 99.99 %, but on 64×64 tiles one pixel moves
        // a class IoU by far more than 0.01 pp: the default metric limit fails, a loose one passes.
        let onePixel = try predictions(workspace, truth, relabel: 1, name: "one")
        let strict = try CLI.run(["check", "--numeric-noise", "--baseline", baseline, onePixel])
        #expect(strict.status == 1, "\(strict.stdout)\(strict.stderr)")
        #expect(strict.stdout.contains("at least 1 of \(pixels) pixels changed label"))
        #expect(strict.stdout.contains("BEYOND NOISE"))
        #expect(strict.stdout.contains("most changed image: tile_0000 (at least 1 of "))
        #expect(strict.stdout.contains("; metric that moved most: IoU "))

        let summary = workspace.path + "/summary.md"
        let junit = workspace.path + "/junit.xml"
        let loose = try CLI.run(
            ["check", "--numeric-noise", "--max-metric-change", "5", "--baseline", baseline, onePixel, "--junit", junit],
            environment: ["GITHUB_STEP_SUMMARY": summary])
        #expect(loose.status == 0, "\(loose.stdout)\(loose.stderr)")
        let markdown = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(markdown.contains("### ovseg check: ✅ pass"))
        #expect(markdown.contains("every metric within ±5 pp"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("name=\"label agreement\""))
        #expect(!xml.contains("<failure"))
    }

    @Test func aRelabelledTileFailsOnLabelAgreement() throws {
        let workspace = try Workspace()
        let truth = try demo(workspace)
        let tile = try #require(truth.maps.first { $0.name == "tile_0000.png" })
        let tilePixels = tile.map.values.count { $0 != 255 }
        let baseline = try predictions(workspace, truth, relabel: 0, name: "oracle")
        let changed = try predictions(workspace, truth, relabel: tilePixels, name: "tile")
        let outcome = try CLI.run(["check", "--numeric-noise", "--max-metric-change", "100", "--baseline", baseline, changed])
        #expect(outcome.status == 1, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("at least \(tilePixels) of \(truth.evaluated) pixels changed label"))
        #expect(outcome.stdout.contains("most changed image: tile_0000 (at least \(tilePixels) of \(tilePixels) pixels)"))
        #expect(!outcome.stdout.contains("BEYOND NOISE"), "the metric limit is 100 pp")
    }

    @Test func modeOptionsAreCheckedAsUsageErrors() throws {
        let workspace = try Workspace()
        let truth = try demo(workspace)
        let baseline = try predictions(workspace, truth, relabel: 0, name: "oracle")
        for (arguments, message) in [
            (["--exact", "--numeric-noise"], "--exact and --numeric-noise are different modes"),
            (["--min-label-agreement", "99"], "--min-label-agreement needs --numeric-noise"),
            (["--max-metric-change", "0.1"], "--max-metric-change needs --numeric-noise"),
            (["--numeric-noise", "--max-drop-miou", "1"], "--max-drop-miou does not apply to --numeric-noise"),
            (["--numeric-noise", "--min-label-agreement", "101"], "--min-label-agreement must be a percentage from 0 to 100"),
            (["--numeric-noise", "--max-metric-change=-1"], "--max-metric-change must be a non-negative number"),
        ] {
            let outcome = try CLI.run(["check", "--baseline", baseline, baseline] + arguments)
            #expect(outcome.status == 2, "\(arguments): usage errors exit 2")
            #expect(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        }
    }
}
