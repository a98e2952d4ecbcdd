import CLIP
import Foundation
import Hashing
import SafeTensors
import Testing
import Tensor
import TorchCheckpoint
@testable import CheckpointConversion

private func fixture(_ name: String) -> String {
    Bundle.module.path(forResource: "Fixtures/\(name)", ofType: nil) ?? "missing-fixture-\(name)"
}

/// cases.json: each .pth, the reference exporter's options and what it dropped.
struct Cases: Decodable {
    struct Case: Decodable {
        let pth: String
        let arch: String
        let dropped: [String]
        let options: [String: Option]
        let metadata: [String: String]?
        let tensors: [String: Summary]
        let image: Image?
    }
    struct Image: Decodable {
        let pixels: [Float]
        let embedding: [Float]
    }
    struct Summary: Decodable, Equatable {
        let shape: [Int]
        let dtype: String
        let sha256: String
    }
    enum Option: Decodable {
        case int(Int), text(String), list([Int]), texts([String])
        init(from decoder: Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let v = try? value.decode(Int.self) { self = .int(v) }
            else if let v = try? value.decode(String.self) { self = .text(v) }
            else if let v = try? value.decode([Int].self) { self = .list(v) }
            else { self = .texts(try value.decode([String].self)) }
        }
    }
    let cases: [String: Case]
}

private func options(_ given: [String: Cases.Option]) -> ConversionOptions {
    var options = ConversionOptions()
    for (key, value) in given {
        switch (key, value) {
        case ("classes", .texts(let v)): options.classes = v
        case ("guidance_layers", .list(let v)): options.guidanceLayers = v
        case ("vision_heads", .int(let v)): options.visionHeads = v
        case ("text_heads", .int(let v)): options.textHeads = v
        case ("aggregator_heads", .int(let v)): options.aggregatorHeads = v
        case ("aggregator_window", .int(let v)): options.aggregatorWindow = v
        case ("pad_len", .int(let v)): options.padLength = v
        case ("hidden_act", .text(let v)): options.hiddenActivation = v
        default: Issue.record("unknown option \(key)")
        }
    }
    return options
}

@Suite("ovseg convert against the reference exporter")
struct CheckpointConversionTests {
    let cases: Cases

    init() throws {
        cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("cases.json"))))
    }

    /// Key for key, value for value, and the metadata (but for the source line) as the exporter wrote them.
    @Test(arguments: ["sgseg", "catseg", "open_clip"])
    func agreesWithTheReferenceExporter(name: String) throws {
        let testCase = try #require(cases.cases[name])
        let converted = try CheckpointConversion.convert(path: fixture(testCase.pth), options: options(testCase.options))
        #expect(converted.architecture.rawValue == testCase.arch)
        #expect(converted.dropped == testCase.dropped)
        let ours = try SafeTensorsFile(bytes: try converted.safetensorsBytes(), name: "converted")
        #expect(Set(ours.names) == Set(testCase.tensors.keys))
        #expect(ours.names.count == testCase.tensors.count && !ours.names.isEmpty)
        for (key, expected) in testCase.tensors where ours.contains(key) {
            let entry = try ours.entry(key)
            let summary = Cases.Summary(shape: entry.shape, dtype: entry.dtype.rawValue, sha256: SHA256.hex(try ours.rawBytes(key)))
            #expect(summary == expected, "\(key)")
        }
        let source = try #require(ours.metadata["sgseg.source"])
        let digest = try CheckpointConversion.sha256(path: fixture(testCase.pth))
        #expect(source.hasPrefix("\(testCase.pth) sha256 \(digest); converted by ovseg convert"))
        if testCase.arch != "clip" {
            var expected = try #require(testCase.metadata), got = ours.metadata
            expected["sgseg.source"] = nil
            got["sgseg.source"] = nil
            #expect(got == expected)
        } else {
            #expect(ours.metadata["sgseg.clip.hidden_act"] == "gelu" && ours.metadata["sgseg.arch"] == nil)
        }
    }

    /// The converted open_clip CLIP runs in ovseg's CLIP loader and gives open_clip's image embedding.
    @Test func convertedOpenCLIPEmbedsAsOpenCLIP() throws {
        let testCase = try #require(cases.cases["open_clip"])
        let image = try #require(testCase.image)
        let converted = try CheckpointConversion.convert(path: fixture(testCase.pth), options: options(testCase.options))
        let encoder = try CLIPVisionEncoder(file: SafeTensorsFile(bytes: try converted.safetensorsBytes(), name: "converted"))
        let pixels = try Tensor(shape: [1, 3, 16, 16], scalars: image.pixels)
        let embedding = try #require(try encoder.encode(pixels).embeddings)
        #expect(embedding.scalars.count == image.embedding.count)
        let worst = zip(embedding.scalars, image.embedding).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func refusesWhatItCannotKnowOrThatContradicts() throws {
        var noActivation = options(try #require(cases.cases["open_clip"]).options)
        noActivation.hiddenActivation = nil
        #expect(throws: CheckpointConversionError.self) {
            try CheckpointConversion.convert(path: fixture("open_clip.pth"), options: noActivation)
        }
        var wrongArch = options(try #require(cases.cases["catseg"]).options)
        wrongArch.architecture = .sgseg
        do {
            _ = try CheckpointConversion.convert(path: fixture("catseg.pth"), options: wrongArch)
            Issue.record("a CAT-Seg checkpoint converted as SGSeg")
        } catch {
            #expect(error.description.contains("catseg.pth") && error.description.contains("memory.memory"))
        }
        var noHeads = options(try #require(cases.cases["sgseg"]).options)
        noHeads.visionHeads = nil
        #expect(throws: CheckpointConversionError.self) {
            try CheckpointConversion.convert(path: fixture("sgseg.pth"), options: noHeads)
        }
    }

    @Test func pythonJSONMatchesJsonDumps() {
        #expect(PythonJSON.list(["a", "é", "\"q\""].map(PythonJSON.string)) == #"["a", "\u00e9", "\"q\""]"#)
        #expect(PythonJSON.list([7, 15].map(String.init)) == "[7, 15]")
    }
}
