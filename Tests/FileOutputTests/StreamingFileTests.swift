import Foundation
import Testing

@testable import FileOutput

/// A file written piece by piece has the atomic guarantees of one written whole.
@Suite("Streamed atomic writes")
struct StreamingFileTests {
    struct Refused: Error {}

    @Test func piecesLargerAndSmallerThanTheBufferArriveInOrder() throws {
        let folder = try AtomicFileSetTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var expected: [UInt8] = []
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: StreamingFileWriter.bufferSize * 2 + 3)
        try AtomicFile.write(to: folder + "/sub/out.json") { (file: inout StreamingFileWriter) throws(Never) in
            for index in 0..<5000 {
                file.write("line \(index) é\n")
                expected += Array("line \(index) é\n".utf8)
                if index == 2500 {
                    file.write(big)
                    expected += big
                }
            }
        }
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/sub/out.json"))) == expected)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/sub").filter { $0.hasPrefix(".ovseg-tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func aProducerThatFailsLeavesTheOldFileAndNoTemporary() throws {
        let folder = try AtomicFileSetTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(text: "old", to: folder + "/run.json")
        do {
            try AtomicFile.write(to: folder + "/run.json") { (file: inout StreamingFileWriter) throws(Refused) in
                file.write(String(repeating: "new ", count: 100_000))
                throw Refused()
            }
            Issue.record("the failing producer was not reported")
        } catch {
            guard case .producer = error else { Issue.record("expected the producer's error, got \(error)"); return }
        }
        #expect(try String(contentsOfFile: folder + "/run.json", encoding: .utf8) == "old")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".ovseg-tmp-") }
        #expect(leftovers.isEmpty, "the temporary file must be removed: \(leftovers)")
    }

    @Test func anUnwritableDestinationIsAnOutputError() throws {
        let folder = try AtomicFileSetTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(text: "", to: folder + "/blocker")
        do {
            try AtomicFile.write(to: folder + "/blocker/run.json") { (file: inout StreamingFileWriter) throws(Never) in
                file.write("x")
            }
            Issue.record("a file below a regular file was written")
        } catch {
            guard case .output(let failure) = error else { Issue.record("expected an output error, got \(error)"); return }
            #expect(failure.path == folder + "/blocker/run.json")
        }
    }
}
