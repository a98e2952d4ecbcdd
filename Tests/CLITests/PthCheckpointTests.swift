import CheckpointConversion
import Foundation
import ParityTestSupport
import SafeTensors
import Testing
@testable import ovseg

/// A file of the source tree, relative to Tests/.
private func testsFile(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(relative).path
}

private let demoCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path

private func json(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The confusion matrix and every image's prediction hash of a results file: what a run counted.
private func counts(_ path: String) throws -> (rows: [[Int]], predictions: [String]) {
    let run = try json(path)
    let matrix = try #require(run["confusion_matrix"] as? [String: Any])
    let rows = try #require(matrix["rows"] as? [[Int]])
    let images = try #require(run["images"] as? [[String: Any]])
    return (rows, images.map { "\($0["id"] ?? "")=\($0["prediction_sha256"] ?? "")" })
}

/// The files of a predictions folder, by name.
private func files(_ folder: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".png") {
        out[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
    }
    return out
}

/// `ovseg eval` and `ovseg embed` on a torch.save file: the same results as on the safetensors file
/// `ovseg convert` writes from it with the same settings (docs/checkpoint-format.md §7).
@Suite("torch.save checkpoints in eval and embed", .serialized)
struct PthCheckpointTests {
    /// The committed demo SGSeg's settings that a .pth does not record.
    static let demoSettings = [
        "--vision-heads", "2", "--text-heads", "2", "--guidance-layers", "1,2", "--aggregator-heads", "2",
        "--aggregator-window", "4", "--pad-len", "8",
    ]
    static let tinyCLIPSettings = ["--hidden-act", "gelu", "--vision-heads", "2", "--text-heads", "2"]

    func tiles(_ workspace: Workspace) throws -> String {
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        return workspace.path + "/d"
    }

    /// The demo SGSeg (its real 49 408-token vocabulary; the tiny .pth fixtures have 64 tokens, too
    /// few for the tokenizer) saved as detectron2 saves `model_final.pth`: `{"model": …, …}`, F16.
    func demoPth(_ workspace: Workspace) throws -> String {
        let path = workspace.path + "/model_final.pth"
        let bytes = try TorchSaveWriter.bytes(of: SafeTensorsFile(path: demoCheckpoint), wrapper: "model")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// eval on a detectron2 `.pth` (auto mode: a segmenter) counts and predicts exactly as eval on
    /// the file `ovseg convert` writes from it; both equal the committed demo checkpoint's own run
    /// with the geometry eval is told (the conversion only widens F16 to F32 and adds metadata).
    @Test func segmenterEvalOnPthEqualsEvalOnItsConversion() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let pth = try demoPth(workspace)
        let geometry = ["--inference", "whole", "--shortest-edge", "none"]
        let base = ["eval", "--vocab", "potsdam", "--data", data, "--quiet"] + geometry
        let direct = try CLI.run(
            base + ["--checkpoint", pth, "--save-predictions", workspace.path + "/p1", "-o", workspace.path + "/pth.ovseg.json"]
                + Self.demoSettings)
        try #require(direct.status == 0, "\(direct.stderr)")

        let converted = workspace.path + "/converted.safetensors"
        let convert = try CLI.run(["convert", pth, "-o", converted] + Self.demoSettings)
        try #require(convert.status == 0, "\(convert.stderr)")
        let viaFile = try CLI.run(
            base + ["--checkpoint", converted, "--save-predictions", workspace.path + "/p2", "-o", workspace.path + "/st.ovseg.json"])
        try #require(viaFile.status == 0, "\(viaFile.stderr)")
        let original = try CLI.run(
            base + ["--checkpoint", demoCheckpoint, "--save-predictions", workspace.path + "/p3", "-o", workspace.path + "/demo.ovseg.json"])
        try #require(original.status == 0, "\(original.stderr)")

        let fromPth = try counts(workspace.path + "/pth.ovseg.json")
        #expect(fromPth.rows.joined().reduce(0, +) == 2 * 64 * 64)
        #expect(fromPth.predictions.count == 2)
        #expect(try counts(workspace.path + "/st.ovseg.json") == fromPth)
        #expect(try counts(workspace.path + "/demo.ovseg.json") == fromPth)
        let predictions = try files(workspace.path + "/p1")
        #expect(predictions.count == 2)
        #expect(try files(workspace.path + "/p2") == predictions)
        #expect(try files(workspace.path + "/p3") == predictions)
        let provenance = try #require(try json(workspace.path + "/pth.ovseg.json")["provenance"] as? [String: Any])
        let config = try #require(provenance["config"] as? [String: String])
        #expect(config["architecture"] == "sgseg")

        // Without the settings it cannot derive, the .pth is refused naming the option; nothing written.
        let refused = try CLI.run(base + ["--checkpoint", pth, "-o", workspace.path + "/refused.ovseg.json"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(pth) && refused.stderr.contains("--vision-heads"), "\(refused.stderr)")
        #expect(!workspace.exists("refused.ovseg.json"))
        // The .pth settings are refused for a safetensors checkpoint, which records them.
        let misplaced = try CLI.run(base + ["--checkpoint", converted, "--pad-len", "8", "-o", workspace.path + "/m.ovseg.json"])
        #expect(misplaced.status == 2)
        #expect(misplaced.stderr.contains("--pad-len"), "\(misplaced.stderr)")
        #expect(!workspace.exists("m.ovseg.json"))
    }

    /// A plain CLIP whose text tower has the real vocabulary (the text tower of the embed fixture,
    /// the vision tower of the training-free fixture), saved as a `.pth` in Hugging Face names as
    /// open_clip's trainer wraps a state dict (`{"state_dict": {"module.…": …}}`), F16.
    func plainCLIPPth(_ workspace: Workspace) throws -> String {
        let text = try SafeTensorsFile(path: testsFile("CLITests/Fixtures/clip_text_vocab49408_f16.safetensors"))
        let vision = try SafeTensorsFile(path: testsFile("TrainingFreeTests/Fixtures/clip_tiny.safetensors"))
        let merged = try SafeTensorsFile(bytes: try mergedSafeTensors(
            [(text, { $0.hasPrefix("text_") }), (vision, { $0.hasPrefix("vision_model.") || $0 == "visual_projection.weight" })],
            metadata: [:]))
        let path = workspace.path + "/clip.pt"
        try Data(try TorchSaveWriter.bytes(of: merged, wrapper: "state_dict", keyPrefix: "module.")).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `--mode auto` picks training-free for a CLIP `.pth`; the run equals the one on its conversion.
    @Test func trainingFreeEvalOnPthEqualsEvalOnItsConversion() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let pth = try plainCLIPPth(workspace)
        let settings = ["--hidden-act", "quick_gelu", "--vision-heads", "2", "--text-heads", "2"]
        let base = ["eval", "--vocab", "potsdam", "--data", data, "--quiet", "--long-side", "48", "--crop", "32", "--stride", "16",
                    "--template", "a photo of a {}."]
        let direct = try CLI.run(
            base + ["--checkpoint", pth, "--save-predictions", workspace.path + "/p1", "-o", workspace.path + "/pth.ovseg.json"] + settings)
        try #require(direct.status == 0, "\(direct.stderr)")
        let converted = workspace.path + "/clip.safetensors"
        let convert = try CLI.run(["convert", pth, "-o", converted] + settings)
        try #require(convert.status == 0, "\(convert.stderr)")
        #expect(convert.stdout.contains("clip"))
        let viaFile = try CLI.run(
            base + ["--checkpoint", converted, "--save-predictions", workspace.path + "/p2", "-o", workspace.path + "/st.ovseg.json"])
        try #require(viaFile.status == 0, "\(viaFile.stderr)")
        let fromPth = try counts(workspace.path + "/pth.ovseg.json")
        #expect(fromPth.rows.joined().reduce(0, +) == 2 * 64 * 64)
        #expect(try counts(workspace.path + "/st.ovseg.json") == fromPth)
        let predictions = try files(workspace.path + "/p1")
        #expect(predictions.count == 2)
        #expect(try files(workspace.path + "/p2") == predictions)
        let config = try #require((try json(workspace.path + "/pth.ovseg.json")["provenance"] as? [String: Any])?["config"] as? [String: String])
        #expect(config["architecture"] == "training-free CLIP (SegEarth-OV recipe)")

        // The activation is stated nowhere in a .pth: refused, naming --hidden-act; nothing written.
        for mode in [["--mode", "training-free"], []] {
            let refused = try CLI.run(
                base + mode + ["--checkpoint", pth, "--vision-heads", "2", "--text-heads", "2", "-o", workspace.path + "/r.ovseg.json"])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains(pth) && refused.stderr.contains("--hidden-act"), "\(refused.stderr)")
            #expect(!workspace.exists("r.ovseg.json"))
        }
        // Segmenter-only settings do not apply to a CLIP.
        let misplaced = try CLI.run(base + ["--checkpoint", pth, "--pad-len", "5", "-o", workspace.path + "/r.ovseg.json"] + settings)
        #expect(misplaced.status == 2)
        #expect(misplaced.stderr.contains("--pad-len does not apply to --mode training-free"), "\(misplaced.stderr)")
    }

    /// embed on the committed open_clip `.pth` (open_clip names, packed q/k/v, BF16) and on a CLIP
    /// `.pt` with the real vocabulary writes the same vectors as embed on their conversions.
    @Test func embedOnPthEqualsEmbedOnItsConversion() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let image = try #require(try FileManager.default.contentsOfDirectory(atPath: data + "/images").sorted().first)
        let openCLIP = testsFile("CheckpointConversionTests/Fixtures/open_clip.pth")
        let converted = workspace.path + "/open_clip.safetensors"
        let convert = try CLI.run(["convert", openCLIP, "-o", converted] + Self.tinyCLIPSettings)
        try #require(convert.status == 0, "\(convert.stderr)")
        for extra in [[], ["--dense", "--size", "24"]] {
            let input = ["--image", data + "/images/" + image] + extra
            let direct = try CLI.run(["embed", "--checkpoint", openCLIP, "-o", workspace.path + "/a.npy"] + input + Self.tinyCLIPSettings)
            try #require(direct.status == 0, "\(direct.stderr)")
            let viaFile = try CLI.run(["embed", "--checkpoint", converted, "-o", workspace.path + "/b.npy"] + input)
            try #require(viaFile.status == 0, "\(viaFile.stderr)")
            let a = try Data(contentsOf: URL(fileURLWithPath: workspace.path + "/a.npy"))
            #expect(a.count > 128)
            #expect(a == (try Data(contentsOf: URL(fileURLWithPath: workspace.path + "/b.npy"))), "\(extra)")
        }
        let refused = try CLI.run(
            ["embed", "--checkpoint", openCLIP, "--image", data + "/images/" + image, "--vision-heads", "2", "--text-heads", "2",
             "-o", workspace.path + "/r.npy"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(openCLIP) && refused.stderr.contains("--hidden-act"), "\(refused.stderr)")
        #expect(!workspace.exists("r.npy"))

        let pth = try plainCLIPPth(workspace)
        let settings = ["--hidden-act", "quick_gelu", "--vision-heads", "2", "--text-heads", "2"]
        let clip = workspace.path + "/clip.safetensors"
        try #require(try CLI.run(["convert", pth, "-o", clip] + settings).status == 0)
        let direct = try CLI.run(["embed", "--checkpoint", pth, "--vocab", "potsdam", "-o", workspace.path + "/t1.npy"] + settings)
        try #require(direct.status == 0, "\(direct.stderr)")
        let viaFile = try CLI.run(["embed", "--checkpoint", clip, "--vocab", "potsdam", "-o", workspace.path + "/t2.npy"])
        try #require(viaFile.status == 0, "\(viaFile.stderr)")
        #expect(direct.stdout == viaFile.stdout)
        let t1 = try Data(contentsOf: URL(fileURLWithPath: workspace.path + "/t1.npy"))
        #expect(t1.count > 6 * 8 * 4)
        #expect(t1 == (try Data(contentsOf: URL(fileURLWithPath: workspace.path + "/t2.npy"))))
    }

    /// Every conversion setting an error can name is an option of convert and eval, and the CLIP
    /// ones of embed: the hint printed with the error is a flag the user can give.
    @Test func conversionSettingHintsAreOptionsOfEveryCommandReadingAPth() {
        for setting in ConversionSetting.allCases {
            let flag = OptionHints.option(for: setting)
            #expect(Convert.helpMessage().contains(flag + " "), "\(flag)")
            #expect(Eval.helpMessage().contains(flag + " "), "\(flag)")
            #expect(Embed.helpMessage().contains(flag + " "), "\(flag)")
        }
    }
}
