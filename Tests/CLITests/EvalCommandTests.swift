import CLIP
import CLIPTokenizer
import Harness
import Foundation
import LabelMaps
import ParityTestSupport
import SafeTensors
import Segmenter
import Testing
import TrainingFree
import Vocabulary

/// The committed synthetic SGSeg checkpoint (Demo/README.md), read from the source tree.
private let demoCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path

/// A fixture of another test target, read from the source tree.
private func fixture(_ target: String, _ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("\(target)/Fixtures/\(name)").path
}

private func json(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

@Suite("ovseg eval", .serialized)
struct EvalCommandTests {
    /// Two synthetic 64² tiles (images/ and gt/) without running the model in the demo itself.
    func tiles(_ workspace: Workspace) throws -> String {
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        return workspace.path + "/d"
    }

    /// A copy of the demo checkpoint with tensors dropped or metadata replaced.
    func damagedCheckpoint(
        _ workspace: Workspace, dropping: @escaping (String) -> Bool = { _ in false },
        metadata edit: (inout [String: String]) -> Void = { _ in }
    ) throws -> String {
        let file = try SafeTensorsFile(path: demoCheckpoint)
        var metadata = file.metadata
        edit(&metadata)
        let path = workspace.path + "/damaged.safetensors"
        try Data(try rebuiltSafeTensors(file, dropping: dropping, metadata: metadata)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func resumeReusesSavedPredictionsAndRefusesAnotherRun() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let pred = workspace.path + "/pred"
        let eval = ["eval", "--vocab", "potsdam", "--data", data, "--save-predictions", pred]
        let whole = try CLI.run(eval + ["--checkpoint", demoCheckpoint, "-o", workspace.path + "/whole.ovseg.json"])
        try #require(whole.status == 0, "\(whole.stderr)")
        // Killed after the first image, in the middle of the second journal line.
        let journal = pred + "/.ovseg-eval-journal.jsonl"
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 2)
        try (lines[0] + "\n" + lines[1].prefix(30)).write(toFile: journal, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: pred + "/tile_0001.png")

        let resumed = try CLI.run(
            eval + ["--checkpoint", demoCheckpoint, "--resume", "-o", workspace.path + "/resumed.ovseg.json"])
        try #require(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("reused 1 of 2 images"))
        let a = try json(workspace.path + "/whole.ovseg.json"), b = try json(workspace.path + "/resumed.ovseg.json")
        #expect((a["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]] != nil)
        #expect((a["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]] == (b["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]])
        let images = { (run: [String: Any]) in
            try JSONSerialization.data(withJSONObject: run["images"] ?? [], options: [.sortedKeys])
        }
        #expect(try images(a) == images(b))

        let template = try CLI.run(
            eval + ["--checkpoint", demoCheckpoint, "--resume", "--template", "{}", "-o", workspace.path + "/t.ovseg.json"])
        #expect(template.status != 0)
        #expect(template.stderr.contains("another configuration"))
        let other = try damagedCheckpoint(workspace, metadata: { $0["note"] = "another file" })
        let checkpoint = try CLI.run(eval + ["--checkpoint", other, "--resume", "-o", workspace.path + "/c.ovseg.json"])
        #expect(checkpoint.status != 0)
        #expect(checkpoint.stderr.contains("another checkpoint"))
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/c.ovseg.json"))
        let noFolder = try CLI.run(
            ["eval", "--vocab", "potsdam", "--data", data, "--checkpoint", demoCheckpoint, "--resume", "-o", workspace.path + "/n.ovseg.json"])
        #expect(noFolder.status != 0)
        #expect(noFolder.stderr.contains("--save-predictions"))
    }

    @Test func savedPredictionsRescoreToTheSameCountsAndHashes() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let evalRun = workspace.path + "/eval.ovseg.json"
        let eval = try CLI.run([
            "eval", "--vocab", "potsdam", "--split", "dlrsd-overlap", "--data", data, "--checkpoint", demoCheckpoint,
            "--save-predictions", workspace.path + "/pred", "-o", evalRun,
        ])
        try #require(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("hIoU"))
        #expect(eval.stdout.contains("collapse:"))
        let scoreRun = workspace.path + "/score.ovseg.json"
        let score = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", data + "/gt", "--pred", workspace.path + "/pred", "-o", scoreRun,
        ])
        try #require(score.status == 0, "\(score.stderr)")
        let evaluated = try json(evalRun)
        let scored = try json(scoreRun)
        let evaluatedMatrix = try #require(evaluated["confusion_matrix"] as? [String: Any])
        let scoredMatrix = try #require(scored["confusion_matrix"] as? [String: Any])
        #expect(evaluatedMatrix["rows"] as? [[Int]] == scoredMatrix["rows"] as? [[Int]])
        let hashes = { (run: [String: Any]) in
            (run["images"] as? [[String: Any]])?.map { "\($0["id"] ?? "")=\($0["prediction_sha256"] ?? "")" }
        }
        #expect(hashes(evaluated) != nil)
        #expect(hashes(evaluated) == hashes(scored))
        let rows = try #require(evaluatedMatrix["rows"] as? [[Int]])
        #expect(rows.joined().reduce(0, +) > 0)

        let provenance = try #require(evaluated["provenance"] as? [String: Any])
        let sha = try #require(provenance["checkpoint_sha256"] as? String)
        #expect(sha.count == 64 && sha.allSatisfy(\.isHexDigit))
        let config = try #require(provenance["config"] as? [String: String])
        #expect(config["architecture"] == "sgseg")
        #expect(config["inference"] == "sliding")
        #expect(config["templates"] == "A photo of a {} in the scene")
    }

    /// The model's output does not depend on the thread count, in either arithmetic: the saved
    /// predictions of the demo model at 1, 2 and 3 threads are the same bytes, and the results
    /// file records what decided them.
    @Test func predictionsAreIdenticalAtEveryThreadCount() throws {
        let workspace = try Workspace()
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "160", "--skip-model"])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        for arithmetic in ["reproducible", "openblas"] {
            var saved: [[String: Data]] = []
            for jobs in [1, 2, 3] {
                let folder = workspace.path + "/pred-\(arithmetic)-\(jobs)", run = folder + ".ovseg.json"
                let eval = try CLI.run([
                    "eval", "--vocab", "potsdam", "--data", workspace.path + "/d", "--checkpoint", demoCheckpoint,
                    "--jobs", "\(jobs)", "--arithmetic", arithmetic, "--save-predictions", folder, "-o", run,
                ])
                try #require(eval.status == 0, "\(eval.stderr)")
                // The PNGs only: eval's resume journal beside them is not a prediction.
                let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }.sorted()
                saved.append(Dictionary(uniqueKeysWithValues: try files.map {
                    ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
                }))
                let provenance = try #require(try json(run)["provenance"] as? [String: Any])
                let numerics = try #require(provenance["numerics"] as? [String: Any])
                #expect(numerics["arithmetic"] as? String == arithmetic)
                #expect(numerics["threads"] as? Int == jobs && provenance["threads"] as? Int == jobs)
                #expect((numerics["instruction_set"] as? String)?.hasPrefix("x86-64-v") == true)
                #expect(!(numerics["cpu"] as? String ?? "").isEmpty && !(numerics["kernel"] as? String ?? "").isEmpty)
            }
            #expect(saved[0].count == 2)
            #expect(saved[0] == saved[1], "\(arithmetic): 1 and 2 threads differ")
            #expect(saved[0] == saved[2], "\(arithmetic): 1 and 3 threads differ")
        }
    }

    /// A long run in a log (stderr not a terminal: Slurm, nohup, CI) says what it is doing: its
    /// phases, then plain progress lines (every OVSEG_PROGRESS_SECONDS, here 0 so that each image
    /// prints one); --quiet prints none of it; a wrong dataset fails before the model loads.
    @Test func phasesAndProgressLinesWhenNotOnATerminal() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let base = ["eval", "--vocab", "potsdam", "--data", data, "--checkpoint", demoCheckpoint]
        let run = try CLI.run(base + ["-o", workspace.path + "/r.ovseg.json"], environment: ["OVSEG_PROGRESS_SECONDS": "0"])
        try #require(run.status == 0, "\(run.stderr)")
        for expected in ["eval: loading", "for 2 images", "eval: embedding 6 classes", "eval: hashing",
                         "evaluating: 1/2 images (50 %)", "evaluating: 2/2 images (100 %)", "evaluating: done in"] {
            #expect(run.stderr.contains(expected), "missing \(expected) in \(run.stderr)")
        }
        let quiet = try CLI.run(base + ["--quiet", "-o", workspace.path + "/q.ovseg.json"], environment: ["OVSEG_PROGRESS_SECONDS": "0"])
        try #require(quiet.status == 0, "\(quiet.stderr)")
        #expect(!quiet.stderr.contains("eval:") && !quiet.stderr.contains("evaluating:"), "\(quiet.stderr)")
        // Short runs with the default interval print no progress lines.
        let short = try CLI.run(base + ["-o", workspace.path + "/s.ovseg.json"])
        #expect(!short.stderr.contains("evaluating:"), "\(short.stderr)")
        try FileManager.default.removeItem(atPath: data + "/gt")
        let broken = try CLI.run(base + ["-o", workspace.path + "/b.ovseg.json"])
        #expect(broken.status == 2)
        #expect(!broken.stderr.contains("eval: loading"), "the dataset is checked before the model loads: \(broken.stderr)")
    }

    /// The demo gate's committed baseline of the segmentation core equals the PyTorch reference's
    /// scores stored in the checkpoint (`sgseg.demo.eval`, computed by scripts/make_demo_checkpoint.py).
    @Test func demoBaselineEqualsThePyTorchReference() throws {
        let metadata = try SafeTensorsFile(path: demoCheckpoint).metadata
        let reference = try #require(
            try JSONSerialization.jsonObject(with: Data((metadata["sgseg.demo.eval"] ?? "").utf8)) as? [String: Any])
        let referenceIoU = try #require(reference["iou"] as? [String: Double])
        let baseline = URL(fileURLWithPath: demoCheckpoint).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Reports/demo/results/sgseg-demo.ovseg.json").path
        let classes = try #require(try json(baseline)["classes"] as? [[String: Any]])
        #expect(classes.count == referenceIoU.count)
        for entry in classes {
            let name = try #require(entry["name"] as? String)
            let iou = try #require(entry["iou"] as? Double)
            let expected = try #require(referenceIoU[name], "\(name) missing from sgseg.demo.eval")
            #expect(abs(iou * 100 - expected) <= 0.005, "\(name): ovseg \(iou * 100), PyTorch reference \(expected)")
        }
    }

    @Test func imageAndGroundTruthOfDifferentSizesAreRefused() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let stem = try #require(try FileManager.default.contentsOfDirectory(atPath: data + "/images").sorted().first)
        let pixels = [UInt8](repeating: 90, count: 40 * 30 * 3)
        try LabelMapWriter.writeRGB(width: 40, height: 30, pixels: pixels, to: data + "/images/" + stem)
        let outcome = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", data, "--checkpoint", demoCheckpoint, "-o", workspace.path + "/r.ovseg.json",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(stem))
        #expect(outcome.stderr.contains("40×30"))
        #expect(outcome.stderr.contains("64×64"))
        #expect(!workspace.exists("r.ovseg.json"))
    }

    @Test func unsupportedBackboneIsRefusedByName() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let checkpoint = try damagedCheckpoint(workspace, metadata: { $0["sgseg.backbone"] = "convnext" })
        let outcome = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", data, "--checkpoint", checkpoint, "-o", workspace.path + "/r.ovseg.json",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("convnext"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("sgseg.backbone"), "\(outcome.stderr)")
    }

    @Test func missingTensorIsNamed() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let key = "sem_seg_head.predictor.transformer.decoder1.conv.double_conv.0.weight"
        #expect(try SafeTensorsFile(path: demoCheckpoint).names.contains(key))
        let checkpoint = try damagedCheckpoint(workspace, dropping: { $0 == key })
        let outcome = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", data, "--checkpoint", checkpoint, "-o", workspace.path + "/r.ovseg.json",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(key), "\(outcome.stderr)")
    }

    @Test func unknownOptionValuesAreRefused() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let base = ["eval", "--vocab", "potsdam", "--data", data, "--checkpoint", demoCheckpoint, "-o", workspace.path + "/r.ovseg.json"]
        let cases: [([String], String)] = [
            (["--inference", "diagonal"], "diagonal"),
            (["--mode", "maskformer"], "maskformer"),
            (["--mode", "catseg"], "sgseg checkpoint"),
            (["--pooling", "3"], "pooling"),
            (["--shortest-edge", "0"], "'0' is invalid for '--shortest-edge"),
        ]
        for (extra, needle) in cases {
            let outcome = try CLI.run(base + extra)
            #expect(outcome.status != 0, "\(extra)")
            #expect(outcome.stderr.contains(needle), "\(extra): \(outcome.stderr)")
        }
        #expect(!workspace.exists("r.ovseg.json"))
    }

    /// A plain Hugging Face CLIP whose text tower has the real 49 408-token vocabulary: the text
    /// tower of the embed fixture and the vision tower of the training-free fixture (both project
    /// to 8 dimensions).
    func plainCLIP(_ workspace: Workspace) throws -> String {
        let text = try SafeTensorsFile(path: fixture("CLITests", "clip_text_vocab49408_f16.safetensors"))
        let vision = try SafeTensorsFile(path: fixture("TrainingFreeTests", "clip_tiny.safetensors"))
        let bytes = try mergedSafeTensors(
            [(text, { $0.hasPrefix("text_") }), (vision, { $0.hasPrefix("vision_model.") || $0 == "visual_projection.weight" })],
            metadata: [
                "format": "pt", "sgseg.clip.text_heads": "2", "sgseg.clip.vision_heads": "2", "sgseg.clip.hidden_act": "quick_gelu",
            ])
        let path = workspace.path + "/clip.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `--mode auto` picks training-free for a plain CLIP; the saved labels are what the library
    /// computes with the vocabulary's names and synonyms and SegEarth-OV's Potsdam preset.
    @Test func trainingFreeModeRunsTheLibraryWithThePreset() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let checkpoint = try plainCLIP(workspace)
        let run = workspace.path + "/tf.ovseg.json"
        let outcome = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", data, "--checkpoint", checkpoint, "--template", "a photo of a {}.",
            "--template", "an aerial image of {}.", "--long-side", "48", "--crop", "32", "--stride", "16",
            "--save-predictions", workspace.path + "/pred", "-o", run,
        ])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let config = try #require((try json(run)["provenance"] as? [String: Any])?["config"] as? [String: String])
        #expect(config["preset"] == "SegEarth-OV potsdam")
        #expect(config["probability_threshold"] == "0.1")
        #expect(config["background"] == "clutter/background")
        #expect(config["attention"] == "segearth")
        #expect(config["long_side"] == "48" && config["crop"] == "32" && config["stride"] == "16")
        #expect(config["queries"]?.contains("impervious surfaces/impervious surface/road/parking lot") == true)

        let vocabulary = try Vocabulary.load(key: "potsdam")
        var settings = try #require(TrainingFreeSettings.preset(vocabulary: "potsdam"))
        settings.longSide = 48
        settings.crop = 32
        settings.stride = 16
        let segmenter = try TrainingFreeSegmenter(model: try CLIPModel(file: SafeTensorsFile(path: checkpoint)), settings: settings)
        let queries = try segmenter.queries(
            synonyms: vocabulary.classes.map(\.allNames), templates: ["a photo of a {}.", "an aerial image of {}."],
            tokenizer: try CLIPTokenizer())
        let images = try FileManager.default.contentsOfDirectory(atPath: data + "/images").sorted()
        #expect(images.count == 2)
        for name in images {
            let image = try RGBImage.read(path: data + "/images/" + name)
            let expected = try segmenter.predict(image: image.pixels, height: image.height, width: image.width, queries: queries)
            let saved = try LabelMapReader.read(path: workspace.path + "/pred/" + name, colors: nil)
            #expect(saved.values == expected, "\(name)")
        }
    }

    /// A Hugging Face CLIP is always `model.safetensors`; the run is named after its folder, so two
    /// checkpoints do not both become `model` in a report.
    @Test func huggingFaceModelFileIsNamedAfterItsFolder() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let folder = workspace.path + "/clip-vit-tiny"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: try plainCLIP(workspace), toPath: folder + "/model.safetensors")
        let run = workspace.path + "/tf.ovseg.json"
        let outcome = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", data, "--checkpoint", folder + "/model.safetensors",
            "--template", "a photo of a {}.", "--long-side", "48", "--crop", "32", "--stride", "16", "-o", run,
        ])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        #expect(try json(run)["method"] as? String == "clip-vit-tiny")
    }

    /// `--checkpoint` takes a Hugging Face folder; a config.json beside the weights is read, and
    /// one that contradicts them stops the run (exit 2, naming the file and key, nothing written).
    @Test func huggingFaceFolderIsACheckpoint() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let folder = workspace.path + "/clip-vit-tiny"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: try plainCLIP(workspace), toPath: folder + "/model.safetensors")
        let run = workspace.path + "/tf.ovseg.json"
        let arguments = [
            "eval", "--vocab", "potsdam", "--data", data, "--checkpoint", folder,
            "--template", "a photo of a {}.", "--long-side", "48", "--crop", "32", "--stride", "16", "-o", run,
        ]
        let outcome = try CLI.run(arguments)
        try #require(outcome.status == 0, "\(outcome.stderr)")
        #expect(try json(run)["method"] as? String == "clip-vit-tiny")
        let provenance = try #require(try json(run)["provenance"] as? [String: Any])
        let fileHash = try Fingerprint.sha256(path: folder + "/model.safetensors")
        #expect(provenance["checkpoint_sha256"] as? String == fileHash)
        try FileManager.default.removeItem(atPath: run)

        // A config.json that states the weights' sizes: the run hashes the list of both files.
        let model = try CLIPModel(file: SafeTensorsFile(path: folder + "/model.safetensors"))
        let text = try #require(model.text).configuration, vision = try #require(model.vision).configuration
        let config: [String: Any] = [
            "model_type": "clip", "projection_dim": try #require(text.projectionSize),
            "text_config": [
                "hidden_size": text.width, "intermediate_size": text.intermediateSize, "num_hidden_layers": text.layers,
                "num_attention_heads": text.heads, "vocab_size": text.vocabularySize,
                "max_position_embeddings": text.maxPositions, "hidden_act": "quick_gelu",
            ],
            "vision_config": [
                "hidden_size": vision.width, "intermediate_size": vision.intermediateSize, "num_hidden_layers": vision.layers,
                "num_attention_heads": vision.heads, "patch_size": vision.patchSize, "image_size": vision.nativeImageSize,
                "hidden_act": "quick_gelu",
            ],
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder + "/config.json"))
        try #require(try CLI.run(arguments).status == 0)
        let listing = "\(try Fingerprint.sha256(path: folder + "/config.json"))  config.json\n\(fileHash)  model.safetensors\n"
        let withConfig = try #require(try json(run)["provenance"] as? [String: Any])
        #expect(withConfig["checkpoint_sha256"] as? String == Fingerprint.sha256(Array(listing.utf8)))
        try FileManager.default.removeItem(atPath: run)

        try Data(#"{"model_type": "clip"}"#.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        let refused = try CLI.run(arguments)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(folder + "/config.json: text_config.hidden_size says 512"), "\(refused.stderr)")
        #expect(!workspace.exists("tf.ovseg.json"))
    }

    @Test func trainingFreeOptionsAreCheckedAgainstTheCheckpoint() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let clip = try plainCLIP(workspace)
        let base = ["eval", "--vocab", "potsdam", "--data", data, "-o", workspace.path + "/r.ovseg.json"]
        let cases: [([String], String)] = [
            (["--checkpoint", demoCheckpoint, "--mode", "training-free"], "needs a plain CLIP checkpoint"),
            (["--checkpoint", clip, "--pooling", "2"], "--pooling does not apply to --mode training-free"),
            (["--checkpoint", demoCheckpoint, "--threshold", "0.2"], "--threshold does not apply to --mode sgseg or catseg"),
            (["--checkpoint", clip, "--attention", "dino"], "'dino' is invalid for '--attention"),
            (["--checkpoint", clip, "--background", "lake"], "--background: lake is neither"),
            (["--checkpoint", clip, "--crop", "100", "--stride", "200"], "stride 200 must be between 1 and the crop 100"),
            (["--checkpoint", clip, "--mode", "sgseg"], clip),
        ]
        for (extra, needle) in cases {
            let outcome = try CLI.run(base + extra)
            #expect(outcome.status != 0, "\(extra)")
            #expect(outcome.stderr.contains(needle), "\(extra): \(outcome.stderr)")
        }
        #expect(!workspace.exists("r.ovseg.json"))
    }

    /// The scene-bias ablation runs and is recorded; the live text bias names what the checkpoint lacks.
    @Test func sceneBiasAblationAndLiveTextBiasVariant() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let base = ["eval", "--vocab", "potsdam", "--data", data, "--checkpoint", demoCheckpoint]
        let withBias = try CLI.run(base + ["-o", workspace.path + "/bias.ovseg.json"])
        let ablation = try CLI.run(base + ["--no-scene-bias", "-o", workspace.path + "/ablation.ovseg.json"])
        try #require(withBias.status == 0 && ablation.status == 0, "\(withBias.stderr) \(ablation.stderr)")
        let config = { (name: String) throws -> [String: String] in
            try #require((try json(workspace.path + "/" + name)["provenance"] as? [String: Any])?["config"] as? [String: String])
        }
        #expect(try config("bias.ovseg.json")["bias"] == "memory")
        #expect(try config("ablation.ovseg.json")["bias"]?.hasPrefix("none (the checkpoint's scene bias switched off") == true)
        let matrix = { (name: String) throws -> [[Int]]? in
            (try json(workspace.path + "/" + name)["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]]
        }
        #expect(try matrix("bias.ovseg.json") != matrix("ablation.ovseg.json"), "switching the bias off changes predictions")

        let live = try CLI.run(base + ["--live-text-bias", "-o", workspace.path + "/live.ovseg.json"])
        #expect(live.status == 2)
        #expect(live.stderr.contains("feature_fusion_layer"), "\(live.stderr)")
        let both = try CLI.run(base + ["--live-text-bias", "--no-scene-bias", "-o", workspace.path + "/live.ovseg.json"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("the live text bias needs the scene bias"), "\(both.stderr)")
    }

    /// Naming conventions are stripped before matching; eval has no --skip-* or --pred-* options.
    @Test func suffixesMatchAndSkipOptionsAreRefused() throws {
        let workspace = try Workspace()
        let data = try tiles(workspace)
        let manager = FileManager.default
        for name in try manager.contentsOfDirectory(atPath: data + "/gt") {
            let stem = (name as NSString).deletingPathExtension
            try manager.moveItem(atPath: data + "/gt/" + name, toPath: data + "/gt/" + stem + "_label.png")
        }
        for name in try manager.contentsOfDirectory(atPath: data + "/images") {
            let stem = (name as NSString).deletingPathExtension
            try manager.moveItem(atPath: data + "/images/" + name, toPath: data + "/images/" + stem + "_RGB.png")
        }
        let base = ["eval", "--vocab", "potsdam", "--data", data, "--checkpoint", demoCheckpoint, "--jobs", "1"]
        let unmatched = try CLI.run(base + ["-o", workspace.path + "/r.ovseg.json"])
        #expect(unmatched.status == 2)
        #expect(unmatched.stderr.contains("have no image"), "\(unmatched.stderr)")
        let matched = try CLI.run(base + ["--gt-suffix", "_label", "--pred-suffix", "_RGB", "-o", workspace.path + "/r.ovseg.json"])
        #expect(matched.status == 0, "\(matched.stderr)")
        let images = try #require(try json(workspace.path + "/r.ovseg.json")["images"] as? [[String: Any]])
        #expect(images.compactMap { $0["id"] as? String }.sorted() == ["tile_0000", "tile_0001"])

        // The options of score that read prediction files do not exist for eval.
        for option in [["--skip-missing"], ["--skip-extra"], ["--skip-size-mismatch"], ["--pred-reduce-zero-label"], ["--pred-offset", "1"]] {
            let refused = try CLI.run(base + option + ["-o", workspace.path + "/s.ovseg.json"])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("Unknown option '\(option[0])'"), "\(refused.stderr)")
        }
        let help = try CLI.run(["eval", "--help"])
        #expect(!help.stdout.contains("--skip-missing") && !help.stdout.contains("--pred-offset <"), "\(help.stdout)")
    }
}
