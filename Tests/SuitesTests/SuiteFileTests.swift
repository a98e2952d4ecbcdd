import Foundation
import JSON
import Suites
import Testing
import Vocabulary

/// A temporary folder holding a suite file and the folders it names.
final class SuiteScratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-suite-\(UUID().uuidString)").path
        for folder in ["gt", "pred-a", "pred-b", "data/images", "data/gt"] {
            try FileManager.default.createDirectory(atPath: path + "/" + folder, withIntermediateDirectories: true)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` as `suite.json` and returns its path.
    func suite(_ text: String) throws -> String {
        let file = path + "/suite.json"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The error loading `text` gives, without the file name prefix.
    func error(_ text: String) throws -> String {
        let file = try suite(text)
        do {
            _ = try SuiteFile.load(path: file)
        } catch {
            #expect(error.description.hasPrefix(file + ": "), "\(error)")
            return String(error.description.dropFirst(file.count + 2))
        }
        Issue.record("no error for \(text)")
        return ""
    }
}

/// A valid suite with the given datasets and methods JSON.
func suiteText(
    datasets: String = #"[{"key": "potsdam", "vocabulary": "potsdam", "gt": "gt"}]"#,
    methods: String = #"[{"name": "A", "predictions": {"potsdam": "pred-a"}}]"#,
    extra: String = ""
) -> String {
    """
    {"schema": "ovseg.suite", "schema_version": 1, "name": "test suite", "training_vocabulary": "dlrsd",\(extra)
     "datasets": \(datasets), "methods": \(methods)}
    """
}

@Suite("Suite files")
struct SuiteFileTests {
    @Test func readsAValidSuiteWithRelativePaths() throws {
        let scratch = try SuiteScratch()
        let file = try scratch.suite(suiteText(
            datasets: #"""
                [{"key": "potsdam", "vocabulary": "potsdam", "data": "data", "layout": "official", "subset": "val", "title": "ISPRS Potsdam (val)"},
                 {"key": "p2", "vocabulary": "Potsdam", "data": "data", "encoding": {"ignore": [255, 254], "reduce_zero_label": false},
                  "split": {"seen": ["building", "trees"], "unseen": ["car"]}}]
                """#,
            methods: #"""
                [{"name": "CAT-Seg (re-run)", "predictions": {"potsdam": "pred-a", "p2": "/abs/pred"}, "prediction_encoding": "reduce-zero-label"},
                 {"name": "sgseg", "checkpoint": "model.safetensors", "eval": {"mode": "sgseg", "inference": "whole", "shortest_edge": "none"}}]
                """#,
            extra: #" "presence_policy": "gt-present","#))
        let suite = try SuiteFile.load(path: file)
        #expect(suite.name == "test suite")
        #expect(suite.presence.rawValue == "gt-present")
        #expect(suite.trainingVocabulary.key == "dlrsd")
        #expect(suite.datasets.map(\.key) == ["potsdam", "p2"])
        #expect(suite.datasets[0].title == "ISPRS Potsdam (val)")
        #expect(suite.datasets[1].title == "ISPRS Potsdam")
        #expect(suite.datasets[0].location == .layout(root: scratch.path + "/data", layout: "official", subset: "val", erodedBoundary: false))
        #expect(suite.datasets[1].location == .data(scratch.path + "/data"))
        #expect(suite.datasets[1].encoding.ignoreValues == [255, 254])
        #expect(suite.datasets[1].encoding.reduceZeroLabel == false)
        // Derived split on the first dataset, the given one (which overrides it) on the second.
        #expect(suite.datasets[0].splitOrigin == .suiteOverlap)
        #expect(suite.datasets[0].split.seen == ["building", "low vegetation", "tree", "car"])
        #expect(suite.datasets[1].splitOrigin == .suiteSplit)
        #expect(suite.datasets[1].split.seen == ["building", "tree"])
        #expect(suite.datasets[1].split.unseen == ["car"])
        #expect(suite.datasets[1].matches.map(\.test) == ["building", "tree"])
        #expect(suite.methods.map(\.slug) == ["cat-seg-re-run", "sgseg"])
        guard case .predictions(let folders) = suite.methods[0].source else { Issue.record("predictions"); return }
        #expect(folders == ["potsdam": scratch.path + "/pred-a", "p2": "/abs/pred"])
        guard case .checkpoint(let path, let settings) = suite.methods[1].source else { Issue.record("checkpoint"); return }
        #expect(path == scratch.path + "/model.safetensors")
        #expect(settings.mode == "sgseg" && settings.inference == "whole" && settings.shortestEdge == 0)
        // The checkpoint is missing: load accepts it, the input check names it.
        #expect(throws: SuiteError.self) { try suite.checkInputsExist() }
        do {
            try suite.checkInputsExist()
        } catch {
            #expect(error.description.contains("methods[0] (\"CAT-Seg (re-run)\").predictions.p2: /abs/pred is not a folder"))
        }
    }

    @Test func topLevelErrors() throws {
        let scratch = try SuiteScratch()
        #expect(try scratch.error("[]").contains("expected a JSON object"))
        #expect(try scratch.error("{\"name\": \"x\"").isEmpty == false)
        #expect(try scratch.error(suiteText().replacingOccurrences(of: #""schema_version": 1"#, with: #""schema_version": 2"#))
            == "\"schema_version\" is 2; this ovseg reads version 1")
        #expect(try scratch.error(suiteText().replacingOccurrences(of: #""schema_version": 1, "#, with: ""))
            .hasPrefix("\"schema_version\" is missing"))
        #expect(try scratch.error(suiteText(extra: #" "nmae": "x","#)).hasPrefix("unknown key \"nmae\" (did you mean \"name\"?)"))
        #expect(try scratch.error(suiteText().replacingOccurrences(of: #""dlrsd""#, with: #""dlrds""#))
            .hasPrefix("training_vocabulary: unknown vocabulary \"dlrds\" (did you mean \"dlrsd\"?)"))
        #expect(try scratch.error(suiteText(extra: #" "presence_policy": "union","#))
            .hasPrefix("presence_policy: \"presence_policy\" is \"union\""))
        #expect(try scratch.error(suiteText(datasets: "[]")) == "datasets: expected a non-empty list of test datasets")
    }

    @Test func datasetErrorsNameTheEntry() throws {
        let scratch = try SuiteScratch()
        let potsdam = #"{"key": "potsdam", "vocabulary": "potsdam", "gt": "gt"}"#
        func error(_ dataset: String) throws -> String {
            try scratch.error(suiteText(datasets: "[\(potsdam), \(potsdam.replacingOccurrences(of: "\"potsdam\", \"vocabulary\"", with: "\"p2\", \"vocabulary\"")), \(dataset)]",
                                        methods: #"[{"name": "A", "predictions": {"potsdam": "a", "p2": "a", "x": "a"}}]"#))
        }
        #expect(try error(#"{"key": "x", "vocabulary": "potsdm", "gt": "gt"}"#)
            == #"datasets[2] ("x"): unknown vocabulary "potsdm" (did you mean "potsdam"?); bundled: "# + Vocabulary.bundledKeys.joined(separator: ", "))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam"}"#).hasPrefix(#"datasets[2] ("x"): give the ground truth as "gt""#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "data": "data"}"#)
            == #"datasets[2] ("x"): give "gt" or "data", not both"#)
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "layout": "official"}"#)
            .hasPrefix(#"datasets[2] ("x"): "layout", "subset" and "eroded_boundary" go with "data""#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "data": "data", "layout": "oficial"}"#)
            .hasPrefix(#"datasets[2] ("x"): vocabulary potsdam has no layout "oficial" (did you mean "official"?)"#))
        #expect(try error(#"{"key": "potsdam", "vocabulary": "potsdam", "gt": "gt"}"#)
            == #"datasets[2] ("potsdam"): key "potsdam" is already used by datasets[0]"#)
        #expect(try error(#"{"key": "../x", "vocabulary": "potsdam", "gt": "gt"}"#).hasPrefix(#"datasets[2] ("../x"): key "../x" names the cell files"#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "splt": {}}"#)
            .hasPrefix(#"datasets[2] ("x"): unknown key "splt" (did you mean "split"?)"#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "split": {"seen": ["building"], "unseen": ["cra"]}}"#)
            .hasPrefix(#"datasets[2] ("x").split.unseen: 'cra'"#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "split": {"seen": ["building"]}}"#)
            .hasPrefix(#"datasets[2] ("x").split: give both "seen" and "unseen""#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "encoding": {"ignore": [3]}}"#)
            .hasPrefix(#"datasets[2] ("x").encoding: "#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "encoding": {"ignore_colors": [[1, 2]]}}"#)
            .hasPrefix(#"datasets[2] ("x").encoding: "ignore_colors" must be a list of [R, G, B]"#))
        #expect(try error(#"{"key": "x", "vocabulary": "potsdam", "gt": "gt", "encoding": {"label_format": "colour"}}"#)
            .hasPrefix(#"datasets[2] ("x").encoding: "label_format" is "colour" (did you mean "color"?)"#))
    }

    @Test func methodErrorsNameTheEntry() throws {
        let scratch = try SuiteScratch()
        func error(_ method: String, gtOnly: Bool = true) throws -> String {
            let datasets = gtOnly
                ? #"[{"key": "potsdam", "vocabulary": "potsdam", "gt": "gt"}]"#
                : #"[{"key": "potsdam", "vocabulary": "potsdam", "data": "data"}]"#
            return try scratch.error(suiteText(
                datasets: datasets, methods: #"[{"name": "A", "predictions": {"potsdam": "pred-a"}}, "# + method + "]"))
        }
        #expect(try error(#"{"name": "B", "predictions": {"potsdm": "x"}}"#)
            == #"methods[1] ("B").predictions: no dataset has the key "potsdm" (did you mean "potsdam"?); dataset keys: potsdam"#)
        #expect(try error(#"{"name": "B", "predictions": {}}"#)
            == #"methods[1] ("B").predictions: no prediction folder for dataset "potsdam"; every method covers every dataset"#)
        #expect(try error(#"{"name": "B"}"#) == #"methods[1] ("B"): give "predictions" (a folder per dataset key) or "checkpoint""#)
        #expect(try error(#"{"name": "B", "predictions": {"potsdam": "x"}, "checkpoint": "m"}"#)
            == #"methods[1] ("B"): give "predictions" or "checkpoint", not both"#)
        #expect(try error(#"{"name": "A", "predictions": {"potsdam": "x"}}"#) == #"methods[1] ("A"): name "A" is already used by methods[0]"#)
        #expect(try error(#"{"name": "a!", "predictions": {"potsdam": "x"}}"#).hasPrefix(#"methods[1] ("a!"): name "a!" gives the same file name (a)"#))
        #expect(try error(#"{"name": "B", "checkpoint": "m.safetensors"}"#)
            .hasPrefix(#"methods[1] ("B"): a checkpoint needs images, but dataset "potsdam" gives only "gt""#))
        #expect(try error(#"{"name": "B", "checkpoint": "m", "eval": {"mode": "sgsg"}}"#, gtOnly: false)
            .hasPrefix(#"methods[1] ("B").eval: "mode" is "sgsg" (did you mean "sgseg"?)"#))
        #expect(try error(#"{"name": "B", "checkpoint": "m", "eval": {"mode": "sgseg", "threshold": 0.3}}"#, gtOnly: false)
            == #"methods[1] ("B").eval: "threshold" applies to mode training-free, not sgseg"#)
        #expect(try error(#"{"name": "B", "checkpoint": "m", "eval": {"pooling": 3}}"#, gtOnly: false)
            == #"methods[1] ("B").eval: "pooling" must be an integer from 1 to 2"#)
        #expect(try error(#"{"name": "B", "predictions": {"potsdam": "x"}, "prediction_encoding": "plus-one"}"#)
            .hasPrefix(#"methods[1] ("B").prediction_encoding: expected "class-ids""#))
        #expect(try error(#"{"name": "B", "checkpoint": "m", "eval": {"templates": ["a photo"]}}"#, gtOnly: false)
            .hasPrefix(#"methods[1] ("B").eval: template "a photo" must hold exactly one {}"#))
    }
}

@Suite("Suite-run manifests")
struct SuiteManifestTests {
    static let valid = #"""
        {"schema": "ovseg.suite-run", "schema_version": 1, "suite": {"name": "s", "file": "suite.json", "sha256": "ab"},
         "training_vocabulary": "dlrsd", "presence_policy": "union-present",
         "datasets": [{"key": "potsdam", "title": "Potsdam", "vocabulary": "potsdam",
                       "split": {"origin": "derived", "seen": ["tree"], "unseen": ["car"], "matches": {"tree": "trees"}}}],
         "methods": [{"name": "m", "kind": "predictions"}],
         "cells": [{"method": "m", "dataset": "potsdam", "status": "done", "results": "cells/m/potsdam.ovseg.json"}]}
        """#

    func parse(_ text: String) throws -> SuiteManifest {
        try SuiteManifest.parse(try JSONCodec.parse(text, source: "suite-run.json"), source: "suite-run.json")
    }

    @Test func roundTrips() throws {
        let manifest = try parse(Self.valid)
        #expect(manifest.datasets[0].matches == [SuiteManifest.Match(test: "tree", training: "trees")])
        #expect(try parse(JSONCodec.serialize(manifest.json)) == manifest)
    }

    @Test func refusesBrokenManifests() throws {
        func error(_ from: String, _ to: String) -> String {
            do {
                _ = try parse(Self.valid.replacingOccurrences(of: from, with: to))
            } catch {
                return "\(error)"
            }
            return "no error"
        }
        #expect(error(#""status": "done""#, #""status": "finished""#)
            == #"suite-run.json: cells[0].status: "finished" is not done, failed or pending"#)
        #expect(error(#", "results": "cells/m/potsdam.ovseg.json""#, "") == "suite-run.json: cells[0]: is done but names no results file")
        #expect(error(#""method": "m", "dataset""#, #""method": "x", "dataset""#)
            == "suite-run.json: cells[0]: names a method or dataset the manifest does not list")
        #expect(error(#""schema_version": 1"#, #""schema_version": 2"#) == "suite-run.json: schema_version: this ovseg reads version 1")
        #expect(error(#""origin": "derived""#, #""origin": "guessed""#)
            == #"suite-run.json: datasets[0].split.origin: expected "derived" or "suite""#)
    }
}
