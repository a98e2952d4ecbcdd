import CheckpointConversion
@testable import Evaluation
import Foundation
import Harness
import ParityTestSupport
import SafeTensors
import Segmenter
import SyntheticData
import Testing
import Vocabulary

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
private let demoCheckpoint = repository.appendingPathComponent("Demo/sgseg-demo.safetensors").path
private let tinyCLIP = repository.appendingPathComponent("Tests/TrainingFreeTests/Fixtures/clip_tiny.safetensors").path

/// The evaluation library on its own: what it tells from a checkpoint, and the requests it refuses
/// before loading anything (each naming the setting, never a command-line option).
struct EvaluationTests {
    @Test func checkpointKinds() throws {
        #expect(try CheckpointKind(path: demoCheckpoint) == .segmenter(architecture: "sgseg"))
        #expect(try CheckpointKind(path: tinyCLIP) == .plainCLIP)
        #expect(EvaluationMode.auto.resolved(for: .plainCLIP) == .trainingFree)
        #expect(EvaluationMode.auto.resolved(for: .segmenter(architecture: "catseg")) == .auto)
        #expect(EvaluationMode.sgseg.resolved(for: .plainCLIP) == .sgseg)
    }

    @Test func unreadableCheckpointIsACheckpointError() {
        #expect {
            _ = try CheckpointKind(path: "/nonexistent/model.safetensors")
        } throws: { error in
            guard let error = error as? EvaluationError else { return false }
            return error.kind == .checkpoint && error.message.contains("/nonexistent/model.safetensors")
        }
    }

    @Test func requestsRefusedBeforeLoading() throws {
        let scoring = ScoreOptions(vocabulary: try Vocabulary.resolve("potsdam"), split: nil, jobs: 1, method: "m")
        let dataset = EvaluationDataset(root: "/nonexistent")
        let cases: [(EvaluationRequest, EvaluationSetting)] = [
            (EvaluationRequest(checkpoint: demoCheckpoint, dataset: dataset, scoring: scoring, threads: 0), .threads),
            (EvaluationRequest(checkpoint: demoCheckpoint, dataset: dataset, scoring: scoring, resume: true, threads: 1), .resume),
            (EvaluationRequest(
                checkpoint: demoCheckpoint, dataset: dataset, scoring: scoring, frozenCheckpoint: demoCheckpoint,
                savePredictions: "/tmp/p", resume: true, threads: 1), .resume),
        ]
        for (request, setting) in cases {
            #expect {
                _ = try ModelRun.evaluate(request)
            } throws: { error in
                guard let error = error as? EvaluationError else { return false }
                return error.kind == .setting(setting) && !error.message.contains("--")
            }
        }
    }

    /// A training-free setting the vocabulary cannot satisfy is named by the setting.
    @Test func unknownBackgroundClassIsASettingError() throws {
        let vocabulary = try Vocabulary.resolve("potsdam")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SampleDataset(imageCount: 1).write(to: root)
        let request = EvaluationRequest(
            checkpoint: tinyCLIP, dataset: EvaluationDataset(root: root),
            scoring: ScoreOptions(vocabulary: vocabulary, split: nil, jobs: 1, method: "m"),
            trainingFree: TrainingFreeOverrides(background: "lake"), threads: 1)
        #expect {
            _ = try ModelRun.evaluate(request)
        } throws: { error in
            guard let error = error as? EvaluationError else { return false }
            return error.kind == .setting(.background) && error.message.contains("lake is neither")
        }
    }
}

@Suite("Checkpoint files")
struct ModelCheckpointTests {
    /// A safetensors file whose header length starts with 0x80 (pickle's first byte) is not taken for a .pth.
    @Test func safetensorsIsNotMistakenForAPickle() throws {
        let path = NSTemporaryDirectory() + "ovseg-header-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = Array("{}".utf8) + [UInt8](repeating: UInt8(ascii: " "), count: 0x80 - 2)
        try Data([0x80, 0, 0, 0, 0, 0, 0, 0] + header).write(to: URL(fileURLWithPath: path))
        #expect(!ModelCheckpoint.isPyTorch(path))
        let opened = try ModelCheckpoint(path: path)
        #expect(!opened.isPyTorch)
        #expect(try opened.open().names.isEmpty)
    }
}

@Suite("A .pth is parsed once")
struct PthParsedOnceTests {
    /// `ovseg eval --mode auto` on a segmenter `.pth`: the kind comes from the `ModelCheckpoint`
    /// opened once, and the run loads from it. The file is replaced by bytes no reader accepts after
    /// it was opened, so any second parse (of the kind, or to load the model) would fail the run.
    @Test func autoModeResolvesAndLoadsFromTheOpenedCheckpoint() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-pth-once-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SampleDataset(imageCount: 1, width: 48, height: 48).write(to: root)
        let pth = root + "/model_final.pth"
        try Data(try TorchSaveWriter.bytes(of: SafeTensorsFile(path: demoCheckpoint), wrapper: "model"))
            .write(to: URL(fileURLWithPath: pth))
        var settings = ConversionOptions()
        settings.visionHeads = 2
        settings.textHeads = 2
        settings.guidanceLayers = [1, 2]
        settings.aggregatorHeads = 2
        settings.aggregatorWindow = 4
        settings.padLength = 8
        let opened = try ModelCheckpoint(path: pth, conversion: settings)
        #expect(opened.isPyTorch)
        #expect(try opened.kind() == .segmenter(architecture: "sgseg"))

        try FileManager.default.removeItem(atPath: pth)
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: pth))
        #expect(throws: EvaluationError.self) { _ = try ModelCheckpoint(path: pth, conversion: settings).kind() }
        #expect(throws: EvaluationError.self) { _ = try CheckpointKind(path: pth) }

        let request = EvaluationRequest(
            checkpoint: pth, dataset: EvaluationDataset(root: root),
            scoring: ScoreOptions(vocabulary: try Vocabulary.resolve("potsdam"), split: nil, jobs: 1, method: "m"),
            mode: .auto, segmenter: SegmenterOptions(inference: .whole, shortestEdge: .none), threads: 1)
        let record = try ModelRun.evaluate(request, checkpoint: opened)
        #expect(record.images.count == 1)
        // Given a path instead, the run opens (parses) the file itself, and fails on it.
        #expect(throws: EvaluationError.self) { _ = try ModelRun.evaluate(request) }
    }
}
