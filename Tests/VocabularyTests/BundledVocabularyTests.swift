import Testing
@testable import Vocabulary

/// The datasets the suite promises to ship.
let requiredKeys = ["potsdam", "vaihingen", "isaid", "loveda", "dlrsd", "openearthmap", "uavid", "udd5", "vdd", "gid5"]

@Suite("Bundled vocabularies")
struct BundledVocabularyTests {
    @Test func everyRequiredDatasetIsBundled() {
        let keys = Vocabulary.bundledKeys
        for key in requiredKeys {
            #expect(keys.contains(key), "missing bundled vocabulary \(key); have \(keys)")
        }
    }

    @Test(arguments: requiredKeys)
    func loadsAndIsConsistent(key: String) throws {
        let vocabulary = try Vocabulary.load(key: key)
        #expect(vocabulary.key == key)
        #expect(vocabulary.classes.map(\.id) == Array(0..<vocabulary.classCount))
        #expect(vocabulary.colorTable.count == vocabulary.classCount)
        #expect(!vocabulary.splits.isEmpty, "every dataset needs at least one split")
        for split in vocabulary.splits {
            #expect(split.source != nil || (split.inferred && split.notes != nil), "split \(split.name) lacks provenance")
            #expect(split.seenIDs.map { vocabulary.classes[$0].name } == split.seen)
            #expect(split.unseenIDs.map { vocabulary.classes[$0].name } == split.unseen)
        }
        // The released SGSeg/CAT-Seg template stays first for parity with the reference model.
        #expect(vocabulary.promptTemplates.first == "A photo of a {} in the scene")
        #expect(!vocabulary.sources.isEmpty)
    }

    @Test func validateAllReportsEveryBundledFileValid() {
        let reports = Vocabulary.validateAll()
        #expect(reports.count == Vocabulary.bundledKeys.count + SceneVocabulary.bundledKeys.count)
        #expect(reports.count >= requiredKeys.count)
        for report in reports {
            #expect(report.isValid, "\(report.file): \(report.problems.map(\.description))")
            #expect(report.fingerprint?.hasPrefix("fnv1a64:") == true)
        }
    }

    @Test func isaidZoriSplitHasTheFourPublishedUnseenClasses() throws {
        let isaid = try Vocabulary.load(key: "isaid")
        let split = try isaid.split(named: "zori-11-4")
        #expect(Set(split.unseen) == ["tennis court", "helicopter", "swimming pool", "soccer ball field"])
        #expect(split.unseen.count == 4)
        #expect(split.seen.count == 11)
        #expect(Set(split.unseenIDs) == [4, 10, 11, 13])
        #expect(!split.inferred)
        #expect(split.source?.contains("ZoRI") == true)
        #expect(!split.seen.contains("background"))
    }

    @Test(arguments: ["potsdam", "vaihingen"])
    func isprsDatasetsHaveASeenUnseenSplit(key: String) throws {
        let vocabulary = try Vocabulary.load(key: key)
        let split = try #require(vocabulary.splits.first)
        #expect(!split.seen.isEmpty && !split.unseen.isEmpty)
        #expect(split.inferred, "no published ISPRS split exists; it must say inferred")
    }

    @Test func classLookupMatchesNamesAndSynonymsIgnoringCase() throws {
        let potsdam = try Vocabulary.load(key: "potsdam")
        #expect(potsdam.classID(named: "Parking Lot") == 0)
        #expect(potsdam.classID(named: "  TREES ") == 3)
        #expect(potsdam.classID(named: "clutter/background") == 5)
        #expect(potsdam.classID(named: "ship") == nil)
    }

    @Test func unknownSplitNamesTheAvailableOnes() throws {
        let isaid = try Vocabulary.load(key: "isaid")
        let error = try #require(throws: VocabularyError.self) { try isaid.split(named: "no-such-split") }
        #expect(error.kind == .unknownSplit)
        #expect(error.description.contains("no-such-split"))
        #expect(error.description.contains("zori-11-4"))
    }

    @Test func summaryListsClassesColoursAndSplitSources() throws {
        let isaid = try Vocabulary.load(key: "isaid")
        let text = isaid.summary()
        #expect(text.contains("soccer ball field"))
        #expect(text.contains("(0,127,191)"))
        #expect(text.contains("store tank"))
        #expect(text.contains("zori-11-4: 11 seen / 4 unseen"))
        #expect(text.contains("HuangShiqi128/ZoRI"))
        #expect(text.contains(isaid.fingerprint))
        #expect(text.contains("Default split: none (a run without --split reports the all-class figures only)"))
        #expect(!text.contains("[default]"))
    }
}

/// A split given for one run (`--seen … --unseen …`) resolves names and synonyms like the
/// vocabulary's own splits and refuses what would make its means meaningless.
@Suite struct CommandLineSplitTests {
    @Test func namesAndSynonymsResolveToIDs() throws {
        let vocabulary = try Vocabulary.load(key: "potsdam")
        let named = try vocabulary.split(named: "dlrsd-overlap")
        let given = try vocabulary.split(
            seen: ["Building", " tree ", "car"], unseen: ["impervious surfaces", "low vegetation", "clutter/background"])
        #expect(given.seenIDs == named.seenIDs && given.unseenIDs == named.unseenIDs)
        #expect(given.name == "command-line" && given.source?.contains("--seen") == true && !given.inferred)
    }

    @Test(arguments: [
        (["building"], ["submarine"], "'submarine' is not a class name"),
        (["building"], ["building"], "building is both seen and unseen"),
        (["building", "Building"], ["car"], "names building twice"),
        ([], ["car"], "no seen class given"),
    ])
    func badSplitsAreNamed(seen: [String], unseen: [String], message: String) throws {
        let vocabulary = try Vocabulary.load(key: "potsdam")
        #expect {
            try vocabulary.split(seen: seen, unseen: unseen)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
