import Foundation
import Testing
@testable import FileOutput

@Suite("NPY writer")
struct NPYTests {
    /// Byte-for-byte equal to `numpy.save` (fixture from make_clip_fixtures.py).
    @Test func matchesNumpyByteForByte() throws {
        let url = try #require(Bundle.module.url(forResource: "numpy_f32_2x3", withExtension: "npy", subdirectory: "Fixtures"))
        let expected = try [UInt8](Data(contentsOf: url))
        let values: [Float] = [1.5, -2.0, 0.25, 3.0, 1e-3, -7.5]
        let bytes = try NPY.encode(shape: [2, 3], values: values)
        #expect(bytes == expected)
        #expect(try NPY.header(shape: [2, 3]).count == 128)
    }

    @Test func headersAlignToSixtyFourBytes() throws {
        for shape in [[], [5], [1000, 512], [3, 577, 768], [1, 2, 3, 4, 5, 6, 7, 8], [12_345_678_901_234, 3]] {
            let header = try NPY.header(shape: shape)
            #expect(header.count == 128)  // numpy.lib.format.write_array_header_1_0 gives 128 for each
            #expect(header.last == 0x0A)
            #expect(Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
        }
        let text = String(decoding: try NPY.header(shape: [5]).dropFirst(10), as: UTF8.self)
        #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"))
        #expect(throws: NPY.EncodingError.self) { try NPY.encode(shape: [2, 2], values: [1]) }
    }

    @Test func writesAtomically() throws {
        let path = NSTemporaryDirectory() + "ovseg-npy-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NPY.write(shape: [2], values: [1, 2], to: path)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.count == 128 + 8)
    }
}

/// Output files land in folders that may not exist yet (`-o results/exp1/run.ovseg.json`).
@Suite struct AtomicFileFolderTests {
    @Test func missingParentFoldersAreCreated() throws {
        let root = NSTemporaryDirectory() + "ovseg-atomic-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/a/b/run.json"
        try AtomicFile.write(text: "{}", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{}")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/a/b") == ["run.json"])
    }

    /// A parent that is a file cannot become a folder: the error names the path.
    @Test func aFileInTheWayIsNamed() throws {
        let root = NSTemporaryDirectory() + "ovseg-atomic-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try AtomicFile.write(text: "x", to: root + "/blocker")
        #expect {
            try AtomicFile.write(text: "{}", to: root + "/blocker/run.json")
        } throws: { error in
            "\(error)".contains("blocker")
        }
    }
}
