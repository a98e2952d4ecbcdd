import Foundation
import Testing
@testable import SafeTensors
import Tensor

private func fixtureURL(_ name: String, _ ext: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
}

/// `golden.json`, written by make_safetensors_fixtures.py next to the files.
private struct Golden: Decodable {
    struct Expected: Decodable {
        let shape: [Int]
        let dtype: String
        let values: [FloatOrInfinity]?
        let ints: [Int64]?
    }
    enum FloatOrInfinity: Decodable {
        case value(Float)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) {
                self = .value(text == "inf" ? .infinity : -.infinity)
            } else {
                self = .value(Float(try c.decode(Double.self)))
            }
        }
        var float: Float { if case .value(let v) = self { v } else { 0 } }
    }
    let metadata: [String: String]
    let golden: [String: Expected]
    let unaligned: [String: Expected]
    let unaligned_header_length: Int

    static func load() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: fixtureURL("golden", "json")))
    }
}

/// Builds a safetensors buffer from a header text and data bytes.
private func buffer(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    let length = declaredLength ?? UInt64(headerBytes.count)
    return withUnsafeBytes(of: length.littleEndian) { Array($0) } + headerBytes + data
}

private func problem(_ bytes: [UInt8]) -> SafeTensorsError.Problem? {
    do {
        _ = try SafeTensorsFile(bytes: bytes)
        return nil
    } catch {
        return error.problem
    }
}

@Suite("SafeTensors: golden files")
struct SafeTensorsGoldenTests {
    @Test func readsEveryDTypeWrittenByTheReferenceWriter() throws {
        let golden = try Golden.load()
        let file = try SafeTensorsFile(path: try fixtureURL("golden", "safetensors").path)
        #expect(file.metadata == golden.metadata)
        #expect(file.metadata["format"] == "pt")
        #expect(Set(file.names) == Set(golden.golden.keys))
        for (name, expected) in golden.golden {
            let entry = try file.entry(name)
            #expect(entry.shape == expected.shape, "\(name)")
            #expect(entry.dtype.rawValue == expected.dtype, "\(name)")
            if let values = expected.values {
                // The golden file holds infinities and NaNs on purpose (exact widening of every F16 value).
                let tensor = try file.tensor(name, allowNonFinite: true)
                #expect(tensor.shape == expected.shape)
                // Widening F16/BF16/F64 → F32 is exact (F64 rounds to nearest, as torch does).
                #expect(tensor.scalars.map(\.bitPattern) == values.map { $0.float.bitPattern }, "\(name)")
            }
        }
        let scalar = try file.tensor("logit_scale", shape: [])
        #expect(scalar.count == 1 && abs(scalar.scalars[0] - 4.6052) < 1e-6)
        #expect(try file.tensor("empty").count == 0)
    }

    @Test func integerTensorsAreReadableAsBytesButNotAsFloat() throws {
        let golden = try Golden.load()
        let file = try SafeTensorsFile(path: try fixtureURL("golden", "safetensors").path)
        let key = "text_model.embeddings.position_ids"
        #expect(throws: SafeTensorsError(file: file.file, problem: .notFloatingPoint(key: key, dtype: "I64"))) {
            try file.tensor(key)
        }
        let bytes = try file.rawBytes(key)
        let ints = stride(from: 0, to: bytes.count, by: 8).map { offset in
            bytes[offset..<(offset + 8)].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
        }
        #expect(ints == golden.golden[key]?.ints)
    }

    @Test func unalignedDataAreCopiedCorrectly() throws {
        let golden = try Golden.load()
        #expect(golden.unaligned_header_length % 8 != 0)
        let file = try SafeTensorsFile(path: try fixtureURL("unaligned", "safetensors").path)
        let w = try file.tensor("w", shape: [2, 2])
        #expect(w.scalars == golden.unaligned["w"]?.values?.map(\.float))
        #expect(file.metadata.isEmpty)
    }

    @Test func missingKeyIsNamed() throws {
        let file = try SafeTensorsFile(path: try fixtureURL("golden", "safetensors").path)
        do {
            _ = try file.tensor("vision_model.post_layernorm.weight")
            Issue.record("no error for a missing key")
        } catch {
            #expect(error.problem == .missingTensor(key: "vision_model.post_layernorm.weight", available: 7))
            #expect(error.description.contains("'vision_model.post_layernorm.weight'"))
            #expect(error.description.contains("golden.safetensors"))
        }
        #expect(throws: SafeTensorsError.self) { try file.tensor("logit_scale", shape: [1]) }
    }

    @Test func halfPrecisionConversionIsExact() {
        // Every finite binary16 value converts exactly (compare against the
        // standard library's Float16 where the platform has it).
        #if arch(x86_64) || arch(arm64)
        for bits in UInt16.min...UInt16.max {
            let reference = Float(Float16(bitPattern: bits))
            let converted = halfToFloat(bits)
            if reference.isNaN { #expect(converted.isNaN) } else if reference != converted {
                Issue.record("half \(bits): \(converted) vs \(reference)")
                return
            }
        }
        #endif
    }
}

@Suite("SafeTensors: malformed input")
struct SafeTensorsMalformedTests {
    let okHeader = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    let eightBytes: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]  // 1.0, 2.0

    @Test func wellFormedMinimalBufferParses() throws {
        let file = try SafeTensorsFile(bytes: buffer(okHeader, data: eightBytes))
        #expect(try file.tensor("a").scalars == [1, 2])
        // Trailing spaces in the header are allowed (the reference writer pads with them).
        let padded = try SafeTensorsFile(bytes: buffer(okHeader + "     ", data: eightBytes))
        #expect(padded.names == ["a"])
    }

    @Test func truncatedFiles() {
        #expect(problem([]) == .tooShort(size: 0))
        #expect(problem([1, 2, 3]) == .tooShort(size: 3))
        let full = buffer(okHeader, data: eightBytes)
        // Cut inside the header.
        #expect(problem(Array(full.prefix(20))) == .truncatedHeader(declared: UInt64(okHeader.utf8.count), available: 12))
        // Cut inside the data: the tensor's offsets no longer fit the buffer.
        #expect(problem(Array(full.dropLast(3))) == .offsetsOutOfRange(key: "a", begin: 0, end: 8, bufferLength: 5))
    }

    @Test func badHeaderLength() {
        #expect(problem(buffer(okHeader, data: eightBytes, declaredLength: UInt64.max))
                == .headerTooLarge(declared: UInt64.max, limit: 100_000_000))
        #expect(problem(buffer(okHeader, data: eightBytes, declaredLength: 100_000_001))
                == .headerTooLarge(declared: 100_000_001, limit: 100_000_000))
        // A declared length past the end of the file (but under the limit) must not allocate or crash.
        #expect(problem(buffer(okHeader, data: eightBytes, declaredLength: 99_999_999))
                == .truncatedHeader(declared: 99_999_999, available: okHeader.utf8.count + 8))
    }

    @Test func malformedJSON() {
        guard case .malformedHeader = problem(buffer("[1, 2]")) else { Issue.record("array header accepted"); return }
        guard case .malformedHeader = problem(buffer(#"{"a": "#)) else { Issue.record("cut JSON accepted"); return }
        guard case .malformedHeader = problem(buffer("   {}")) else { Issue.record("leading space accepted"); return }
        var notUTF8 = buffer(#"{"ab":1}"#)
        notUTF8[10] = 0xff
        guard case .malformedHeader = problem(notUTF8) else { Issue.record("invalid UTF-8 accepted"); return }
        #expect(problem(buffer(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}"#, data: eightBytes))
                == .duplicateKey("a"))
    }

    @Test func offsetsOutOfRangeAndInconsistentSizes() {
        #expect(problem(buffer(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eightBytes))
                == .offsetsOutOfRange(key: "w", begin: 0, end: 16, bufferLength: 8))
        #expect(problem(buffer(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, data: eightBytes))
                == .offsetsOutOfRange(key: "w", begin: 8, end: 4, bufferLength: 8))
        #expect(problem(buffer(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes))
                == .byteLengthMismatch(key: "w", expected: 4, actual: 8))
        #expect(problem(buffer(#"{"w":{"dtype":"F32","shape":[4611686018427387904, 4],"data_offsets":[0,8]}}"#, data: eightBytes))
                == .invalidEntry(key: "w", reason: "shape [4611686018427387904, 4] has too many elements"))
    }

    @Test func overlapsGapsAndTrailingBytes() {
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(problem(buffer(overlap, data: eightBytes)) == .overlap(key: "b", other: "a"))
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(problem(buffer(gap, data: eightBytes)) == .gap(before: "a", start: 0, end: 4))
        let trailing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(problem(buffer(trailing, data: eightBytes)) == .trailingBytes(count: 4))
    }

    @Test func unknownDTypeAndBadFields() {
        #expect(problem(buffer(#"{"w":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes))
                == .unknownDType(key: "w", dtype: "F12"))
        let badShapes = [#"[2.5]"#, #"[-2]"#, #"[true]"#, #"["2"]"#, #"2"#, #"[1e3]"#]
        for shape in badShapes {
            let header = #"{"w":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,8]}}"#
            guard case .invalidEntry(let key, _) = problem(buffer(header, data: eightBytes)) else {
                Issue.record("shape \(shape) accepted")
                continue
            }
            #expect(key == "w")
        }
        guard case .invalidEntry(key: "w", _) = problem(buffer(#"{"w":{"dtype":"F32","shape":[2]}}"#, data: eightBytes)) else {
            Issue.record("missing data_offsets accepted"); return
        }
        guard case .invalidEntry(key: "w", _) = problem(buffer(#"{"w":7}"#)) else {
            Issue.record("non-object entry accepted"); return
        }
    }

    @Test func metadataMustBeStrings() {
        let header = #"{"__metadata__":{"format":"pt","layers":12},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(problem(buffer(header, data: eightBytes)) == .invalidMetadata("value of 'layers' is not a string"))
        let notMap = #"{"__metadata__":[1],"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(problem(buffer(notMap, data: eightBytes)) == .invalidMetadata("it is not an object"))
    }

    @Test func unreadablePathsAreErrorsNotCrashes() throws {
        do {
            _ = try SafeTensorsFile(path: "/nonexistent/model.safetensors")
            Issue.record("opened a missing file")
        } catch {
            guard case .cannotRead = error.problem else { Issue.record("unexpected \(error)"); return }
            #expect(error.description.hasPrefix("/nonexistent/model.safetensors: "))
        }
        let directory = FileManager.default.temporaryDirectory.path
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: directory) }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).safetensors")
        try Data().write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: SafeTensorsError(file: empty.path, problem: .tooShort(size: 0))) { try SafeTensorsFile(path: empty.path) }
    }
}

