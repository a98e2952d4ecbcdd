import Foundation
import Testing

@testable import Harness
import LabelMaps
import SyntheticData

/// `ovseg eval --resume`: the journal, reuse of saved predictions, and refusal of mixed runs.
@Suite("Resuming an interrupted evaluation")
struct EvalResumeTests {
    let configuration = [("mode", "test"), ("templates", "a photo of a {}.")]

    func run(
        _ data: SmallDataset, saved: String, resume: Bool, sha256: String = "c0ffee",
        configuration: [(String, String)]? = nil, summary: inout ResumeSummary, calls: inout [String]
    ) throws -> RunRecord {
        var predictor = SimulatedPredictor(dataset: data.dataset, method: .smallObjectMisses)
        var got = ResumeSummary()
        let record = try ModelEvaluation.evaluate(
            dataset: EvaluationDataset(root: data.root), options: data.options(), predictor: &predictor,
            savePredictions: saved,
            provenance: (checkpoint: "model.safetensors", sha256: sha256, configuration: configuration ?? self.configuration),
            numerics: .sample, resume: resume, resumed: { got = $0 })
        summary = got
        calls = predictor.calls
        return record
    }

    func journalLines(_ folder: String) throws -> [String] {
        try String(contentsOfFile: EvalJournal.path(in: folder), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func interruptedRunResumesToTheUninterruptedResult() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch)
        var summary = ResumeSummary(), calls: [String] = []
        let whole = try run(data, saved: scratch.path + "/whole", resume: false, summary: &summary, calls: &calls)
        #expect(calls.count == 6)
        #expect(try journalLines(scratch.path + "/whole").count == 6)

        // The interrupted run: four images finished, killed while writing the fifth line.
        let saved = scratch.path + "/saved"
        _ = try run(data, saved: saved, resume: false, summary: &summary, calls: &calls)
        let lines = try journalLines(saved)
        let ids = whole.images.map(\.id)
        try (lines[0..<4].joined(separator: "\n") + "\n" + lines[4].prefix(20)).write(
            toFile: EvalJournal.path(in: saved), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: "\(saved)/\(ids[5]).png")
        // One finished prediction lost, one overwritten by something else: both are recomputed.
        try FileManager.default.removeItem(atPath: "\(saved)/\(ids[0]).png")
        try FileManager.default.copyItem(atPath: "\(data.pred(.seenCollapse))/\(ids[1]).png", toPath: "\(saved)/\(ids[1]).png.tmp")
        try FileManager.default.removeItem(atPath: "\(saved)/\(ids[1]).png")
        try FileManager.default.moveItem(atPath: "\(saved)/\(ids[1]).png.tmp", toPath: "\(saved)/\(ids[1]).png")

        let resumed = try run(data, saved: saved, resume: true, summary: &summary, calls: &calls)
        #expect(summary.reused == [ids[2], ids[3]])
        #expect(summary.total == 6)
        #expect(summary.changed.map(\.id) == [ids[0], ids[1]])
        #expect(summary.changed[0].reason.contains("missing"))
        #expect(summary.changed[1].reason.contains("changed"))
        #expect(calls == [ids[0], ids[1], ids[4], ids[5]])
        #expect(resumed.matrix == whole.matrix)
        #expect(resumed.images == whole.images)
        #expect(resumed.dataset.fingerprint == whole.dataset.fingerprint)
        // The partial line was cut off: the journal now lists every image on whole lines.
        let after = try journalLines(saved)
        #expect(after.count == 8)
        #expect(Set(try after.map { try JSONDecoder().decode(EvalJournal.Entry.self, from: Data($0.utf8)).id }) == Set(ids))

        // A second resume reuses everything and predicts nothing.
        let again = try run(data, saved: saved, resume: true, summary: &summary, calls: &calls)
        #expect(calls.isEmpty)
        #expect(summary.reused == ids)
        #expect(again.images == whole.images)
    }

    @Test func changedGroundTruthIsRecomputed() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 2)
        var summary = ResumeSummary(), calls: [String] = []
        let saved = scratch.path + "/saved"
        let first = try run(data, saved: saved, resume: false, summary: &summary, calls: &calls)
        let id = first.images[0].id
        // The ground truth of the first image replaced (by the second's): its saved prediction is not trusted.
        let path = "\(data.gt)/\(id).png"
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: "\(data.gt)/\(first.images[1].id).png", toPath: path)
        _ = try run(data, saved: saved, resume: true, summary: &summary, calls: &calls)
        #expect(calls == [id])
        #expect(summary.changed.map(\.id) == [id])
        #expect(summary.changed.first?.reason.contains("ground truth") == true)
    }

    @Test func anotherCheckpointOrConfigurationIsRefused() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 2)
        var summary = ResumeSummary(), calls: [String] = []
        let saved = scratch.path + "/saved"
        _ = try run(data, saved: saved, resume: false, summary: &summary, calls: &calls)
        expectFailure(containing: EvalJournal.fileName, "another checkpoint", "does not mix") {
            try run(data, saved: saved, resume: true, sha256: "beef", summary: &summary, calls: &calls)
        }
        expectFailure(containing: EvalJournal.fileName, "another configuration") {
            try run(
                data, saved: saved, resume: true, configuration: [("mode", "test"), ("templates", "{}")],
                summary: &summary, calls: &calls)
        }
        // Without --resume the run starts over and replaces the journal.
        _ = try run(data, saved: saved, resume: false, sha256: "beef", summary: &summary, calls: &calls)
        #expect(calls.count == 2)
        #expect(try journalLines(saved).allSatisfy { $0.contains("\"checkpoint_sha256\":\"beef\"") })
    }

    @Test func damagedJournalLineIsNamedAndResumeNeedsAFolder() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 2)
        var summary = ResumeSummary(), calls: [String] = []
        let saved = scratch.path + "/saved"
        _ = try run(data, saved: saved, resume: false, summary: &summary, calls: &calls)
        let lines = try journalLines(saved)
        try ("{broken\n" + lines[1] + "\n").write(toFile: EvalJournal.path(in: saved), atomically: true, encoding: .utf8)
        expectFailure(containing: EvalJournal.fileName, "line 1") {
            try run(data, saved: saved, resume: true, summary: &summary, calls: &calls)
        }
        var predictor = SimulatedPredictor(dataset: data.dataset, method: .smallObjectMisses)
        expectFailure(containing: "the resume setting needs a saved-predictions folder") {
            try ModelEvaluation.evaluate(
                dataset: EvaluationDataset(root: data.root), options: data.options(), predictor: &predictor,
                provenance: (checkpoint: nil, sha256: nil, configuration: []), numerics: .sample, resume: true)
        }
    }
}
