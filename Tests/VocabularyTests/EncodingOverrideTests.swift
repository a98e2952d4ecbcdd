import Foundation
import LabelMaps
import Testing
import Vocabulary

/// `default_split` and command-line encoding overrides, on the toy vocabulary of TestSupport.
@Suite("Default split and encoding overrides")
struct EncodingOverrideTests {
    func load(_ document: [String: Any], _ name: String = "toy.json") throws -> Vocabulary {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        return try Vocabulary.load(path: try directory.write(document, as: name))
    }

    func withTwoSplits() -> [String: Any] {
        setting(validDocument(), ["splits"], to: [
            ["name": "toy-split", "seen": ["road", "building"], "unseen": ["tree"], "source": "made up for tests"],
            ["name": "other", "seen": ["tree"], "unseen": ["road"], "source": "also made up"],
        ])
    }

    // MARK: default split

    @Test func withoutDefaultSplitNoSplitIsChosen() throws {
        let vocabulary = try load(withTwoSplits())
        #expect(vocabulary.defaultSplitName == nil)
        #expect(try SplitSelection(split: nil, splitFile: nil).split(for: vocabulary) == nil)
        #expect(SplitSelection.vocabularyDefault.origin(for: vocabulary) == .noDefault)
    }

    @Test func defaultSplitIsUsedWhenNoneIsAskedFor() throws {
        let vocabulary = try load(setting(withTwoSplits(), ["default_split"], to: "other"))
        #expect(vocabulary.defaultSplit?.name == "other")
        let chosen = try SplitSelection(split: nil, splitFile: nil)
        #expect(try chosen.split(for: vocabulary)?.seenIDs == [2])
        #expect(chosen.origin(for: vocabulary) == .vocabularyDefault)
        #expect(vocabulary.summary().contains("  other: 1 seen / 1 unseen  [default]"))
        #expect(vocabulary.summary().contains("Default split: other (used when a run asks for none)"))
        // An explicit name still wins, and says so.
        let named = try SplitSelection(split: "toy-split", splitFile: nil)
        #expect(try named.split(for: vocabulary)?.name == "toy-split")
        #expect(named.origin(for: vocabulary) == .splitName)
        #expect(SplitSelection.none.origin(for: vocabulary) == .noSplit)
    }

    @Test func defaultSplitMustNameASplit() throws {
        let error = try #require(throws: VocabularyError.self) {
            try load(setting(withTwoSplits(), ["default_split"], to: "missing"))
        }
        #expect(error.kind == .unknownSplit)
        #expect(error.description.contains("default_split"), "\(error)")
        #expect(error.description.contains("'missing'"), "\(error)")
        #expect(error.description.contains("toy-split, other"), "\(error)")
    }

    @Test func defaultSplitDoesNotChangeTheFingerprint() throws {
        let plain = try load(withTwoSplits())
        let withDefault = try load(setting(withTwoSplits(), ["default_split"], to: "other"))
        #expect(plain.fingerprint == withDefault.fingerprint)
    }

    @Test func noBundledVocabularyPicksAnInferredSplitAsDefault() throws {
        for key in Vocabulary.bundledKeys {
            let vocabulary = try Vocabulary.load(key: key)
            if let split = vocabulary.defaultSplit { #expect(!split.inferred, "\(key) defaults to inferred \(split.name)") }
        }
    }

    // MARK: encoding overrides

    @Test func noOverrideKeepsTheVocabularysEncoding() throws {
        let vocabulary = try load(validDocument())
        let encoding = try vocabulary.effectiveEncoding(EncodingOverride())
        #expect(encoding == vocabulary.vocabularyEncoding)
        #expect(!encoding.isOverridden)
        #expect(encoding.ignoreValues == [255] && encoding.ignoreColors == [RGB(0, 0, 0)] && !encoding.reduceZeroLabel)
        #expect(encoding.labelFormat == nil)
    }

    @Test func eachOverriddenSettingIsRecordedWithItsOrigin() throws {
        let vocabulary = try load(validDocument())
        let encoding = try vocabulary.effectiveEncoding(EncodingOverride(
            reduceZeroLabel: true, ignoreValues: [250, 4, 250], labelFormat: .palette))
        #expect(encoding.reduceZeroLabel)
        #expect(encoding.ignoreValues == [250, 4])
        #expect(encoding.ignoreColors == [RGB(0, 0, 0)])
        #expect(encoding.labelFormat == .palette)
        #expect(encoding.origins == EffectiveEncoding.Origins(
            reduceZeroLabel: .commandLine, ignoreValues: .commandLine, ignoreColors: .vocabulary, labelFormat: .commandLine))
        #expect(encoding.vocabularySettings == VocabularyEncodingSettings(
            reduceZeroLabel: false, ignoreValues: [255], ignoreColors: [RGB(0, 0, 0)]))
        #expect(encoding.isOverridden)

        // The vocabulary as the run reads it keeps the file's fingerprint.
        let reading = vocabulary.withEncoding(encoding)
        #expect(reading.encoding.reduceZeroLabel && reading.encoding.ignoreValues == [250, 4])
        #expect(reading.fingerprint == vocabulary.fingerprint)
    }

    @Test func ignoreValuesAreValidatedLikeTheFilesOwn() throws {
        let vocabulary = try load(validDocument())
        let classID = try #require(throws: VocabularyError.self) {
            try vocabulary.effectiveEncoding(EncodingOverride(ignoreValues: [255, 2]))
        }
        #expect(classID.kind == .ignoreOverlap)
        #expect(classID.description.contains("--ignore"), "\(classID)")
        #expect(classID.description.contains("ignore value 2 is the id of class 'tree'"), "\(classID)")
        for value in [-1, 65_536] {
            let range = try #require(throws: VocabularyError.self) {
                try vocabulary.effectiveEncoding(EncodingOverride(ignoreValues: [value]))
            }
            #expect(range.kind == .invalidValue)
            #expect(range.description.contains("\(value) is outside 0…65535"), "\(range)")
        }
        #expect(try vocabulary.effectiveEncoding(EncodingOverride(ignoreValues: [65_535, 4])).ignoreValues == [65_535, 4])
        #expect(try vocabulary.effectiveEncoding(EncodingOverride(ignoreValues: [])).ignoreValues == [])
    }

    @Test func ignoreValuesMayBeClassIDsWhenTheVocabularyAllowsIt() throws {
        var document = setting(validDocument(), ["label_encoding", "ignore_values"], to: [3])
        document = setting(document, ["label_encoding", "allow_ignore_class_overlap"], to: true)
        let vocabulary = try load(document)
        #expect(try vocabulary.effectiveEncoding(EncodingOverride(ignoreValues: [1])).ignoreValues == [1])
    }

    @Test func ignoreColoursMayNotBeClassColours() throws {
        let vocabulary = try load(validDocument())
        let error = try #require(throws: VocabularyError.self) {
            try vocabulary.effectiveEncoding(EncodingOverride(ignoreColors: [RGB(0, 255, 0)]))
        }
        #expect(error.kind == .ignoreOverlap)
        #expect(error.description.contains("--ignore-color"), "\(error)")
        #expect(error.description.contains("class 'tree'"), "\(error)")
        let fine = try vocabulary.effectiveEncoding(EncodingOverride(ignoreColors: [RGB(1, 2, 3)]))
        #expect(fine.ignoreColors == [RGB(1, 2, 3)] && fine.origins.ignoreColors == .commandLine)
    }
}
