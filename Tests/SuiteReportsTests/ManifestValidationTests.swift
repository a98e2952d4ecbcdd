import Foundation
import JSON
import SuiteReports
import Testing

@Suite struct ManifestValidationTests {
    /// Loads a copy of the fixture after `edit` (of the manifest) and `change` (of the files); returns the error.
    func loadError(
        _ edit: (inout JSONObject) -> Void = { _ in }, change: (String) throws -> Void = { _ in }
    ) throws -> SuiteReportError? {
        let directory = try SuiteFixture.temporaryCopy()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SuiteFixture.editManifest(directory, edit)
        try change(directory)
        do {
            _ = try SuiteRun.load(directory: directory)
            return nil
        } catch let failure {
            return failure
        }
    }

    @Test func theFixtureLoads() throws {
        #expect(try loadError() == nil)
    }

    @Test func aMissingManifestNamesTheFolder() throws {
        let failure = try loadError(change: { try FileManager.default.removeItem(atPath: $0 + "/suite-run.json") })
        #expect(failure?.kind == .manifest)
        #expect(failure?.message.contains("suite-run.json: no suite-run manifest") == true)
    }

    @Test func aBadSchemaVersionIsRefusedWithTheValue() throws {
        let failure = try loadError { $0["schema_version"] = .int(7) }
        #expect(failure?.kind == .manifest)
        #expect(failure?.message.hasSuffix("suite-run.json: schema_version: this ovseg reads version 1, the file has version 7") == true)
        let schema = try loadError { $0["schema"] = .string("ovseg.suite") }
        #expect(schema?.message.contains("schema: expected \"ovseg.suite-run\", found \"ovseg.suite\"") == true)
    }

    @Test func entriesAreNamedInShapeErrors() throws {
        let policy = try loadError { $0["presence_policy"] = .string("sometimes") }
        #expect(policy?.message.contains("presence_policy: unknown presence policy \"sometimes\"") == true)
        let cell = try loadError { root in
            var cells = root["cells"]?.arrayValue ?? []
            cells[1] = .object(JSONObject([("method", .string("CAT-Seg (ours, re-run)")), ("dataset", .string("vaihingen")), ("status", .string("done"))]))
            root["cells"] = .array(cells)
        }
        #expect(cell?.message.contains("cells[1].dataset: \"vaihingen\" is not one of the manifest's dataset keys") == true)
        let status = try loadError { root in
            var cells = root["cells"]?.arrayValue ?? []
            cells[0] = .object(JSONObject([("method", .string("Zero-shot")), ("dataset", .string("potsdam")), ("status", .string("running"))]))
            root["cells"] = .array(cells)
        }
        #expect(status?.message.contains("cells[0].status: expected \"done\", \"failed\" or \"pending\", found \"running\"") == true)
        let twice = try loadError { root in
            var methods = root["methods"]?.arrayValue ?? []
            methods.append(.object(JSONObject([("name", .string("Zero-shot"))])))
            root["methods"] = .array(methods)
        }
        #expect(twice?.message.contains("methods[3].name: the method name \"Zero-shot\" appears twice") == true)
    }

    @Test func aMissingResultsFileNamesTheFileAndTheCell() throws {
        let failure = try loadError(change: { try FileManager.default.removeItem(atPath: $0 + "/cells/m1/loveda.ovseg.json") })
        #expect(failure?.kind == .cell)
        #expect(failure?.message.contains("cells/m1/loveda.ovseg.json (cell Ours_v2 & {50%} #1 ~$^\\ × loveda): the manifest says the cell is done but its results file does not exist") == true)
    }

    @Test func aResultsFileOfAnotherVocabularyIsRefused() throws {
        // Potsdam's results file put in LoveDA's place.
        let failure = try loadError(change: { directory in
            let target = directory + "/cells/m0/loveda.ovseg.json"
            try FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: directory + "/cells/m0/potsdam.ovseg.json", toPath: target)
        })
        #expect(failure?.kind == .cell)
        #expect(failure?.message.contains("cells/m0/loveda.ovseg.json (cell CAT-Seg (ours, re-run) × loveda): scored with vocabulary 'potsdam', but the manifest's dataset 'loveda' has vocabulary 'loveda'") == true)
    }

    @Test func aVocabularyFileDatasetStillNeedsOneClassListPerDataset() throws {
        // With a vocabulary path the key is not compared, but every cell must share the class list.
        let failure = try loadError({ root in
            var datasets = root["datasets"]?.arrayValue ?? []
            if case .object(var loveda) = datasets[1] {
                loveda["vocabulary"] = .string("vocabularies/my-loveda.json")
                loveda["split"] = nil
                datasets[1] = .object(loveda)
            }
            root["datasets"] = .array(datasets)
        }, change: { directory in
            let target = directory + "/cells/m2/loveda.ovseg.json"
            try FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: directory + "/cells/m2/potsdam.ovseg.json", toPath: target)
        })
        #expect(failure?.message.contains("cells/m2/loveda.ovseg.json (cell Zero-shot × loveda): vocabulary potsdam (6 classes") == true)
    }

    @Test func aSplitThatDisagreesWithTheManifestIsRefused() throws {
        let failure = try loadError { root in
            var datasets = root["datasets"]?.arrayValue ?? []
            if case .object(var potsdam) = datasets[0] {
                potsdam["split"] = .object(JSONObject([
                    ("origin", .string("suite")), ("seen", .array([.string("building")])),
                    ("unseen", .array([.string("tree"), .string("car")])),
                ]))
                datasets[0] = .object(potsdam)
            }
            root["datasets"] = .array(datasets)
        }
        #expect(failure?.message.contains("its split 'suite-derived' (seen: building, tree, car) is not the manifest's split of 'potsdam' (seen: building)") == true)
        let unknown = try loadError { root in
            var datasets = root["datasets"]?.arrayValue ?? []
            if case .object(var gid) = datasets[2] {
                gid["split"] = .object(JSONObject([
                    ("origin", .string("suite")), ("seen", .array([.string("waters")])), ("unseen", .array([])),
                ]))
                datasets[2] = .object(gid)
            }
            root["datasets"] = .array(datasets)
        }
        #expect(unknown?.message.contains("names the class 'waters', which the results file's vocabulary 'gid5' does not have") == true)
    }

    @Test func aPresencePolicyOtherThanTheSuitesIsRefused() throws {
        let failure = try loadError { $0["presence_policy"] = .string("gt-present") }
        #expect(failure?.message.contains("presence policy union-present, but the suite's is gt-present") == true)
    }

    @Test func pendingAndUnlistedCellsAreMissingNotErrors() throws {
        let directory = try SuiteFixture.temporaryCopy()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SuiteFixture.editManifest(directory) { root in
            var cells = root["cells"]?.arrayValue ?? []
            cells[0] = .object(JSONObject([("method", .string("CAT-Seg (ours, re-run)")), ("dataset", .string("potsdam")), ("status", .string("pending"))]))
            cells.removeLast()  // Zero-shot × GID-5 not listed at all
            root["cells"] = .array(cells)
        }
        let run = try SuiteRun.load(directory: directory)
        #expect(run.states[0][0] == .pending && run.states[2][2] == .pending)
        let grid = try #require(try SuiteGridDocument(run: run, options: SuiteGridOptions(bootstrap: nil)).grids.first)
        #expect(grid.footnotes.contains { $0.contains("CAT-Seg (ours, re-run) × Potsdam: not run yet") })
    }
}
