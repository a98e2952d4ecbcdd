import Foundation
import Testing
import CLIP
import LabelMaps
import SafeTensors
import Tensor
@testable import ovseg

/// Fixtures of the CLIP tests (tiny random models), read from the source tree.
private func clipFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLIPTests/Fixtures/\(name)").path
}

/// Shape and values of a float32 `.npy` written by `NPY`.
private func readNPY(_ path: String) throws -> (shape: [Int], values: [Float]) {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    let tuple = try #require(header.split(separator: "(").last?.split(separator: ")").first)
    let shape = tuple.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let data = Array(bytes[(10 + headerLength)...])
    let values = stride(from: 0, to: data.count, by: 4).map { i in
        Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
    }
    return (shape, values)
}

@Suite("ovseg embed")
struct EmbedCommandTests {
    let directory = NSTemporaryDirectory() + "ovseg-embed-\(UUID().uuidString)/"
    let rgb: [UInt8] = (0..<(20 * 20 * 3)).map { UInt8(($0 * 37) % 256) }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try LabelMapWriter.writeRGB(width: 20, height: 20, pixels: rgb, to: directory + "image.png")
    }

    /// The file holds exactly what the library computes for the same pixels.
    @Test func imageEmbeddingAndDenseFeatures() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpoint = clipFixture("clip_tiny_vision.safetensors")
        var command = try Embed.parse(["--checkpoint", checkpoint, "--image", directory + "image.png", "-o", directory + "image.npy"])
        try command.run()
        let encoder = try CLIPVisionEncoder(file: SafeTensorsFile(path: checkpoint))
        let pixels16 = try CLIPImagePreprocessing.pixels(rgb: rgb, sourceWidth: 20, sourceHeight: 20, height: 16, width: 16)
        let expected = try #require(try encoder.encode(pixels16).embeddings).l2Normalized()
        let written = try readNPY(directory + "image.npy")
        #expect(written.shape == [1, 12])
        #expect(written.values == expected.scalars)

        command = try Embed.parse(["--checkpoint", checkpoint, "--image", directory + "image.png", "--size", "24", "--dense",
                                   "-o", directory + "dense.npy", "--threads", "1"])
        try command.run()
        let pixels24 = try CLIPImagePreprocessing.pixels(rgb: rgb, sourceWidth: 20, sourceHeight: 20, height: 24, width: 24)
        let dense = try #require(try encoder.encode(pixels24, request: CLIPVisionRequest(dense: .catSeg, pooled: false)).dense)
        let denseWritten = try readNPY(directory + "dense.npy")
        #expect(denseWritten.shape == [6, 6, 12])
        #expect(denseWritten.values == Array(dense.scalars[12...]))
    }

    /// Text and vocabulary embeddings of a tiny CLIP with the real 49408-token
    /// vocabulary (F16 weights) against Hugging Face transformers on the same
    /// weights and open_clip token ids (scripts/fixtures/make_training_free_fixtures.py):
    /// the real tokenizer, the text tower and the template averaging end to end.
    @Test func textAndVocabularyEmbeddingsMatchTransformers() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpoint = try #require(Bundle.module.url(
            forResource: "clip_text_vocab49408_f16", withExtension: "safetensors", subdirectory: "Fixtures")).path
        let expectedURL = try #require(Bundle.module.url(
            forResource: "clip_text_vocab49408_expected", withExtension: "safetensors", subdirectory: "Fixtures"))
        let expected = try SafeTensorsFile(path: expectedURL.path)
        let textsJSON = try #require(expected.metadata["texts"])
        let texts = try JSONDecoder().decode([String].self, from: Data(textsJSON.utf8))
        #expect(texts.count == 3)

        var command = try Embed.parse(["--checkpoint", checkpoint, "--text"] + texts + ["-o", directory + "texts.npy"])
        try command.run()
        let written = try readNPY(directory + "texts.npy")
        #expect(written.shape == [3, 8])
        expectSameRows(written.values, try expected.tensor("texts"), "texts")

        command = try Embed.parse(["--checkpoint", checkpoint, "--vocab", "potsdam", "-o", directory + "potsdam.npy"])
        try command.run()
        let vocabulary = try readNPY(directory + "potsdam.npy")
        #expect(vocabulary.shape == [6, 8])
        expectSameRows(vocabulary.values, try expected.tensor("vocab.potsdam"), "vocab potsdam")

        // A split file with the classes of a bundled split embeds the same rows.
        try #"{"name": "mine", "seen": ["Buildings", "trees", "car"], "unseen": ["road", "grass", "clutter"]}"#
            .write(toFile: directory + "split.json", atomically: true, encoding: .utf8)
        for side in ["unseen", "seen"] {
            command = try Embed.parse(["--checkpoint", checkpoint, "--vocab", "potsdam", "--split", "dlrsd-overlap", "--side", side,
                                       "-o", directory + "named.npy"])
            try command.run()
            command = try Embed.parse(["--checkpoint", checkpoint, "--vocab", "potsdam", "--split-file", directory + "split.json",
                                       "--side", side, "-o", directory + "file.npy"])
            try command.run()
            let named = try readNPY(directory + "named.npy"), file = try readNPY(directory + "file.npy")
            #expect(file.shape == [3, 8] && file.shape == named.shape && file.values == named.values, "\(side)")
        }
        command = try Embed.parse(["--checkpoint", checkpoint, "--vocab", "potsdam", "--split", "dlrsd-overlap",
                                   "--split-file", directory + "split.json", "-o", directory + "both.npy"])
        #expect(throws: (any Error).self) { try command.run() }
        #expect(throws: (any Error).self) {
            try Embed.parse(["--checkpoint", checkpoint, "--text", "a", "--split-file", directory + "split.json", "-o", directory + "x.npy"])
        }
    }

    /// Row-wise cosine ≥ 0.999999 and `max|Δ| ≤ 1e-5` (docs/segmentation-core.md
    /// §6.3, normalised embeddings).
    func expectSameRows(_ actual: [Float], _ expected: Tensor, _ label: String) {
        #expect(actual.count == expected.count, "\(label): \(actual.count) values vs \(expected.count)")
        guard actual.count == expected.count, let width = expected.shape.last, width > 0 else { return }
        var worstCosine = 1.0, worstDifference: Float = 0
        for row in 0..<(actual.count / width) {
            var dot = 0.0, na = 0.0, nb = 0.0
            for i in (row * width)..<((row + 1) * width) {
                let a = Double(actual[i]), b = Double(expected.scalars[i])
                dot += a * b
                na += a * a
                nb += b * b
                worstDifference = max(worstDifference, abs(actual[i] - expected.scalars[i]))
            }
            worstCosine = min(worstCosine, dot / (na * nb).squareRoot())
        }
        #expect(worstCosine >= 0.999999, "\(label): cosine \(worstCosine)")
        #expect(worstDifference <= 1e-5, "\(label): max |Δ| \(worstDifference)")
        print("\(label): min cosine \(worstCosine), max |Δ| \(worstDifference)")
    }

    /// A Hugging Face folder (here sharded, gelu) embeds as the library computes it; its weights
    /// alone, without config.json, are refused: the activation is stated nowhere.
    @Test func huggingFaceFolderAndLoneWeights() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = clipFixture("hf/gelu_sharded")
        let command = try Embed.parse(["--checkpoint", folder, "--image", directory + "image.png", "-o", directory + "image.npy"])
        try command.run()
        let model = try CLIPModel(checkpoint: CLIPCheckpoint(path: folder))
        let encoder = try #require(model.vision)
        let pixels = try CLIPImagePreprocessing.pixels(rgb: rgb, sourceWidth: 20, sourceHeight: 20, height: 24, width: 24)
        let expected = try #require(try encoder.encode(pixels).embeddings).l2Normalized()
        let written = try readNPY(directory + "image.npy")
        #expect(written.shape == [1, 20])
        #expect(written.values == expected.scalars)

        let lone = directory + "lone.safetensors"
        try FileManager.default.copyItem(atPath: clipFixture("hf/b32/model.safetensors"), toPath: lone)
        let refused = try Embed.parse(["--checkpoint", lone, "--image", directory + "image.png", "-o", directory + "lone.npy"])
        #expect(throws: (any Error).self) { try refused.run() }
        #expect(!FileManager.default.fileExists(atPath: directory + "lone.npy"))
    }

    @Test func argumentErrors() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: (any Error).self) { try Embed.parse(["--checkpoint", "x", "-o", "y.npy"]) }
        #expect(throws: (any Error).self) {
            try Embed.parse(["--checkpoint", "x", "--text", "a", "--image", "b.png", "-o", "y.npy"])
        }
        #expect(throws: (any Error).self) { try Embed.parse(["--checkpoint", "x", "--text", "a", "--dense", "-o", "y.npy"]) }
        // A vision-only checkpoint cannot embed text: one clear error, exit code 2, no file.
        let command = try Embed.parse(["--checkpoint", clipFixture("clip_tiny_vision.safetensors"), "--text", "road",
                                       "-o", directory + "text.npy"])
        #expect(throws: (any Error).self) { try command.run() }
        #expect(!FileManager.default.fileExists(atPath: directory + "text.npy"))
    }
}
