import Foundation
import Testing
@testable import TorchCheckpoint

private func fixture(_ name: String) -> String {
    Bundle.module.path(forResource: "Fixtures/\(name)", ofType: nil) ?? "missing-fixture-\(name)"
}

/// The expected tensors of basic.pth, as torch gave them.
private struct Expected: Decodable {
    struct Entry: Decodable {
        let shape: [Int]
        let dtype: String
        let values: [Double]?
        let ints: [Int]?
    }
    let tensors: [String: Entry]
}

private func expectProblem(_ file: String, _ check: (TorchCheckpointError.Problem) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let checkpoint = try TorchCheckpoint(path: fixture(file))
        let state = try checkpoint.stateDict()
        for name in state.names {
            let tensor = state.tensors[name]!
            if tensor.storage.dtype?.isFloatingPoint ?? true { _ = try checkpoint.floats(tensor, key: name) }
        }
        Issue.record("\(file) was read", sourceLocation: sourceLocation)
    } catch let error as TorchCheckpointError {
        #expect(check(error.problem), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(fixture(file) + ": "), sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("PyTorch checkpoints")
struct TorchCheckpointTests {
    /// Every tensor (F32, F16, BF16, int64, a parameter, views, shared storage) equals what torch read.
    @Test func readsEveryTensorAsTorchDoes() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("basic.json"))))
        let checkpoint = try TorchCheckpoint(path: fixture("basic.pth"))
        let state = try checkpoint.stateDict()
        #expect(state.location == "" && state.strippedPrefix == nil)
        #expect(state.names == ["f32", "f16", "bf16", "scalar", "ids", "param", "transposed", "sliced", "shared.a", "shared.b", "empty"])
        for name in state.names {
            let tensor = try #require(state.tensors[name])
            let entry = try #require(expected.tensors[name])
            #expect(tensor.shape == entry.shape, "\(name)")
            #expect(tensor.storage.dtype?.rawValue == entry.dtype, "\(name)")
            if let values = entry.values {
                let read = try checkpoint.floats(tensor, key: name)
                #expect(read == values.map { Float($0) }, "\(name)")
            } else if let ints = entry.ints {
                let raw = try checkpoint.contiguousBytes(tensor, key: name)
                let read = stride(from: 0, to: raw.count, by: 8).map { i in
                    raw[i..<(i + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
                }
                #expect(read == ints, "\(name)")
            }
        }
        let a = try #require(state.tensors["shared.a"]), b = try #require(state.tensors["shared.b"])
        #expect(a.storage.key == b.storage.key && a.storageOffset != b.storageOffset)
        let transposed = try #require(state.tensors["transposed"])
        #expect(transposed.strides == [1, 6])
        #expect(try #require(state.tensors["sliced"]).storageOffset == 6)
    }

    @Test func unwrapsDetectron2AndOpenCLIPDicts() throws {
        let detectron2 = try TorchCheckpoint(path: fixture("detectron2.pth")).stateDict()
        #expect(detectron2.location == "model" && detectron2.names == ["w", "b"])
        let openCLIP = try TorchCheckpoint(path: fixture("open_clip.pth")).stateDict()
        #expect(openCLIP.location == "state_dict" && openCLIP.strippedPrefix == "module." && openCLIP.names == ["w", "b"])
    }

    @Test func refusesUnsafeGlobalsByName() {
        expectProblem("unsafe_system.pth") { $0 == .forbiddenGlobal("posix.system") }
        expectProblem("numpy_scalar.pth") {
            if case .forbiddenGlobal(let name) = $0 { return name.hasPrefix("numpy") }
            return false
        }
    }

    @Test func refusesDamagedStorageAndArchives() {
        expectProblem("missing_storage.pth") {
            if case .missingStorage(key: "f32", _) = $0 { return true }
            return false
        }
        expectProblem("short_storage.pth") {
            if case .shortStorage(key: "f32", _, needed: 24, available: 8) = $0 { return true }
            return false
        }
        expectProblem("compressed.pth") {
            if case .compressedEntry(_, method: 8) = $0 { return true }  // byteorder or data.pkl, whichever is read first
            return false
        }
        expectProblem("legacy.pth") { $0 == .legacyFormat }
        expectProblem("complex.pth") {
            if case .unsupportedDType(key: "w", dtype: "torch.ComplexFloatStorage") = $0 { return true }
            return false
        }
    }

    /// Only torch's legacy signature counts as the legacy format; other non-zip bytes are "not a zip".
    @Test func legacySignature() throws {
        #expect(TorchCheckpoint.isLegacy(Array(try Data(contentsOf: URL(fileURLWithPath: fixture("legacy.pth"))).prefix(4))))
        #expect(throws: TorchCheckpointError(file: "st", problem: .notZip("it does not start with a zip header"))) {
            _ = try TorchCheckpoint(bytes: [0x80, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d], name: "st")
        }
    }

    /// Every prefix of a good file fails with an error (never a crash, never a silent read).
    @Test func truncatedArchivesFail() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("basic.pth"))))
        var lengths = Array(stride(from: 0, to: bytes.count, by: 97)) + [bytes.count - 1, bytes.count - 22]
        lengths.append(contentsOf: (1...30).map { bytes.count - $0 })
        for length in lengths {
            #expect(throws: TorchCheckpointError.self, "\(length) bytes") {
                _ = try TorchCheckpoint(bytes: Array(bytes[0..<length]), name: "cut.pth")
            }
        }
    }

    @Test func strayedViewsAreRefused() throws {
        let checkpoint = try TorchCheckpoint(path: fixture("basic.pth"))
        let f32 = try #require(try checkpoint.stateDict().tensors["f32"])
        let beyond = TorchTensorReference(storage: f32.storage, storageOffset: 1, shape: [2, 3], strides: [3, 1])
        #expect(throws: TorchCheckpointError.self) { try checkpoint.floats(beyond, key: "beyond") }
        let huge = TorchTensorReference(storage: f32.storage, storageOffset: 0, shape: [Int.max / 2, 4], strides: [4, 1])
        #expect(throws: TorchCheckpointError.self) { try checkpoint.contiguousBytes(huge, key: "huge") }
    }

    /// The reader's own checks on hand-made pickle streams.
    @Test func malformedPicklesAreErrors() throws {
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("no STOP", [0x80, 0x02, 0x7d]),
            ("length past the end", [0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x61]),
            ("undefined memo", [0x80, 0x02, 0x68, 0x05, 0x2e]),
            ("object construction", [0x80, 0x02, 0x81, 0x2e]),
            ("builtins.eval", [0x80, 0x02] + Array("cbuiltins\neval\n.".utf8)),
            ("two values at STOP", [0x80, 0x02, 0x4e, 0x4e, 0x2e]),
        ]
        for (name, stream) in cases {
            let result = stream.withUnsafeBytes { bytes in Result { () throws(TorchCheckpointError.Problem) in try PickleReader.read(bytes) } }
            #expect(throws: TorchCheckpointError.Problem.self, "\(name)") { try result.get() }
        }
        let global = Array("cposix\nsystem\n".utf8)
        let result = global.withUnsafeBytes { bytes in Result { () throws(TorchCheckpointError.Problem) in try PickleReader.read(bytes) } }
        #expect(throws: TorchCheckpointError.Problem.forbiddenGlobal("posix.system")) { try result.get() }
    }
}
