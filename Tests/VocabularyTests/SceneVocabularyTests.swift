import Foundation
import Testing
@testable import Vocabulary

/// Scene vocabularies (docs/scene-classification.md §1): the five datasets, their class counts and
/// published first/last classes, and the refusals between semantic and scene loaders.
@Suite("Scene vocabularies")
struct SceneVocabularyTests {
    static let expected: [(key: String, count: Int, first: String, last: String)] = [
        ("ucmerced", 21, "agricultural", "tennis court"), ("aid", 30, "airport", "viaduct"),
        ("nwpu-resisc45", 45, "airplane", "wetland"), ("whu-rs19", 19, "airport", "viaduct"),
        ("patternnet", 38, "airplane", "wastewater treatment plant"),
    ]

    @Test func theFiveDatasetsLoadWithTheirPublishedClassCounts() throws {
        #expect(Set(SceneVocabulary.bundledKeys) == Set(Self.expected.map(\.key)))
        for item in Self.expected {
            let vocabulary = try SceneVocabulary.load(key: item.key)
            #expect(vocabulary.classCount == item.count, "\(item.key)")
            #expect(vocabulary.classes.first?.name == item.first)
            #expect(vocabulary.classes.last?.name == item.last)
            #expect(vocabulary.classes.map(\.id) == Array(0..<item.count))
            #expect(!vocabulary.sources.isEmpty && !vocabulary.promptTemplates.isEmpty)
            #expect(vocabulary.fingerprint.hasPrefix("fnv1a64:"))
        }
    }

    @Test func synonymsAndFolderSpellingsResolve() throws {
        let ucm = try SceneVocabulary.load(key: "UCMerced")
        #expect(ucm.classID(named: "baseballdiamond") == 2)
        #expect(ucm.classID(named: "Baseball Field") == 2)
        let whu = try SceneVocabulary.load(key: "whu-rs19")
        // Alphabetical ignoring case: footballField between Farmland and Forest.
        #expect(whu.classID(named: "footballField") == 6)
        #expect(whu.classID(named: "railwayStation") == 15)
    }

    @Test func semanticLoadersRefuseSceneVocabulariesClearly() throws {
        #expect(!Vocabulary.bundledKeys.contains("aid"))
        let error = try #require(throws: VocabularyError.self) { try Vocabulary.load(key: "aid") }
        #expect(error.kind == .wrongTask)
        #expect(error.description.contains("ovseg classify score"))
        let resolved = try #require(throws: VocabularyError.self) { try Vocabulary.resolve("patternnet") }
        #expect(resolved.kind == .wrongTask)
        let path = try #require(Vocabulary.bundledDirectory).appendingPathComponent("ucmerced.json").path
        let byPath = try #require(throws: VocabularyError.self) { try Vocabulary.load(path: path) }
        #expect(byPath.kind == .wrongTask)
        #expect(Vocabulary.problems(inFileAt: path).isEmpty)
    }

    @Test func sceneLoaderRefusesSemanticVocabularies() throws {
        let error = try #require(throws: VocabularyError.self) { try SceneVocabulary.load(key: "potsdam") }
        #expect(error.kind == .wrongTask)
    }

    @Test func invalidSceneFilesAreReportedWithTheEntry() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scene-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.json")
        try Data(#"""
            {"schema": "ovseg-vocabulary/1", "task": "scene-classification", "key": "bad", "name": "Bad", "description": "",
             "classes": [{"id": 0, "name": "forest"}, {"id": 1, "name": "Forest"}],
             "prompt_templates": ["a photo of {} {}"], "sources": ["test"]}
            """#.utf8).write(to: file)
        let problems = Vocabulary.problems(inFileAt: file.path)
        #expect(problems.contains { $0.kind == .duplicateName && $0.entry == "classes[1].name" })
        #expect(problems.contains { $0.kind == .badTemplate })
        let split = try #require(throws: VocabularyError.self) {
            try SceneVocabulary.load(key: "aid").split(seen: ["airport"], unseen: ["airprot", "beach"])
        }
        #expect(split.description.contains("did you mean 'airport'"))
    }
}
