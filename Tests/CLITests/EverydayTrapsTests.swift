import Foundation
import LabelMaps
import Testing

/// The traps of issue 14, reproduced the way users met them on the command line.
@Suite("ovseg score: everyday traps", .serialized)
struct EverydayTrapsTests {
    /// LoveDA-style files: `gt/` with mmseg's reduce_zero_label (raw 0 no-data, raw v = class v − 1),
    /// a model's predictions as class ids in `ids/` and as mmseg 1.x's format_only writes them for
    /// reduce_zero_label datasets in `mmseg/` (ids + 1), all gray PNGs.
    func writeLoveDA(in workspace: Workspace, images: Int = 3, size: Int = 32) throws {
        for folder in ["gt", "ids", "mmseg"] {
            try FileManager.default.createDirectory(atPath: workspace.path + "/" + folder, withIntermediateDirectories: true)
        }
        for image in 0..<images {
            var raw = [UInt16](repeating: 0, count: size * size)
            var predicted = [UInt16](repeating: 0, count: size * size)
            for y in 0..<size {
                for x in 0..<size {
                    let i = y * size + x
                    let id = (x / 5 + y / 11 + image) % 7
                    raw[i] = x < 3 && y < 3 ? 0 : UInt16(id + 1)
                    predicted[i] = UInt16((i &* 2_654_435_761) % 4 == 0 ? (id + 2) % 7 : id)
                }
            }
            let name = "/tile_\(image).png"
            try LabelMapWriter.writeGray8(LabelMap(width: size, height: size, values: raw), to: workspace.path + "/gt" + name)
            try LabelMapWriter.writeGray8(
                LabelMap(width: size, height: size, values: predicted), to: workspace.path + "/ids" + name)
            try LabelMapWriter.writeGray8(
                LabelMap(width: size, height: size, values: predicted.map { $0 + 1 }), to: workspace.path + "/mmseg" + name)
        }
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    @Test func mmsegPlusOnePredictions() throws {
        let workspace = try Workspace()
        try writeLoveDA(in: workspace)
        let w = workspace.path
        let score = ["score", "--vocab", "loveda", "--gt", w + "/gt"]

        let reference = try CLI.run(score + ["--pred", w + "/ids", "-o", w + "/ids.ovseg.json"])
        #expect(reference.status == 0, "\(reference.stderr)")
        let referenceMIoU = try #require((try json(w + "/ids.ovseg.json")["display"] as? [String: Any])?["miou"] as? String)

        // What the user saw: an error. It now names the cause and does not offer the void hint.
        let plain = try CLI.run(score + ["--pred", w + "/mmseg", "-o", w + "/plain.ovseg.json"])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("mmseg/tile_0.png: predicted value 7 at pixel"), "\(plain.stderr)")
        #expect(
            plain.stderr.contains(
                "predictions look like mmseg's reduce_zero_label output (ids + 1); use --pred-reduce-zero-label"),
            "\(plain.stderr)")
        #expect(!plain.stderr.contains("--out-of-range-prediction void"), "\(plain.stderr)")
        #expect(!workspace.exists("plain.ovseg.json"))

        // With the option: the numbers of the unshifted predictions, and the encoding on record.
        for (option, name) in [(["--pred-reduce-zero-label"], "reduce-zero-label"), (["--pred-offset", "1"], "offset-1")] {
            let output = w + "/\(name).ovseg.json"
            let read = try CLI.run(score + ["--pred", w + "/mmseg"] + option + ["-o", output])
            #expect(read.status == 0, "\(read.stderr)")
            #expect(read.stderr.isEmpty, "no warning: \(read.stderr)")
            let document = try json(output)
            #expect((document["display"] as? [String: Any])?["miou"] as? String == referenceMIoU)
            #expect(read.stdout.contains("mIoU \(referenceMIoU)"))
            #expect((document["policy"] as? [String: Any])?["prediction_encoding"] as? String == name)
            // Same counts, and comparable: the encoding says how files were read, not what was measured.
            let check = try CLI.run(["check", "--exact", "--baseline", w + "/ids.ovseg.json", output])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        }

        // Following the old hint: numbers come out, but with a warning on stderr and the share on record.
        let voided = try CLI.run(
            score + ["--pred", w + "/mmseg", "--out-of-range-prediction", "void", "-o", w + "/void.ovseg.json", "--quiet"])
        #expect(voided.status == 0, "\(voided.stderr)")
        #expect(voided.stderr.contains("ovseg: warning: "), "\(voided.stderr)")
        #expect(voided.stderr.contains("were counted as misses (--out-of-range-prediction void)"), "\(voided.stderr)")
        #expect(voided.stderr.contains("the predictions look shifted by one class"), "\(voided.stderr)")
        let document = try json(w + "/void.ovseg.json")
        let share = try #require((document["metrics"] as? [String: Any])?["void_prediction_share"] as? Double)
        #expect(share > 0.01)
        #expect((document["warnings"] as? [String])?.count == 2)
        #expect((document["display"] as? [String: Any])?["miou"] as? String != referenceMIoU)

        // The two encoding options exclude each other, and eval refuses them.
        let both = try CLI.run(score + ["--pred", w + "/mmseg", "--pred-reduce-zero-label", "--pred-offset", "1", "-o", w + "/x.json"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("give one"), "\(both.stderr)")
        let negative = try CLI.run(score + ["--pred", w + "/mmseg", "--pred-offset=-1", "-o", w + "/x.json"])
        #expect(negative.status == 2)
        #expect(negative.stderr.contains("--pred-offset must lie between 0 and 65535"), "\(negative.stderr)")
    }

    @Test func symlinkedFoldersAreFollowedAndLoopsNamed() throws {
        let workspace = try Workspace()
        let w = workspace.path
        #expect(try CLI.run(["demo", "--out", w + "/d", "--images", "3", "--size", "64", "--skip-model"]).status == 0)
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: w + "/gt", withDestinationPath: w + "/d/gt")
        try manager.createSymbolicLink(atPath: w + "/pred", withDestinationPath: "d/predictions/class-confusion")
        // The demo's runs report Potsdam's dlrsd-overlap split (not a default: it is inferred).
        let linked = try CLI.run(
            ["score", "--vocab", "potsdam", "--split", "dlrsd-overlap", "--gt", "gt", "--pred", "pred", "-o", "run.ovseg.json"], in: w)
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(linked.stdout.contains("3 images"), "\(linked.stdout)")
        let check = try CLI.run(["check", "--exact", "--baseline", w + "/d/results/class-confusion.ovseg.json", w + "/run.ovseg.json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        try manager.createSymbolicLink(atPath: w + "/d/gt/again", withDestinationPath: w + "/gt")
        let loop = try CLI.run(["score", "--vocab", "potsdam", "--gt", "gt", "--pred", "pred", "-o", "loop.ovseg.json"], in: w)
        #expect(loop.status == 2)
        #expect(loop.stderr.contains("gt/again: symbolic link to \(w)/gt leads back to gt, a folder that contains it"), "\(loop.stderr)")
    }

    @Test func skippedImagesAreNamedInTheSummaryAndTheReport() throws {
        let workspace = try Workspace()
        let w = workspace.path
        #expect(try CLI.run(["demo", "--out", w + "/d", "--images", "6", "--size", "64", "--skip-model"]).status == 0)
        let pred = w + "/d/predictions/boundary-drift"
        for id in ["tile_0001", "tile_0004"] { try FileManager.default.removeItem(atPath: pred + "/\(id).png") }
        try FileManager.default.copyItem(atPath: pred + "/tile_0000.png", toPath: pred + "/stray.png")
        let outcome = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", w + "/d/gt", "--pred", pred, "--skip-missing", "--skip-extra",
            "-o", w + "/run.ovseg.json",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(3)) == [
            "boundary-drift — ISPRS Potsdam, 4 images (2 skipped), presence policy union-present",
            "skipped 2 of 6 ground-truth images: 2 without a prediction (tile_0001, tile_0004)",
            "ignored 1 prediction file without ground truth (stray)",
        ], "\(outcome.stdout)")

        let report = try CLI.run(["report", w + "/run.ovseg.json", "--out", w + "/report", "--bootstrap", "0"])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: w + "/report/report.md", encoding: .utf8)
        #expect(markdown.contains("| 4 (2 skipped) |"), "\(markdown)")
        #expect(markdown.contains("boundary-drift: skipped 2 of 6 ground-truth images: 2 without a prediction (tile\\_0001, tile\\_0004)."))
    }

    /// `--vocab Potsdam` works; a typo is answered with the closest bundled key.
    @Test func vocabularyKeysIgnoreCaseAndTyposGetASuggestion() throws {
        let workspace = try Workspace()
        let w = workspace.path
        #expect(try CLI.run(["demo", "--out", w + "/d", "--images", "2", "--size", "64", "--skip-model"]).status == 0)
        let score = ["score", "--gt", w + "/d/gt", "--pred", w + "/d/predictions/boundary-drift"]
        let capitalised = try CLI.run(score + ["--vocab", "Potsdam", "-o", w + "/run.ovseg.json"])
        #expect(capitalised.status == 0, "\(capitalised.stderr)")
        let typo = try CLI.run(score + ["--vocab", "postdam", "-o", w + "/typo.ovseg.json"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("did you mean 'potsdam'?"), "\(typo.stderr)")
        let shown = try CLI.run(["vocab", "show", "VAIHINGEN"])
        #expect(shown.status == 0, "\(shown.stderr)")
    }

    /// Predictions saved as `<id>_pred.png`: the error names a file and the option that pairs them.
    @Test func suffixedPredictionsSuggestPredSuffix() throws {
        let workspace = try Workspace()
        let w = workspace.path
        #expect(try CLI.run(["demo", "--out", w + "/d", "--images", "3", "--size", "64", "--skip-model"]).status == 0)
        let pred = w + "/d/predictions/boundary-drift"
        for id in ["tile_0000", "tile_0001", "tile_0002"] {
            try FileManager.default.moveItem(atPath: pred + "/\(id).png", toPath: pred + "/\(id)_pred.png")
        }
        let score = ["score", "--vocab", "potsdam", "--gt", w + "/d/gt", "--pred", pred, "-o", w + "/run.ovseg.json"]
        let missing = try CLI.run(score)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("3 ground-truth image(s) have no prediction"), "\(missing.stderr)")
        #expect(missing.stderr.contains("found \(pred)/tile_0000_pred.png — use --pred-suffix _pred"), "\(missing.stderr)")
        let suffixed = try CLI.run(score + ["--pred-suffix", "_pred"])
        #expect(suffixed.status == 0, "\(suffixed.stderr)")
    }
}
