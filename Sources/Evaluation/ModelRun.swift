import Foundation
import Harness
import SafeTensors
import Segmenter
import Tensor
import Vocabulary

/// Everything one model evaluation needs: which checkpoint on which data, how to score it, and
/// the model settings. `ovseg eval` and `ovseg demo` build one from their arguments.
public struct EvaluationRequest: Sendable {
    public var checkpoint: String
    /// Shown in the results file instead of the path (the demo's bundled checkpoint); nil: the path.
    public var checkpointName: String?
    public var dataset: EvaluationDataset
    /// The vocabulary, split, policy, method name and pairing of the run.
    public var scoring: ScoreOptions
    public var mode: EvaluationMode
    /// Settings of an SGSeg or CAT-Seg checkpoint (ignored in training-free mode).
    public var segmenter: SegmenterOptions
    /// Settings of a training-free run (ignored otherwise).
    public var trainingFree: TrainingFreeOverrides
    /// Prompt templates of a training-free run; empty for the 80 OpenAI ImageNet templates.
    /// (A segmenter's templates are part of `segmenter`.)
    public var trainingFreeTemplates: [String]
    /// A frozen checkpoint to measure the tuned encoder's feature drift against.
    public var frozenCheckpoint: String?
    /// Folder to write each prediction into (and keep the resume journal in).
    public var savePredictions: String?
    /// Reuse the journalled predictions of an interrupted run in `savePredictions`.
    public var resume: Bool
    public var arithmetic: GEMMArithmetic
    /// Threads the model's products and kernels may use.
    public var threads: Int

    public init(
        checkpoint: String, checkpointName: String? = nil, dataset: EvaluationDataset, scoring: ScoreOptions,
        mode: EvaluationMode = .auto, segmenter: SegmenterOptions = SegmenterOptions(),
        trainingFree: TrainingFreeOverrides = TrainingFreeOverrides(), trainingFreeTemplates: [String] = [],
        frozenCheckpoint: String? = nil, savePredictions: String? = nil, resume: Bool = false,
        arithmetic: GEMMArithmetic = .reproducible, threads: Int
    ) {
        self.checkpoint = checkpoint
        self.checkpointName = checkpointName
        self.dataset = dataset
        self.scoring = scoring
        self.mode = mode
        self.segmenter = segmenter
        self.trainingFree = trainingFree
        self.trainingFreeTemplates = trainingFreeTemplates
        self.frozenCheckpoint = frozenCheckpoint
        self.savePredictions = savePredictions
        self.resume = resume
        self.arithmetic = arithmetic
        self.threads = threads
    }
}

/// What a running evaluation tells its caller: the long steps before the images, the progress
/// over the images, and what a resumed run reused.
public struct EvaluationObserver {
    public var phase: (String) -> Void
    public var progress: (any ScoringProgress)?
    public var resumed: (ResumeSummary) -> Void

    public init(
        phase: @escaping (String) -> Void = { _ in }, progress: (any ScoringProgress)? = nil,
        resumed: @escaping (ResumeSummary) -> Void = { _ in }
    ) {
        self.phase = phase
        self.progress = progress
        self.resumed = resumed
    }
}

/// Runs a checkpoint over a dataset and scores it: the library behind `ovseg eval` and the
/// model run of `ovseg demo`.
public enum ModelRun {
    /// Loads the model the request asks for, segments every image, scores it exactly as
    /// `ovseg score` scores files and returns the complete run: counts, per-image records,
    /// provenance (checkpoint hash, every inference setting, the arithmetic) and, with a frozen
    /// checkpoint, the feature drift.
    ///
    /// The model runs with the request's thread budget and arithmetic (`BLAS.withSettings`), whatever
    /// the rest of the process uses.
    public static func evaluate(
        _ request: EvaluationRequest, observer: EvaluationObserver = EvaluationObserver()
    ) throws(EvaluationError) -> RunRecord {
        try evaluate(request, checkpoint: try ModelCheckpoint(path: request.checkpoint), observer: observer)
    }

    /// `evaluate(_:observer:)` with the request's checkpoint already opened (a `.pth` parsed and
    /// converted with the caller's settings, as `ovseg eval` does to check its options against the
    /// mode): the file is not parsed again, and `auto` is resolved from it.
    public static func evaluate(
        _ request: EvaluationRequest, checkpoint: ModelCheckpoint, observer: EvaluationObserver = EvaluationObserver()
    ) throws(EvaluationError) -> RunRecord {
        guard checkpoint.path == request.checkpoint else {
            throw EvaluationError(
                .checkpoint, "the opened checkpoint \(checkpoint.path) is not the request's \(request.checkpoint)")
        }
        guard request.threads >= 1 else {
            throw EvaluationError(.setting(.threads), "a model needs at least one thread, not \(request.threads)")
        }
        if request.resume && request.savePredictions == nil {
            throw EvaluationError(
                .setting(.resume), "resuming needs the folder of the interrupted run's saved predictions")
        }
        if request.resume && request.frozenCheckpoint != nil {
            throw EvaluationError(
                .setting(.resume),
                "resuming does not apply with a frozen checkpoint: feature drift is measured while segmenting, "
                    + "so every image must be segmented")
        }
        do {
            return try BLAS.withSettings(threads: request.threads, arithmetic: request.arithmetic) {
                // Only `auto` depends on the checkpoint: a safetensors header is read, a .pth was
                // parsed when `checkpoint` was opened and is not parsed again.
                let mode = request.mode == .auto ? request.mode.resolved(for: try checkpoint.kind()) : request.mode
                return mode == .trainingFree
                    ? try evaluateTrainingFree(request, checkpoint: checkpoint, observer: observer)
                    : try evaluateSegmenter(request, checkpoint: checkpoint, mode: mode, observer: observer)
            }
        } catch {
            throw EvaluationError.wrapping(error)
        }
    }

    /// The process's arithmetic, kernels, CPU and threads, for a model run's provenance.
    public static var numerics: NumericEnvironment {
        let now = BLAS.numerics
        return NumericEnvironment(
            arithmetic: now.arithmetic.rawValue, kernel: now.kernel, blas: now.blas,
            cpu: now.cpu.isEmpty ? "unknown" : now.cpu, instructionSet: now.instructionSet, threads: now.threads)
    }

    /// The images of the request's dataset, listed before a model loads so that a wrong folder
    /// fails in a second, not after it.
    static func imageCount(_ request: EvaluationRequest) throws -> Int {
        try request.dataset.pairs(
            groundTruthSuffix: request.scoring.pairing.groundTruthSuffix,
            imageSuffix: request.scoring.pairing.predictionSuffix
        ).count
    }

    /// SHA-256 of a checkpoint: of its file when it is one file (as always); for a folder with
    /// `config.json` or a sharded checkpoint, of the `sha256sum`-style list `<hex>  <name>\n` of
    /// its files in `CheckpointLocation.files` order.
    static func checkpointSHA256(files: [String]) throws -> String {
        if files.count == 1 { return try Fingerprint.sha256(path: files[0]) }
        var listing = ""
        for file in files {
            listing += "\(try Fingerprint.sha256(path: file))  \((file as NSString).lastPathComponent)\n"
        }
        return Fingerprint.sha256(Array(listing.utf8))
    }

    static func evaluateTrainingFree(
        _ request: EvaluationRequest, checkpoint: ModelCheckpoint, observer: EvaluationObserver
    ) throws -> RunRecord {
        let vocabulary = request.scoring.vocabulary
        let images = try imageCount(request)
        observer.phase("loading \(request.checkpoint) and embedding the prompts of \(vocabulary.classCount) classes for \(images) images …")
        let setup = try TrainingFreeSetup(
            checkpoint: checkpoint, vocabulary: vocabulary, overrides: request.trainingFree,
            templates: request.trainingFreeTemplates)
        var predictor = TrainingFreePredictor(setup: setup)
        observer.phase("hashing \(request.checkpoint) …")
        return try ModelEvaluation.evaluate(
            dataset: request.dataset, options: request.scoring, predictor: &predictor,
            savePredictions: request.savePredictions,
            provenance: (
                checkpoint: request.checkpointName ?? request.checkpoint,
                sha256: try checkpointSHA256(files: setup.checkpointFiles),
                configuration: setup.configuration(vocabulary: vocabulary)),
            numerics: numerics, progress: observer.progress, resume: request.resume, resumed: observer.resumed)
    }

    static func evaluateSegmenter(
        _ request: EvaluationRequest, checkpoint: ModelCheckpoint, mode: EvaluationMode, observer: EvaluationObserver
    ) throws -> RunRecord {
        let vocabulary = request.scoring.vocabulary
        let images = try imageCount(request)
        observer.phase("loading \(request.checkpoint) for \(images) images …")
        let segmenter = try SoftGuidedSegmenter(file: try checkpoint.open(), options: request.segmenter)
        if mode != .auto && mode.rawValue != segmenter.configuration.architecture {
            throw EvaluationError(
                .checkpoint,
                "\(request.checkpoint) is a \(segmenter.configuration.architecture) checkpoint, not \(mode.rawValue)")
        }
        observer.phase("embedding \(vocabulary.classCount) classes × \(segmenter.templates.count) templates …")
        let text = try segmenter.textEmbeddings(classNames: vocabulary.classes.map(\.name))
        var drift: DriftMeter?
        if let frozen = request.frozenCheckpoint {
            let split = request.scoring.split
            drift = try DriftMeter(
                path: frozen, backbone: segmenter.configuration.backbone, guidanceLayers: segmenter.guidanceLayers,
                unseen: Set((split?.unseenIDs ?? []).map(Int32.init)), seen: Set((split?.seenIDs ?? []).map(Int32.init)),
                classCount: vocabulary.classCount)
        }
        var predictor = SegmenterPredictor(segmenter: segmenter, text: text, drift: drift)
        observer.phase("hashing \(request.checkpoint) …")
        let checkpointHash = try Fingerprint.sha256(path: request.checkpoint)
        var record = try ModelEvaluation.evaluate(
            dataset: request.dataset, options: request.scoring, predictor: &predictor,
            savePredictions: request.savePredictions,
            provenance: (
                checkpoint: request.checkpointName ?? request.checkpoint, sha256: checkpointHash,
                configuration: segmenter.provenanceConfiguration),
            numerics: numerics, progress: observer.progress, resume: request.resume, resumed: observer.resumed)
        if let drift = predictor.drift, let frozen = request.frozenCheckpoint {
            record.featureDrift = FeatureDrift(
                frozenCheckpoint: frozen, frozenSHA256: try Fingerprint.sha256(path: frozen),
                definition: DriftMeter.definition, images: drift.images)
        }
        return record
    }
}
