import LabelMaps
import Foundation
import Testing
@testable import Vocabulary

/// One way to break the valid test document, with the error it must cause.
enum BrokenFile: String, CaseIterable, Sendable {
    case malformedJSON, wrongSchema, missingSchema, missingKey, missingColor, wrongType, unknownKey
    case idsOutOfOrder, duplicateName, synonymCollidesWithName, duplicateColor, colorOutOfRange, colorTooShort
    case splitNamesUnknownClass, classBothSeenAndUnseen, emptySeen, emptyUnseen, splitWithoutSource
    case templateWithoutSlot, templateWithTwoSlots, ignoreValueIsClassID, ignoreColorIsClassColor
    case badReleaseFormat, backgroundNotAClass, ignoreValueTooLarge

    var expectedKind: VocabularyError.Kind {
        switch self {
        case .malformedJSON: .malformedJSON
        case .wrongSchema: .wrongSchema
        case .missingSchema, .missingKey, .missingColor: .missingKey
        case .wrongType: .wrongType
        case .unknownKey: .unknownKey
        case .idsOutOfOrder: .classIDs
        case .duplicateName, .synonymCollidesWithName: .duplicateName
        case .duplicateColor: .duplicateColor
        case .colorOutOfRange, .colorTooShort: .colorOutOfRange
        case .splitNamesUnknownClass: .unknownClassInSplit
        case .classBothSeenAndUnseen: .classBothSeenAndUnseen
        case .emptySeen, .emptyUnseen: .emptySplitSide
        case .splitWithoutSource: .splitWithoutSource
        case .templateWithoutSlot, .templateWithTwoSlots: .badTemplate
        case .ignoreValueIsClassID, .ignoreColorIsClassColor: .ignoreOverlap
        case .badReleaseFormat, .ignoreValueTooLarge: .invalidValue
        case .backgroundNotAClass: .backgroundPolicy
        }
    }

    /// Text the message must contain to point at the offending entry.
    var expectedEntryText: [String] {
        switch self {
        case .malformedJSON: ["not valid JSON"]
        case .wrongSchema: ["schema", "draft-1"]
        case .missingSchema: ["schema"]
        case .missingKey: ["classes"]
        case .missingColor: ["classes[1].color"]
        case .wrongType: ["classes[0].id", "integer"]
        case .unknownKey: ["label_encoding.ignore_value"]
        case .idsOutOfOrder: ["classes[1].id", "has id 2"]
        case .duplicateName: ["classes[2].name", "Building"]
        case .synonymCollidesWithName: ["classes[2].synonyms[0]", "ROAD"]
        case .duplicateColor: ["classes[2].color", "(0,0,255)", "building"]
        case .colorOutOfRange: ["classes[0].color", "256"]
        case .colorTooShort: ["classes[3].color", "3 components"]
        case .splitNamesUnknownClass: ["toy-split", "lake"]
        case .classBothSeenAndUnseen: ["toy-split", "building"]
        case .emptySeen: ["toy-split", "seen"]
        case .emptyUnseen: ["toy-split", "unseen"]
        case .splitWithoutSource: ["toy-split", "source"]
        case .templateWithoutSlot: ["prompt_templates[1]", "aerial photo"]
        case .templateWithTwoSlots: ["prompt_templates[0]", "found 2"]
        case .ignoreValueIsClassID: ["label_encoding.ignore_values[1]", "tree"]
        case .ignoreColorIsClassColor: ["label_encoding.ignore_colors[0]", "(0,255,0)"]
        case .badReleaseFormat: ["label_encoding.release_format", "tiff"]
        case .backgroundNotAClass: ["background.class", "clutter"]
        case .ignoreValueTooLarge: ["label_encoding.ignore_values[1]", "70000", "65535"]
        }
    }

    /// Writes the broken file and returns its path.
    func write(into directory: TemporaryDirectory) throws -> String {
        let name = "broken-\(rawValue).json"
        let document = validDocument()
        let broken: [String: Any]
        switch self {
        case .malformedJSON:
            return try directory.write("{ \"schema\": \"ovseg-vocabulary/1\", \"classes\": [", as: name)
        case .wrongSchema: broken = setting(document, ["schema"], to: "draft-1")
        case .missingSchema: broken = setting(document, ["schema"], to: nil)
        case .missingKey: broken = setting(document, ["classes"], to: nil)
        case .missingColor: broken = setting(document, ["classes", 1, "color"], to: nil)
        case .wrongType: broken = setting(document, ["classes", 0, "id"], to: "zero")
        case .unknownKey: broken = setting(document, ["label_encoding", "ignore_value"], to: [255])
        case .idsOutOfOrder: broken = setting(document, ["classes", 1, "id"], to: 2)
        case .duplicateName: broken = setting(document, ["classes", 2, "name"], to: "Building")
        case .synonymCollidesWithName: broken = setting(document, ["classes", 2, "synonyms"], to: ["ROAD"])
        case .duplicateColor: broken = setting(document, ["classes", 2, "color"], to: [0, 0, 255])
        case .colorOutOfRange: broken = setting(document, ["classes", 0, "color"], to: [256, 0, 0])
        case .colorTooShort: broken = setting(document, ["classes", 3, "color"], to: [255, 0])
        case .splitNamesUnknownClass: broken = setting(document, ["splits", 0, "seen"], to: ["road", "lake"])
        case .classBothSeenAndUnseen: broken = setting(document, ["splits", 0, "unseen"], to: ["tree", "Building"])
        case .emptySeen: broken = setting(document, ["splits", 0, "seen"], to: [String]())
        case .emptyUnseen: broken = setting(document, ["splits", 0, "unseen"], to: [String]())
        case .splitWithoutSource: broken = setting(document, ["splits", 0, "source"], to: nil)
        case .templateWithoutSlot:
            broken = setting(document, ["prompt_templates"], to: ["a photo of a {}.", "an aerial photo"])
        case .templateWithTwoSlots: broken = setting(document, ["prompt_templates"], to: ["a {} next to a {}"])
        case .ignoreValueIsClassID: broken = setting(document, ["label_encoding", "ignore_values"], to: [255, 2])
        case .ignoreColorIsClassColor:
            broken = setting(document, ["label_encoding", "ignore_colors"], to: [[0, 255, 0]])
        case .badReleaseFormat: broken = setting(document, ["label_encoding", "release_format"], to: "tiff")
        case .backgroundNotAClass: broken = setting(document, ["background", "class"], to: "clutter")
        // Before, `vocab validate` accepted it and `score` trapped converting 70000 to a 16-bit value.
        case .ignoreValueTooLarge: broken = setting(document, ["label_encoding", "ignore_values"], to: [255, 70000])
        }
        return try directory.write(broken, as: name)
    }
}

@Suite("Vocabulary files")
struct VocabularyFileTests {
    @Test func theValidTestDocumentLoads() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(validDocument(), as: "toy.json")
        let vocabulary = try Vocabulary.load(path: path)
        #expect(vocabulary.key == "toy")
        #expect(vocabulary.classCount == 4)
        #expect(vocabulary.classID(named: "Street") == 0)
        #expect(vocabulary.colorTable[RGB(0, 255, 0)] == 2)
        let split = try vocabulary.split(named: "TOY-SPLIT")
        #expect(split.seenIDs == [0, 1])
        #expect(split.unseenIDs == [2])
        #expect(Vocabulary.problems(inFileAt: path).isEmpty)
    }

    @Test(arguments: BrokenFile.allCases)
    func brokenFileIsRejectedWithAPreciseMessage(_ broken: BrokenFile) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try broken.write(into: directory)
        let error = try #require(throws: VocabularyError.self) { try Vocabulary.load(path: path) }
        #expect(error.kind == broken.expectedKind, "\(error)")
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        #expect(error.description.contains(fileName), "\(error)")
        for text in broken.expectedEntryText {
            #expect(error.description.contains(text), "message lacks '\(text)': \(error)")
        }
    }

    @Test func ignoreValueMayEqualAClassIDWhenTheFileSaysSo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var document = setting(validDocument(), ["label_encoding", "ignore_values"], to: [3])
        document = setting(document, ["label_encoding", "allow_ignore_class_overlap"], to: true)
        let vocabulary = try Vocabulary.load(path: try directory.write(document, as: "overlap.json"))
        #expect(vocabulary.encoding.ignoreValues == [3])
        #expect(vocabulary.encoding.allowIgnoreClassOverlap)
    }

    @Test func allProblemsOfAFileAreListed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var document = setting(validDocument(), ["classes", 2, "color"], to: [0, 0, 255])
        document = setting(document, ["prompt_templates"], to: ["no slot"])
        document = setting(document, ["splits", 0, "unseen"], to: [String]())
        let problems = Vocabulary.problems(inFileAt: try directory.write(document, as: "many.json"))
        #expect(Set(problems.map(\.kind)) == [.duplicateColor, .badTemplate, .emptySplitSide])
    }

    @Test func inferredSplitNeedsNotesButNoSource() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var document = setting(validDocument(), ["splits", 0, "source"], to: nil)
        document = setting(document, ["splits", 0, "inferred"], to: true)
        let withoutNotes = try directory.write(document, as: "inferred-no-notes.json")
        let error = try #require(throws: VocabularyError.self) { try Vocabulary.load(path: withoutNotes) }
        #expect(error.kind == .splitWithoutSource)
        document = setting(document, ["splits", 0, "notes"], to: "deduced from names")
        let withNotes = try directory.write(document, as: "inferred-notes.json")
        #expect(try Vocabulary.load(path: withNotes).splits[0].inferred)
    }

    @Test func unreadableFileIsNamed() throws {
        let path = "/nonexistent/ovseg/vocabulary.json"
        let error = try #require(throws: VocabularyError.self) { try Vocabulary.load(path: path) }
        #expect(error.kind == .unreadableFile)
        #expect(error.description.contains(path))
    }

    @Test func validateAllOnADirectoryFlagsAKeyThatDiffersFromTheFileName() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.write(validDocument(), as: "toy.json")
        _ = try directory.write(validDocument(), as: "renamed.json")
        _ = try BrokenFile.duplicateColor.write(into: directory)
        let reports = Vocabulary.validateAll(directory: directory.url.path)
        let byFile = Dictionary(uniqueKeysWithValues: reports.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0) })
        #expect(byFile["toy.json"]?.isValid == true)
        #expect(byFile["renamed.json"]?.problems.map(\.kind) == [.keyMismatch])
        #expect(byFile["broken-duplicateColor.json"]?.problems.map(\.kind) == [.duplicateColor])
    }
}

@Suite("Fingerprint")
struct FingerprintTests {
    @Test func fnv1aMatchesPublishedTestVectors() {
        // Reference values of 64-bit FNV-1a: empty input is the offset basis.
        #expect(Fingerprint.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(Fingerprint.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(Fingerprint.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func formatIsPrefixAndSixteenHexDigits() throws {
        let fingerprint = try Vocabulary.load(key: "potsdam").fingerprint
        #expect(fingerprint.hasPrefix("fnv1a64:"))
        let digits = fingerprint.dropFirst("fnv1a64:".count)
        #expect(digits.count == 16)
        #expect(digits.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func whitespaceAndKeyOrderDoNotChangeIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pretty = try Vocabulary.load(path: try directory.write(validDocument(), as: "pretty.json", pretty: true))
        let compact = try Vocabulary.load(path: try directory.write(validDocument(), as: "compact.json", pretty: false))
        #expect(pretty.fingerprint == compact.fingerprint)
        // Prose is not part of the scoring contract either.
        let reworded = setting(validDocument(), ["description"], to: "Reworded.")
        #expect(try Vocabulary.load(path: try directory.write(reworded, as: "reworded.json")).fingerprint == pretty.fingerprint)
    }

    @Test func aChangedColourChangesIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = try Vocabulary.load(path: try directory.write(validDocument(), as: "original.json"))
        let recoloured = setting(validDocument(), ["classes", 2, "color"], to: [0, 254, 0])
        let changed = try Vocabulary.load(path: try directory.write(recoloured, as: "recoloured.json"))
        #expect(changed.fingerprint != original.fingerprint)
    }

    @Test func aChangedSplitChangesIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = try Vocabulary.load(path: try directory.write(validDocument(), as: "original.json"))
        let moved = setting(validDocument(), ["splits", 0, "seen"], to: ["road"])
        let changed = try Vocabulary.load(path: try directory.write(moved, as: "moved.json"))
        #expect(changed.fingerprint != original.fingerprint)
    }

    @Test func bundledFingerprintIsStableAcrossLoads() throws {
        #expect(try Vocabulary.load(key: "isaid").fingerprint == Vocabulary.load(key: "isaid").fingerprint)
    }
}

@Suite("Resolving a vocabulary argument")
struct ResolveTests {
    @Test func aBundledKeyResolves() throws {
        #expect(try Vocabulary.resolve("vaihingen").key == "vaihingen")
    }

    @Test func anExistingPathResolves() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(validDocument(), as: "my-vocab.json")
        let vocabulary = try Vocabulary.resolve(path)
        #expect(vocabulary.key == "toy")
        #expect(vocabulary.file == path)
    }

    @Test func anExistingFileWithoutJSONExtensionIsReadAsAFile() throws {
        // The file is named like a bundled key and claims that key; its own content must be used.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(setting(validDocument(), ["key"], to: "potsdam"), as: "potsdam")
        let vocabulary = try Vocabulary.resolve(path)
        #expect(vocabulary.classCount == 4)
        #expect(vocabulary.file == path)
    }

    @Test func anUnknownNameListsTheBundledKeys() throws {
        let error = try #require(throws: VocabularyError.self) { try Vocabulary.resolve("postdam") }
        #expect(error.kind == .unknownVocabulary)
        #expect(error.description.contains("postdam"))
        #expect(error.description.contains("potsdam"))
        #expect(error.description.contains("isaid"))
    }

    @Test func bundledKeysAreCaseInsensitive() throws {
        let vocabulary = try Vocabulary.resolve("Potsdam")
        #expect(vocabulary.key == "potsdam")
        #expect(try Vocabulary.load(key: "LoveDA").key == "loveda")
    }

    @Test func anUnknownKeySuggestsTheClosestBundledKey() throws {
        let typo = try #require(throws: VocabularyError.self) { try Vocabulary.resolve("Postdam") }
        #expect(typo.description.contains("did you mean 'potsdam'?"), "\(typo.description)")
        let loaded = try #require(throws: VocabularyError.self) { try Vocabulary.load(key: "vaihingn") }
        #expect(loaded.description.contains("did you mean 'vaihingen'?"), "\(loaded.description)")
        // Nothing close: no suggestion, only the list.
        let far = try #require(throws: VocabularyError.self) { try Vocabulary.resolve("cityscapes") }
        #expect(!far.description.contains("did you mean"), "\(far.description)")
        #expect(far.description.contains("potsdam"))
    }

    @Test func editDistanceCountsInsertionsDeletionsAndSubstitutions() {
        #expect(EditDistance.levenshtein("postdam", "potsdam") == 2)
        #expect(EditDistance.levenshtein("kitten", "sitting") == 3)
        #expect(EditDistance.levenshtein("", "abc") == 3)
        #expect(EditDistance.levenshtein("udd5", "udd5") == 0)
    }

    @Test func aMissingPathSaysSo() throws {
        let error = try #require(throws: VocabularyError.self) { try Vocabulary.resolve("nowhere/my.json") }
        #expect(error.kind == .unknownVocabulary)
        #expect(error.description.contains("no such vocabulary file"))
    }
}
