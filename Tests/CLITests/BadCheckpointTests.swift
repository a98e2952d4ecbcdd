import Foundation
import Testing

/// A file of the source tree, relative to Tests/.
private func testsFile(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(relative).path
}

/// Issue 16, item 6, through the command line: a checkpoint that asks for an unknown global, whose
/// storage record is missing or shorter than its tensor, a truncated zip, and a config that
/// contradicts the tensor shapes. Each: exit 2, one line naming the file and the key or global,
/// and no output written (an existing output left as it was).
@Suite("Bad checkpoints through the command line", .serialized)
struct BadCheckpointTests {
    let workspace: Workspace
    let data: String

    init() throws {
        workspace = try Workspace()
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "1", "--size", "64", "--skip-model"])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        data = workspace.path + "/d"
    }

    /// Runs `arguments` + `-o OUTPUT` twice, once with no output file and once over an existing one,
    /// and checks the refusal: exit 2, stderr exactly one line holding every word in `words`.
    func expectRefused(_ arguments: [String], output name: String, words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let output = workspace.path + "/" + name
        try? FileManager.default.removeItem(atPath: output)
        for existing in [false, true] {
            if existing { try Data("old".utf8).write(to: URL(fileURLWithPath: output)) }
            let outcome = try CLI.run(arguments + ["-o", output])
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation)
            let lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1, "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation)
            for word in words {
                #expect(outcome.stderr.contains(word), "\(word) not in: \(outcome.stderr)", sourceLocation: sourceLocation)
            }
            if existing {
                #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data("old".utf8), sourceLocation: sourceLocation)
            } else {
                #expect(!FileManager.default.fileExists(atPath: output), "\(arguments)", sourceLocation: sourceLocation)
            }
        }
        try? FileManager.default.removeItem(atPath: output)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.path).filter { $0.hasPrefix(".ovseg-tmp") }
        #expect(leftovers.isEmpty, sourceLocation: sourceLocation)
    }

    func eval(_ checkpoint: String, _ extra: [String] = []) -> [String] {
        ["eval", "--quiet", "--vocab", "potsdam", "--data", data, "--checkpoint", checkpoint] + extra
    }

    @Test func unknownGlobal() throws {
        let pth = testsFile("TorchCheckpointTests/Fixtures/unsafe_system.pth")
        let words = [pth, "'posix.system'", "not on the allow-list"]
        try expectRefused(["convert", pth], output: "out.safetensors", words: words)
        try expectRefused(eval(pth), output: "r.ovseg.json", words: words)
    }

    @Test func missingStorageRecord() throws {
        let pth = testsFile("TorchCheckpointTests/Fixtures/clip_missing_storage.pth")
        let words = [pth, "'visual.conv1.weight'", "'data/0' is missing"]
        try expectRefused(["convert", pth, "--arch", "clip", "--hidden-act", "gelu"], output: "out.safetensors", words: words)
        try expectRefused(eval(pth, ["--hidden-act", "gelu"]), output: "r.ovseg.json", words: words)
        try expectRefused(["embed", "--checkpoint", pth, "--hidden-act", "gelu", "--text", "road"], output: "e.npy", words: words)
    }

    @Test func storageRecordShorterThanItsTensor() throws {
        let pth = testsFile("TorchCheckpointTests/Fixtures/clip_short_storage.pth")
        let words = [pth, "'visual.conv1.weight'", "'data/0' has 100 bytes, the tensor needs 3072"]
        try expectRefused(["convert", pth, "--arch", "clip", "--hidden-act", "gelu"], output: "out.safetensors", words: words)
        try expectRefused(eval(pth, ["--hidden-act", "gelu"]), output: "r.ovseg.json", words: words)
    }

    /// The committed SGSeg fixture cut at several offsets: inside the zip signature, in its first local header, in a storage
    /// record, and inside the central directory and its end record.
    @Test func truncatedZip() throws {
        let source = try Data(contentsOf: URL(fileURLWithPath: testsFile("CheckpointConversionTests/Fixtures/sgseg.pth")))
        let settings = ["--vision-heads", "2", "--text-heads", "2"]
        for cut in [0, 2, 4, 1_000, source.count / 2, source.count - 200, source.count - 10] {
            let pth = workspace.path + "/cut-\(cut).pth"
            try source.prefix(cut).write(to: URL(fileURLWithPath: pth))
            let words = [pth, "truncated or damaged zip archive"]
            try expectRefused(["convert", pth] + settings, output: "out.safetensors", words: words)
            try expectRefused(eval(pth, settings), output: "r.ovseg.json", words: words)
        }
    }

    /// A Hugging Face folder whose config.json states another width, or another depth, than its
    /// weights: named by the config file and the key (`ovseg convert` reads only .pth files, which
    /// carry no config).
    @Test func configContradictingTheTensorShapes() throws {
        let edits: [(String, String, Any, [String])] = [
            ("vision_config", "hidden_size", 32,
             ["vision_config.hidden_size says 32", "vision_model.embeddings.patch_embedding.weight"]),
            ("text_config", "num_hidden_layers", 3, ["text_config.num_hidden_layers says 3", "text_model.encoder.layers"]),
        ]
        for (tower, key, value, words) in edits {
            let folder = workspace.path + "/clip-\(key)"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.copyItem(atPath: testsFile("CLIPTests/Fixtures/hf/b32"), toPath: folder)
            let configPath = folder + "/config.json"
            var config = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
            var section = try #require(config[tower] as? [String: Any])
            section[key] = value
            config[tower] = section
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
            let named = [configPath] + words
            try expectRefused(eval(folder), output: "r.ovseg.json", words: named)
            try expectRefused(
                ["embed", "--checkpoint", folder + "/model.safetensors", "--text", "road"], output: "e.npy", words: named)
        }
    }
}
