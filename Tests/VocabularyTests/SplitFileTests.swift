import Foundation
import JSON
import Testing
@testable import Vocabulary

/// `--split-file`: the file's shape, its class names against a vocabulary, and the option's exclusivity.
@Suite("Split files")
struct SplitFileTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    func write(_ text: String) throws -> String { try directory.write(text, as: "split-\(UUID().uuidString).json") }

    /// The error `load` then `split(for: potsdam)` throws for `text`, or nil when both succeed.
    func problem(_ text: String, vocabulary key: String = "potsdam") throws -> VocabularyError? {
        let path = try write(text)
        do {
            _ = try SplitFile.load(path: path).split(for: Vocabulary.load(key: key))
            return nil
        } catch let error as VocabularyError {
            #expect(error.file == path, "every error names the file")
            return error
        }
    }

    @Test func aValidFileGivesTheSplitWithTheFileAsItsSource() throws {
        let path = try write("""
            {"name": "my-fold0", "vocabulary": "Potsdam", "seen": ["Buildings", "tree"], "unseen": ["car", "road"],
             "source": "Table 1 of a paper", "schema": "ovseg-split/1"}
            """)
        let split = try SplitFile.load(path: path).split(for: Vocabulary.load(key: "potsdam"))
        #expect(split.name == "my-fold0")
        #expect(split.seen == ["building", "tree"] && split.seenIDs == [1, 3])
        // "road" is a synonym of impervious surfaces (id 0); unseen keeps the file's order.
        #expect(split.unseen == ["car", "impervious surfaces"] && split.unseenIDs == [4, 0])
        #expect(split.source == "split file \(path); Table 1 of a paper")
        #expect(!split.inferred)
        // Low vegetation and clutter are on neither side: allowed, as in bundled splits.
        #expect(!split.seenIDs.contains(2) && !split.unseenIDs.contains(2))
    }

    /// A split entry copied out of a bundled vocabulary file is a valid split file, and gives that split.
    @Test func aBundledSplitEntryIsASplitFile() throws {
        let loveda = try Vocabulary.load(key: "loveda")
        let url = try #require(Vocabulary.bundledDirectory).appendingPathComponent("loveda.json")
        let document = try JSONCodec.read(path: url.path)
        let entries = try #require(document["splits"]?.arrayValue)
        for (entry, bundled) in zip(entries, loveda.splits) {
            let path = try directory.write(JSONCodec.serialize(entry), as: "\(bundled.name).json")
            let split = try SplitFile.load(path: path).split(for: loveda)
            #expect(split.name == bundled.name && split.seenIDs == bundled.seenIDs && split.unseenIDs == bundled.unseenIDs)
            #expect(split.source == "split file \(path); \(bundled.source ?? "")")
        }
    }

    @Test func unreadableAndMalformedFiles() throws {
        let missing = directory.url.appendingPathComponent("nope.json").path
        let error = #expect(throws: VocabularyError.self) { try SplitFile.load(path: missing) }
        #expect(error?.kind == .unreadableFile && error?.description.hasPrefix(missing + ": cannot open") == true, "\(String(describing: error))")
        #expect(try problem("{\"name\": \"x\",")?.kind == .malformedJSON)
        let array = try problem("[\"building\"]")
        #expect(array?.kind == .wrongType && array?.problem.contains("JSON object") == true)
    }

    @Test func unknownKeysGetTheClosestAllowedKey() throws {
        let error = try problem(#"{"name": "x", "seen": ["car"], "unsen": ["tree"]}"#)
        #expect(error?.kind == .unknownKey && error?.entry == "unsen")
        #expect(error?.problem.contains("did you mean 'unseen'?") == true, "\(String(describing: error))")
        let far = try problem(#"{"name": "x", "seen": ["car"], "unseen": ["tree"], "colour": 1}"#)
        #expect(far?.kind == .unknownKey && far?.problem.contains("did you mean") == false)
    }

    @Test func missingEmptyAndMistypedEntries() throws {
        let cases: [(String, VocabularyError.Kind, String)] = [
            (#"{"seen": ["car"], "unseen": ["tree"]}"#, .missingKey, "name"),
            (#"{"name": " ", "seen": ["car"], "unseen": ["tree"]}"#, .invalidValue, "name"),
            (#"{"name": "None", "seen": ["car"], "unseen": ["tree"]}"#, .invalidValue, "name"),
            (#"{"name": 3, "seen": ["car"], "unseen": ["tree"]}"#, .wrongType, "name"),
            (#"{"name": "x", "unseen": ["tree"]}"#, .missingKey, "seen"),
            (#"{"name": "x", "seen": "car", "unseen": ["tree"]}"#, .wrongType, "seen"),
            (#"{"name": "x", "seen": ["car"], "unseen": []}"#, .emptySplitSide, "unseen"),
            (#"{"name": "x", "seen": ["car", 2], "unseen": ["tree"]}"#, .wrongType, "seen[1]"),
            (#"{"name": "x", "seen": ["car"], "unseen": ["tree"], "inferred": "yes"}"#, .wrongType, "inferred"),
            (#"{"name": "x", "seen": ["car"], "unseen": ["tree"], "source": null, "notes": 1}"#, .wrongType, "notes"),
            (#"{"schema": "ovseg-vocabulary/1", "name": "x", "seen": ["car"], "unseen": ["tree"]}"#, .wrongSchema, "schema"),
        ]
        for (text, kind, entry) in cases {
            let error = try problem(text)
            #expect(error?.kind == kind && error?.entry == entry, "\(text): \(String(describing: error))")
        }
    }

    @Test func unknownClassesGetTheClosestNameAndTheClassList() throws {
        let error = try #require(try problem(#"{"name": "x", "seen": ["car"], "unseen": ["tree", "buidling"]}"#))
        #expect(error.kind == .unknownClassInSplit && error.entry == "unseen[1]")
        #expect(error.problem.contains("'buidling' is not a class name or synonym of ISPRS Potsdam"), "\(error)")
        #expect(error.problem.contains("did you mean 'building'?") && error.problem.contains("classes: impervious surfaces, building"))
        let far = try #require(try problem(#"{"name": "x", "seen": ["helicopter"], "unseen": ["tree"]}"#))
        #expect(far.entry == "seen[0]" && !far.problem.contains("did you mean"))
    }

    @Test func classesNamedTwiceOrOnBothSides() throws {
        let twice = try problem(#"{"name": "x", "seen": ["car", "Cars"], "unseen": ["tree"]}"#)
        #expect(twice?.kind == .invalidValue && twice?.entry == "seen[1]" && twice?.problem.contains("names car") == true)
        let both = try problem(#"{"name": "x", "seen": ["car", "tree"], "unseen": ["building", "trees"]}"#)
        #expect(both?.kind == .classBothSeenAndUnseen && both?.entry == "unseen[1]")
        #expect(both?.problem.contains("tree is also listed as seen") == true, "\(String(describing: both))")
    }

    @Test func anotherVocabularyOrABundledNameWithOtherClassesIsRefused() throws {
        let other = try problem(#"{"name": "x", "vocabulary": "loveda", "seen": ["car"], "unseen": ["tree"]}"#)
        #expect(other?.kind == .keyMismatch && other?.entry == "vocabulary" && other?.problem.contains("'loveda'") == true)
        let taken = try problem(#"{"name": "DLRSD-overlap", "seen": ["car"], "unseen": ["tree"]}"#)
        #expect(taken?.kind == .duplicateSplitName && taken?.entry == "name", "\(String(describing: taken))")
        // The bundled split's own classes under its name: the same split, accepted.
        let same = try problem("""
            {"name": "dlrsd-overlap", "seen": ["building", "tree", "car"],
             "unseen": ["impervious surfaces", "low vegetation", "clutter/background"]}
            """)
        #expect(same == nil, "\(String(describing: same))")
    }

    @Test func theSplitOptionsAreExclusive() throws {
        let path = try write(#"{"name": "x", "seen": ["car"], "unseen": ["tree"]}"#)
        let conflicts: [() throws -> SplitSelection] = [
            { try SplitSelection(split: "dlrsd-overlap", splitFile: path) },
            { try SplitSelection(split: nil, noSplit: true, splitFile: path) },
            { try SplitSelection(split: nil, seen: ["car"], unseen: ["tree"], splitFile: path) },
            { try SplitSelection(split: "dlrsd-overlap", seen: ["car"], splitFile: nil) },
            { try SplitSelection(split: "dlrsd-overlap", noSplit: true, splitFile: nil) },
        ]
        for make in conflicts {
            #expect(throws: SplitSelectionError.self) { try make() }
        }
        do {
            _ = try SplitSelection(split: "a", splitFile: path)
        } catch {
            #expect(error.description == "a split name and a split file each choose the run's split; give one of them")
            #expect(error.kind == .conflicting([.name, .file]))
        }
        let potsdam = try Vocabulary.load(key: "potsdam")
        #expect(try SplitSelection(split: nil, splitFile: path).split(for: potsdam)?.name == "x")
        // Potsdam's only split is inferred, so it declares no default_split: no split unless asked for.
        #expect(potsdam.defaultSplitName == nil)
        #expect(try SplitSelection(split: nil, splitFile: nil).split(for: potsdam) == nil)
        #expect(try SplitSelection(split: "dlrsd-overlap", splitFile: nil).split(for: potsdam)?.name == "dlrsd-overlap")
        #expect(try SplitSelection(split: nil, noSplit: true, splitFile: nil).split(for: potsdam) == nil)
        // An unreadable file is reported when the options are read, before any scoring.
        #expect(throws: SplitSelectionError.self) { try SplitSelection(split: nil, splitFile: path + ".missing") }
    }

    /// `--seen/--unseen` suggest the closest name too.
    @Test func commandLineClassesGetTheClosestName() throws {
        let potsdam = try Vocabulary.load(key: "potsdam")
        let error = #expect(throws: VocabularyError.self) { try potsdam.split(seen: ["car"], unseen: ["tre"]) }
        #expect(error?.problem.contains("did you mean 'tree'?") == true, "\(String(describing: error))")
    }
}
