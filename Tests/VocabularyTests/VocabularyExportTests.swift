import Foundation
import Testing
import Vocabulary

/// `Vocabulary.export`: an unchanged copy is the same vocabulary; a copy with the other
/// ground-truth encoding differs in that and in nothing a run compares except the fingerprint.
struct VocabularyExportTests {
    func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-export-\(UUID().uuidString)-\(name)").path
    }

    @Test func unchangedCopyHasTheSameFingerprint() throws {
        for key in Vocabulary.bundledKeys {
            let original = try Vocabulary.load(key: key)
            let path = scratch("\(key).json")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let copy = try original.export(to: path)
            #expect(copy.key == key)
            #expect(copy.fingerprint == original.fingerprint, "\(key)")
            #expect(try Vocabulary.resolve(path).classes == original.classes)
        }
    }

    @Test func flippedEncodingGetsItsOwnKeyNoteAndFingerprint() throws {
        let loveda = try Vocabulary.load(key: "loveda")
        #expect(loveda.encoding.reduceZeroLabel)
        let path = scratch("loveda-ids.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let copy = try loveda.export(to: path, reduceZeroLabel: false)
        #expect(copy.key == "loveda-ids")
        #expect(!copy.encoding.reduceZeroLabel)
        #expect(copy.encoding.ignoreValues == loveda.encoding.ignoreValues)
        #expect(copy.classes == loveda.classes)
        #expect(copy.splits.map(\.name) == loveda.splits.map(\.name))
        #expect(copy.fingerprint != loveda.fingerprint)
        #expect(copy.encoding.notes?.contains("reduce_zero_label set to false by `ovseg vocab export`") == true)

        // Asking for the encoding it already has changes nothing; --key renames.
        #expect(loveda.exportKey(reduceZeroLabel: true) == "loveda")
        let renamed = try loveda.exportedJSON(key: "my-loveda")
        #expect(renamed["key"]?.stringValue == "my-loveda")
        #expect(renamed["label_encoding"]?["reduce_zero_label"]?.boolValue == true)
    }

    @Test func aCopyOfAUserFileCanBeExportedAgain() throws {
        let first = scratch("potsdam-ids.json")
        let second = scratch("potsdam-again.json")
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let ids = try Vocabulary.load(key: "potsdam").export(to: first, reduceZeroLabel: false)
        let back = try Vocabulary.resolve(first).export(to: second, reduceZeroLabel: true, key: "potsdam")
        #expect(ids.key == "potsdam-ids")
        #expect(back.fingerprint == (try Vocabulary.load(key: "potsdam")).fingerprint)
    }
}
