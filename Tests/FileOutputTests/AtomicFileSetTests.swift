import Foundation
import Testing

@testable import FileOutput

/// A set of files written together either all change or none does.
@Suite("Writing several files as one step")
struct AtomicFileSetTests {
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aFailingFileLeavesEveryDestinationAsItWas() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(text: "old markdown", to: folder + "/report.md")
        try AtomicFile.write(text: "old html", to: folder + "/report.html")
        // A regular file where a folder is needed: the third file cannot be staged.
        try AtomicFile.write(text: "", to: folder + "/blocker")
        #expect(throws: FileOutputError.self) {
            try AtomicFile.writeAll([
                (folder + "/report.md", Array("new markdown".utf8)),
                (folder + "/report.html", Array("new html".utf8)),
                (folder + "/blocker/chart.svg", Array("<svg/>".utf8)),
            ])
        }
        #expect(try String(contentsOfFile: folder + "/report.md", encoding: .utf8) == "old markdown")
        #expect(try String(contentsOfFile: folder + "/report.html", encoding: .utf8) == "old html")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".ovseg-tmp-") }
        #expect(leftovers.isEmpty, "staged files must be removed: \(leftovers)")
    }

    @Test func allFilesChangeWhenEveryOneCanBeWritten() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(text: "old", to: folder + "/a.txt")
        try AtomicFile.writeAll([(folder + "/a.txt", Array("new a".utf8)), (folder + "/sub/b.txt", Array("new b".utf8))])
        #expect(try String(contentsOfFile: folder + "/a.txt", encoding: .utf8) == "new a")
        #expect(try String(contentsOfFile: folder + "/sub/b.txt", encoding: .utf8) == "new b")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).allSatisfy { !$0.hasPrefix(".ovseg-tmp-") })
    }
}
