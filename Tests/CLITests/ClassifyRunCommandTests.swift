import CLIP
import Evaluation
import Foundation
import Hashing
import ParityTestSupport
import SafeTensors
import Testing
import Vocabulary

/// A fixture of another test target, read from the source tree.
private func sourceFixture(_ target: String, _ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("\(target)/Fixtures/\(name)").path
}

@Suite("ovseg classify run", .serialized)
struct ClassifyRunCommandTests {
    /// A plain CLIP with the real 49 408-token text tower (CLITests fixture) and the tiny vision
    /// tower of the training-free fixture, both projecting to 8 dimensions.
    func plainCLIP(_ workspace: Workspace) throws -> String {
        let text = try SafeTensorsFile(path: sourceFixture("CLITests", "clip_text_vocab49408_f16.safetensors"))
        let vision = try SafeTensorsFile(path: sourceFixture("TrainingFreeTests", "clip_tiny.safetensors"))
        let bytes = try mergedSafeTensors(
            [(text, { $0.hasPrefix("text_") }), (vision, { $0.hasPrefix("vision_model.") || $0 == "visual_projection.weight" })],
            metadata: [
                "format": "pt", "sgseg.clip.text_heads": "2", "sgseg.clip.vision_heads": "2", "sgseg.clip.hidden_act": "quick_gelu",
            ])
        let path = workspace.path + "/clip.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The zero-shot fixture images, two of them in a subfolder.
    func images(_ workspace: Workspace) throws -> String {
        let folder = workspace.path + "/images"
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        for (name, target) in [("scene_a.png", "b.png"), ("scene_b.png", "sub/a.png"), ("scene_d.png", "sub/c.png")] {
            try FileManager.default.copyItem(atPath: sourceFixture("EvaluationTests", "zeroshot/\(name)"), toPath: folder + "/" + target)
        }
        return folder
    }

    /// With a scene vocabulary and --gt, the predictions are scored as `classify score` scores
    /// them: the results file's top-1 accuracy is the share of images whose highest score is their
    /// label (recomputed here from the predictions file), and a semantic vocabulary is refused.
    @Test func scoresAgainstLabelsWithASceneVocabulary() throws {
        let workspace = try Workspace()
        let checkpoint = try plainCLIP(workspace)
        let folder = try images(workspace)
        let labels = workspace.path + "/labels.csv"
        let truth = ["b.png": "airport", "sub/a.png": "beach", "sub/c.png": "airport"]
        try Data(("image,label\n" + truth.keys.sorted().map { "\($0),\(truth[$0]!)\n" }.joined()).utf8)
            .write(to: URL(fileURLWithPath: labels))
        let output = workspace.path + "/predictions.json", results = workspace.path + "/run.ovseg.json"
        let outcome = try CLI.run(["classify", "run", "--vocab", "whu-rs19", "--images", folder, "--checkpoint", checkpoint,
                                   "-o", output, "--gt", labels, "--results", results, "--quiet"])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any])
        #expect(document["vocabulary"] as? String == "whu-rs19")
        let classes = try #require(document["classes"] as? [String])
        let rows = try #require(document["predictions"] as? [[String: Any]])
        var correct = 0
        for row in rows {
            let id = try #require(row["image"] as? String)
            let scores = try #require(row["scores"] as? [Double])
            let best = try #require(scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) })
            if classes[best] == truth[id] { correct += 1 }
        }
        let run = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as? [String: Any])
        #expect(run["kind"] as? String == "scene-classification")
        let metrics = try #require(run["metrics"] as? [String: Any])
        #expect(metrics["accuracy"] as? Double == Double(correct) / 3, "\(metrics)")

        let semantic = try CLI.run(["classify", "run", "--vocab", "potsdam", "--images", folder, "--checkpoint", checkpoint,
                                    "-o", workspace.path + "/p2.json", "--gt", labels, "--results", workspace.path + "/r2.json"])
        #expect(semantic.status == 2)
        #expect(semantic.stderr.contains("scene vocabulary"), "\(semantic.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/p2.json"))
    }

    /// The file follows the interchange format and holds what the library computes, with the
    /// vocabulary's names and synonyms, the given templates and the checkpoint's SHA-256.
    @Test func writesTheScenePredictionsOfTheLibrary() throws {
        let workspace = try Workspace()
        let checkpoint = try plainCLIP(workspace)
        let folder = try images(workspace)
        let output = workspace.path + "/predictions.json"
        let templates = ["a photo of a {}.", "an aerial image of {}."]
        let outcome = try CLI.run(["classify", "run", "--vocab", "potsdam", "--images", folder, "--checkpoint", checkpoint,
                                   "--template", templates[0], "--template", templates[1], "-o", output])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any])
        #expect(document["schema"] as? String == "ovseg.scene-predictions")
        #expect(document["schema_version"] as? Int == 1)
        #expect(document["vocabulary"] as? String == "potsdam")
        let vocabulary = try Vocabulary.resolve("potsdam")
        #expect(document["classes"] as? [String] == vocabulary.classes.map(\.name))
        let provenance = try #require(document["provenance"] as? [String: Any])
        #expect(provenance["templates"] as? [String] == templates)
        #expect(provenance["checkpoint_sha256"] as? String == SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpoint)))))
        #expect(provenance["vocabulary_fingerprint"] as? String == vocabulary.fingerprint)

        let classifier = try ZeroShotClassifier(
            checkpoint: ModelCheckpoint(path: checkpoint),
            classes: vocabulary.classes.map { ZeroShotClass(label: $0.name, synonyms: $0.synonyms) }, templates: templates)
        let predictions = try #require(document["predictions"] as? [[String: Any]])
        #expect(predictions.map { $0["image"] as? String } == ["b.png", "sub/a.png", "sub/c.png"])
        for row in predictions {
            let id = try #require(row["image"] as? String)
            let expected = try classifier.classify(path: folder + "/" + id, id: id)
            // The test process may run OpenBLAS's kernels: equal up to float rounding, same ranking.
            let scores = try #require(row["scores"] as? [Double])
            #expect(scores.count == expected.scores.count)
            #expect(zip(scores, expected.scores).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(id): \(scores) vs \(expected.scores)")
            #expect(ZeroShotPrediction(image: id, scores: scores).ranking == expected.ranking, "\(id)")
        }
    }

    /// Bad input: one clear line, exit code 2, no file written.
    @Test func refusesBadInput() throws {
        let workspace = try Workspace()
        let checkpoint = try plainCLIP(workspace)
        let folder = try images(workspace)
        let empty = workspace.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/sub/broken.png"))
        let textOnly = sourceFixture("CLITests", "clip_text_vocab49408_f16.safetensors")
        let cases: [([String], String)] = [
            (["--images", empty, "--checkpoint", checkpoint], "holds no images"),
            (["--images", folder, "--checkpoint", checkpoint], "broken.png"),
            (["--images", folder, "--checkpoint", textOnly], "no vision tower"),
            (["--images", folder, "--checkpoint", checkpoint, "--template", "no placeholder"], "'{}'"),
            (["--images", folder, "--checkpoint", workspace.path + "/missing.safetensors"], "missing.safetensors"),
        ]
        for (arguments, words) in cases {
            let outcome = try CLI.run(["classify", "run", "--vocab", "potsdam", "-o", workspace.path + "/p.json"] + arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
            #expect(outcome.stderr.contains(words), "\(arguments): \(outcome.stderr)")
            #expect(!workspace.exists("p.json"))
        }
    }
}
