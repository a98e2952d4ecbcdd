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
