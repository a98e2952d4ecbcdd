import Foundation
import Testing
@testable import Vocabulary

/// The `layouts` array of vocabulary files (docs/dataset-layouts.md §1–§2).
@Suite struct DatasetLayoutTests {
    func load(_ layouts: [[String: Any]]) throws -> Vocabulary {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var document = validDocument()
        document["layouts"] = layouts
        return try Vocabulary.load(path: try directory.write(document, as: "toy.json"))
    }

    func problem(_ layouts: [[String: Any]]) throws -> VocabularyError {
        do {
            _ = try load(layouts)
        } catch let error as VocabularyError {
            return error
        }
        Issue.record("expected a vocabulary error")
        return VocabularyError(.invalidValue, file: "", "none")
    }

    @Test func everyPresetHasAnOfficialLayout() throws {
        for key in ["potsdam", "vaihingen", "isaid", "loveda", "dlrsd", "openearthmap"] {
            let vocabulary = try Vocabulary.load(key: key)
            let layout = try vocabulary.layout(named: "official")
            #expect(layout.labels.placeholderNames.contains("id"), "\(key)")
            #expect(layout.source != nil, "\(key): a layout cites where its names come from")
        }
        let potsdam = try Vocabulary.load(key: "potsdam").layout(named: "official")
        guard case .ids(let val) = potsdam.subset(named: "val")?.members else {
            Issue.record("potsdam official has no val id list")
            return
        }
        #expect(val.count == 14 && val.contains("2_13") && val.contains("7_13"))
        #expect(potsdam.variant(named: "eroded")?.labels.text == "5_Labels_all_noBoundary/top_potsdam_{id}_label_noBoundary")
        let vaihingen = try Vocabulary.load(key: "vaihingen").layout(named: "official")
        guard case .ids(let areas) = vaihingen.subset(named: "val")?.members else {
            Issue.record("vaihingen official has no val id list")
            return
        }
        #expect(areas.count == 17 && !areas.contains("area9"))
    }

    @Test func vocabShowListsTheLayouts() throws {
        let summary = try Vocabulary.load(key: "potsdam").summary()
        #expect(summary.contains("  official: images 2_Ortho_RGB/top_potsdam_{id}_RGB, labels 5_Labels_all/top_potsdam_{id}_label"))
        #expect(summary.contains("    eroded labels: 5_Labels_all_noBoundary/top_potsdam_{id}_label_noBoundary"))
        #expect(summary.contains("    subsets: val (14 ids), train (24 ids)"))
        #expect(!(try Vocabulary.load(key: "udd5").summary().contains("Layouts")))
    }

    /// Where files lie does not change how pixels are counted: the fingerprint ignores layouts.
    @Test func layoutsAreNotPartOfTheFingerprint() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let without = try Vocabulary.load(path: try directory.write(validDocument(), as: "toy.json"))
        let with = try load([["name": "official", "images": "img/{id}", "labels": "gt/{id}_label"]])
        #expect(with.layouts.count == 1)
        #expect(without.layouts.isEmpty)
        #expect(with.fingerprint == without.fingerprint)
    }

    @Test func anUnknownLayoutNamesTheOnesThereAre() throws {
        let vocabulary = try Vocabulary.load(key: "potsdam")
        #expect(throws: VocabularyError.self) { try vocabulary.layout(named: "nope") }
        do {
            _ = try vocabulary.layout(named: "nope")
        } catch {
            #expect(error.description.contains("no layout named 'nope'; available: official, official-irrg, mmseg"), "\(error)")
        }
        let toy = try load([])
        do {
            _ = try toy.layout(named: "official")
        } catch {
            #expect(error.description.contains("declares no layouts"), "\(error)")
        }
    }

    @Test(arguments: [
        (#"{"name": "official", "images": "img/{id}", "labels": "gt/label"}"#, "layouts[0].labels", "{id} exactly once"),
        (#"{"name": "official", "images": "img/{id}.png", "labels": "gt/{id}"}"#, "layouts[0].images", "leave the extension out"),
        (#"{"name": "official", "images": "{id}/img", "labels": "gt/{id}"}"#, "layouts[0].images", "{id} must be in the file name"),
        (#"{"name": "official", "images": "img/{a}{id}", "labels": "gt/{id}"}"#, "layouts[0].images", "side by side"),
        (#"{"name": "official", "images": "../img/{id}", "labels": "gt/{id}"}"#, "layouts[0].images", "may not contain . or .."),
        (#"{"name": "official", "images": "img/{id}", "labels": "gt/{id}", "colour": 1}"#, "layouts[0].colour", "unknown key 'colour'"),
        (#"{"name": "official", "images": "img/{id}", "labels": "gt/{id}", "subsets": [{"name": "val", "ids": ["a"], "list_file": "val.txt"}]}"#,
         "layouts[0].subsets[0]", "exactly one of ids, placeholders or list_file"),
        (#"{"name": "official", "images": "img/{id}", "labels": "gt/{id}", "subsets": [{"name": "val", "placeholders": {"split": "Val"}}]}"#,
         "layouts[0].subsets[0].placeholders.split", "no placeholder {split}"),
        (#"{"name": "official", "images": "{split}/img/{id}", "labels": "gt/{id}", "subsets": [{"name": "val", "placeholders": {"split": "Val"}}]}"#,
         "layouts[0].subsets[0].placeholders.split", "the labels pattern has no placeholder {split}"),
        (#"{"name": "official", "images": "img/{id}", "labels": "gt/{id}", "variants": [{"name": "eroded", "labels": "{x}/{id}"}]}"#,
         "layouts[0].variants[0].labels", "must have the placeholders"),
    ])
    func aBrokenLayoutIsNamed(_ json: String, entry: String, fragment: String) throws {
        let layout = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let error = try problem([layout])
        #expect(error.entry == entry, "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
        #expect(error.file.hasSuffix("toy.json"))
    }

    @Test func twoLayoutsWithOneNameAreRejected() throws {
        let layout: [String: Any] = ["name": "official", "images": "img/{id}", "labels": "gt/{id}"]
        let error = try problem([layout, layout])
        #expect(error.entry == "layouts[1].name")
    }

    @Test func patternsMatchFileStems() throws {
        let potsdam = try LayoutPathPattern("5_Labels_all/top_potsdam_{id}_label")
        #expect(potsdam.match("5_Labels_all/top_potsdam_2_13_label") == ["id": "2_13"])
        #expect(potsdam.match("5_Labels_all/top_potsdam_2_13_label_noBoundary") == nil)
        #expect(potsdam.match("5_Labels_all/x/top_potsdam_2_13_label") == nil)
        #expect(potsdam.literalPrefix == ["5_Labels_all"])
        let isaid = try LayoutPathPattern("{split}/images/**/{id}")
        #expect(isaid.match("val/images/P0003") == ["split": "val", "id": "P0003"])
        #expect(isaid.match("val/images/images/P0003") == ["split": "val", "id": "P0003"])
        #expect(isaid.match("val/images/a/b/P0003") == ["split": "val", "id": "P0003"])
        #expect(isaid.match("val/labels/P0003") == nil)
        #expect(isaid.literalPrefix.isEmpty)
        let twice = try LayoutPathPattern("{scene}/{scene}_{id}")
        #expect(twice.match("beach/beach_00") == ["scene": "beach", "id": "00"])
        #expect(twice.match("beach/river_00") == nil)
    }
}
