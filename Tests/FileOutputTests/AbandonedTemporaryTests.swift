import Foundation
import Testing

@testable import FileOutput

/// Temporary files left by a killed writer are removed by the next write into the folder; those a
/// live writer holds are not; write failures name a full disk or a file-size limit as such.
@Suite("Abandoned temporary files and write failures")
struct AbandonedTemporaryTests {
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-abandoned-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func hidden(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }.sorted()
    }

    @Test func anUnlockedTemporaryFileIsRemovedAndALockedOneKept() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // As SIGKILL leaves it: written, not locked by anyone.
        try Data("half a results file".utf8).write(to: URL(fileURLWithPath: folder + "/.ovseg-tmp-dead01"))
        // As a live writer holds it: this test keeps a lock on it.
        let live = folder + "/.ovseg-tmp-live01"
        try Data("being written".utf8).write(to: URL(fileURLWithPath: live))
        let descriptor = open(live, O_RDWR)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        try #require(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        // A file that merely resembles one is not touched.
        try Data("user data".utf8).write(to: URL(fileURLWithPath: folder + "/ovseg-tmp-visible"))

        #expect(AtomicFile.removeAbandoned(in: folder) == 1)
        #expect(try Self.hidden(in: folder) == [".ovseg-tmp-live01"])
        #expect(FileManager.default.fileExists(atPath: folder + "/ovseg-tmp-visible"))
    }

    @Test func theFirstWriteIntoAFolderSweepsIt() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("left by a killed run".utf8).write(to: URL(fileURLWithPath: folder + "/.ovseg-tmp-dead02"))
        try AtomicFile.write(text: "new", to: folder + "/out.json")
        #expect(try Self.hidden(in: folder).isEmpty)
        #expect(try String(contentsOfFile: folder + "/out.json", encoding: .utf8) == "new")
    }

    @Test func aWriterHoldsTheLockOnItsTemporaryFileUntilTheRename() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var observed: (locked: Bool, registered: Bool)?
        try AtomicFile.write(to: folder + "/tile.png") { temporary in
            try Data("png bytes".utf8).write(to: URL(fileURLWithPath: temporary))
            let other = open(temporary, O_RDWR)
            defer { close(other) }
            // Another open file description cannot take the lock: the writer holds it.
            observed = (flock(other, LOCK_EX | LOCK_NB) != 0, (temporary as NSString).lastPathComponent.hasPrefix(".ovseg-tmp-"))
            // And a sweep running meanwhile leaves the file alone.
            #expect(AtomicFile.removeAbandoned(in: folder) == 0)
        }
        #expect(observed?.locked == true)
        #expect(observed?.registered == true)
        #expect(try String(contentsOfFile: folder + "/tile.png", encoding: .utf8) == "png bytes")
        #expect(try Self.hidden(in: folder).isEmpty)
    }

    @Test func aFailingWriterLeavesNoTemporaryFile() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(text: "old", to: folder + "/tile.png")
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try AtomicFile.write(to: folder + "/tile.png") { temporary in
                try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
                throw Refused()
            }
        }
        #expect(try String(contentsOfFile: folder + "/tile.png", encoding: .utf8) == "old")
        #expect(try Self.hidden(in: folder).isEmpty)
    }

    @Test func fullDisksAndFileSizeLimitsAreNamed() {
        #expect(AtomicFile.writeFailure(ENOSPC).hasPrefix("the disk is full ("))
        #expect(AtomicFile.writeFailure(EFBIG).hasPrefix("the file-size limit was reached ("))
        #expect(AtomicFile.writeFailure(EDQUOT).hasPrefix("the disk quota is exhausted ("))
        #expect(AtomicFile.writeFailure(EIO).hasPrefix("write failed ("))
    }
}
