import ArgumentParser
import Foundation
import Harness
import LabelMaps
import Reports
import SafeTensors
import Segmenter
import Tensor
import Vocabulary

/// `ovseg eval`: runs a segmentation checkpoint over RGB tiles and scores it like `ovseg score`.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment a dataset with a checkpoint and score it (same metrics and results file as ovseg score).",
        discussion: """
            --data DIR holds images/ (8-bit RGB PNG tiles) and gt/ (ground truth), matched by file stem. \
            The checkpoint is an SGSeg or CAT-Seg safetensors file in the repository's key layout \
            (reference/ovseg_reference/export.py converts detectron2 model_final.pth files). \
            Inference follows the released code: shortest edge 640, sliding 384 windows at stride 256 \
            on a 640² resize plus a global view, per-class sigmoid, argmax. The results file records \
            the checkpoint's SHA-256 and every inference setting. With --frozen, the drift of the \
            tuned encoder's dense features from a frozen encoder's is measured per image.

            --mode training-free (chosen automatically for a plain Hugging Face CLIP model.safetensors) \
            segments with the frozen CLIP alone, SegEarth-OV's recipe: SegEarth attention in the last \
            block, long side 448, 224 windows at stride 112, every class name and synonym of the \
            vocabulary as a query with the 80 OpenAI ImageNet templates, and the dataset's threshold \
            and background class where SegEarth-OV configures them (potsdam, vaihingen, loveda, isaid, \
            openearthmap, udd5, uavid, vdd). --attention, --threshold, --background, --long-side, \
            --crop and --stride override them.

            With --save-predictions DIR, eval keeps a journal (DIR/.ovseg-eval-journal.jsonl, one line \
            per finished image); after an interruption, the same command with --resume reuses the saved \
            predictions made by the same checkpoint and configuration and segments the rest. A journal \
            from another checkpoint or configuration is refused.

            --gt-suffix and --pred-suffix strip naming conventions from ground-truth and image file \
            names before matching; --jobs sets the BLAS threads of the model. Every image needs its \
            ground truth of the same size: the --skip-* options of ovseg score do not apply, nor do \
            --pred-reduce-zero-label and --pred-offset (a model's predictions are class ids).

            Examples:
              ovseg eval --vocab potsdam --data val --checkpoint sgseg.safetensors \\
                  --save-predictions pred -o sgseg.ovseg.json
              ovseg eval --vocab isaid --data val --checkpoint clip/model.safetensors \\
                  -o segearth.ovseg.json
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case auto, sgseg, catseg
        case trainingFree = "training-free"
    }

    @OptionGroup var options: ScoringOptions

    @Option(help: "Matrix products: reproducible (ovseg's own kernels: the same bits on every x86-64 CPU and thread count, default) or openblas (OpenBLAS's kernel for this CPU; last bits may differ between CPUs). See docs/reproducibility.md.")
    var arithmetic: GEMMArithmetic = .reproducible

    @Option(help: "Dataset folder with images/ and gt/ subfolders.")
    var data: String

    @Option(help: "Checkpoint (safetensors).")
    var checkpoint: String

    @Option(help: "auto (from the checkpoint, default), sgseg, catseg (checked against the checkpoint) or training-free (a plain CLIP).")
    var mode: Mode = .auto

    @Option(help: "sliding (CAT-Seg evaluation protocol, default) or whole (pad to 32, one view).")
    var inference: String?

    @Option(help: "Class-aggregation pooling: 1 (evaluation scripts, default) or 2.")
    var pooling: Int?

    @Option(help: "Prompt template ('{}' = class name); repeat for an ensemble. Default: the checkpoint's (training-free: the 80 OpenAI ImageNet templates).")
    var template: [String] = []

    @Option(help: "Resize images so the shorter side has this length first (PIL bilinear, as detectron2's test mapper), or none. Default: the checkpoint's protocol (640 for the released geometry).")
    var shortestEdge: String?

    @Flag(help: "Fuse the checkpoint's frozen encoder into the dense features (paper-described variant, not in the released model).")
    var frozenCompensation = false

    @Flag(help: "Run an SGSeg checkpoint without its scene bias (ablation; the released model uses it).")
    var noSceneBias = false

    @Flag(help: "Bias the text with the scene prototypes before aggregation (paper-described variant the release computes and discards; not in the released model). Needs feature_fusion_layer.* (convert with export.py --live-text).")
    var liveTextBias = false

    @Option(help: "Frozen checkpoint to measure the tuned encoder's feature drift against.")
    var frozen: String?

    @Option(help: "Also write each prediction as <id>.png (palette PNG of class ids) into this folder.")
    var savePredictions: String?

    @Flag(help: "Continue an interrupted run: reuse the predictions in --save-predictions DIR that its journal records for this checkpoint and configuration (files whose hashes changed are recomputed).")
    var resume = false

    @Option(help: "Training-free: last-block attention, segearth (default), sclip, clearclip, maskclip or vanilla.")
    var attention: String?

    @Option(help: "Training-free: pixels whose best class probability is below this get the background class.")
    var threshold: Float?

    @Option(help: "Training-free: the background class (id or name) for pixels under the threshold.")
    var background: String?

    @Option(help: "Training-free: resize so the long side has this many pixels first (default 448), or none.")
    var longSide: String?

    @Option(help: "Training-free: sliding-window side (default 224).")
    var crop: Int?

    @Option(help: "Training-free: sliding-window step (default 112).")
    var stride: Int?

    @Option(help: "Method name recorded in the results file (default: the checkpoint's file name; its folder's name for a Hugging Face model.safetensors).")
    var method: String?

    @Option(name: .shortAndLong, help: "Results file to write (*.ovseg.json).")
    var output: String

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    func run() throws {
        try runReportingErrors {
            try refuse(
                [("--skip-missing", options.skipMissing), ("--skip-extra", options.skipExtra),
                 ("--skip-size-mismatch", options.skipSizeMismatch),
                 ("--pred-reduce-zero-label", options.predReduceZeroLabel), ("--pred-offset", options.predOffset != nil)],
                in: "ovseg eval (every image is segmented and needs its ground truth)", flagPrefix: false)
            if resume && savePredictions == nil {
                throw ValidationError("--resume needs --save-predictions DIR (the folder of the interrupted run)")
            }
            if resume && frozen != nil {
                throw ValidationError("--resume does not apply with --frozen: feature drift is measured while segmenting, so every image must be segmented")
            }
            guard options.jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
            BLAS.threadCount = options.jobs
            BLAS.arithmetic = arithmetic
            if try resolvedMode() == .trainingFree {
                try evaluateTrainingFree()
            } else {
                try evaluateSegmenter()
            }
        }
    }

    /// The mode asked for, or for `auto` training-free when the checkpoint is a plain CLIP.
    func resolvedMode() throws -> Mode {
        guard mode == .auto else { return mode }
        let file = try SafeTensorsFile(path: checkpoint)
        let plainCLIP = file.metadata["sgseg.arch"] == nil
            && file.contains("vision_model.embeddings.patch_embedding.weight")
        return plainCLIP ? .trainingFree : .auto
    }

    /// Options of the other mode are refused rather than silently ignored.
    func refuse(_ options: [(String, Bool)], in mode: String, flagPrefix: Bool = true) throws {
        let given = options.filter(\.1).map(\.0)
        guard given.isEmpty else {
            let verb = given.count == 1 ? "does" : "do"
            let target = flagPrefix ? "--mode \(mode)" : mode
            throw ValidationError("\(given.joined(separator: ", ")) \(verb) not apply to \(target)")
        }
    }

    func evaluateTrainingFree() throws {
        try refuse(
            [("--inference", inference != nil), ("--pooling", pooling != nil), ("--shortest-edge", shortestEdge != nil),
             ("--frozen-compensation", frozenCompensation), ("--frozen", frozen != nil),
             ("--no-scene-bias", noSceneBias), ("--live-text-bias", liveTextBias)],
            in: "training-free")
        let name = method ?? MethodName.forCheckpoint(checkpoint)
        let scoreOptions = try options.scoreOptions(method: name)
        let overrides = TrainingFreeOverrides(
            attention: attention, threshold: threshold, background: background, longSide: longSide, crop: crop, stride: stride)
        let images = try imageCount()
        phase("loading \(checkpoint) and embedding the prompts of \(scoreOptions.vocabulary.classCount) classes for \(images) images …")
        let evaluation = try TrainingFreeEvaluation(
            checkpoint: checkpoint, vocabulary: scoreOptions.vocabulary, overrides: overrides, templates: template)
        var predictor = TrainingFreePredictor(evaluation: evaluation)
        phase("hashing \(checkpoint) …")
        let record = try ModelEvaluation.evaluate(
            dataset: EvaluationDataset(root: data), options: scoreOptions, predictor: &predictor,
            savePredictions: savePredictions,
            provenance: (
                checkpoint: checkpoint, sha256: try Fingerprint.sha256(path: checkpoint),
                configuration: evaluation.configuration(vocabulary: scoreOptions.vocabulary)),
            numerics: .current,
            progress: Terminal.progress(label: "evaluating", enabled: !options.noProgress && !quiet),
            resume: resume, resumed: reportResume)
        try writeResults(record, to: output, quiet: quiet)
    }

    func evaluateSegmenter() throws {
        try refuse(
            [("--attention", attention != nil), ("--threshold", threshold != nil), ("--background", background != nil),
             ("--long-side", longSide != nil), ("--crop", crop != nil), ("--stride", stride != nil)],
            in: "sgseg or catseg")
        let inference = self.inference ?? "sliding"
        guard let inferenceMode = SegmenterConfiguration.Inference(rawValue: inference) else {
            throw ValidationError("--inference must be sliding or whole, not \(inference)")
        }
        var resize = ShortestEdgeResize.protocolDefault
        if let shortestEdge {
            if shortestEdge == "none" {
                resize = .none
            } else if let size = Int(shortestEdge), size > 0 {
                resize = .size(size)
            } else {
                throw ValidationError("--shortest-edge must be a positive integer or none, not \(shortestEdge)")
            }
        }
        let segmenterOptions = SegmenterOptions(
            pooling: pooling ?? 1, inference: inferenceMode, templates: template.isEmpty ? nil : template,
            frozenCompensation: frozenCompensation, shortestEdge: resize, sceneBias: !noSceneBias,
            liveTextBias: liveTextBias)
        let images = try imageCount()
        phase("loading \(checkpoint) for \(images) images …")
        let segmenter = try SoftGuidedSegmenter(checkpoint: checkpoint, options: segmenterOptions)
        if mode != .auto && mode.rawValue != segmenter.configuration.architecture {
            throw ValidationError(
                "--mode \(mode.rawValue) but \(checkpoint) is a \(segmenter.configuration.architecture) checkpoint")
        }
        let name = method ?? MethodName.forCheckpoint(checkpoint)
        let scoreOptions = try options.scoreOptions(method: name)
        phase("embedding \(scoreOptions.vocabulary.classCount) classes × \(segmenter.templates.count) templates …")
        let text = try segmenter.textEmbeddings(classNames: scoreOptions.vocabulary.classes.map(\.name))
        var drift: DriftMeter?
        if let frozen {
            drift = try DriftMeter(
                path: frozen, backbone: segmenter.configuration.backbone, guidanceLayers: segmenter.guidanceLayers,
                unseen: Set((scoreOptions.split?.unseenIDs ?? []).map(Int32.init)),
                seen: Set((scoreOptions.split?.seenIDs ?? []).map(Int32.init)),
                classCount: scoreOptions.vocabulary.classCount)
        }
        var predictor = SegmenterPredictor(segmenter: segmenter, text: text, drift: drift)
        phase("hashing \(checkpoint) …")
        let checkpointHash = try Fingerprint.sha256(path: checkpoint)
        var record = try ModelEvaluation.evaluate(
            dataset: EvaluationDataset(root: data), options: scoreOptions, predictor: &predictor,
            savePredictions: savePredictions,
            provenance: (checkpoint: checkpoint, sha256: checkpointHash, configuration: Self.configuration(segmenter)),
            numerics: .current,
            progress: Terminal.progress(label: "evaluating", enabled: !options.noProgress && !quiet),
            resume: resume, resumed: reportResume)
        if let drift = predictor.drift, let frozen {
            record.featureDrift = FeatureDrift(
                frozenCheckpoint: frozen, frozenSHA256: try Fingerprint.sha256(path: frozen),
                definition: DriftMeter.definition, images: drift.images)
        }
        try writeResults(record, to: output, quiet: quiet)
    }

    /// Says how many images `--resume` reused and which were recomputed because their files changed.
    func reportResume(_ summary: ResumeSummary) {
        guard !quiet else { return }
        Terminal.note("eval: resumed: reused \(summary.reused.count) of \(summary.total) images from the saved predictions, segmented \(summary.total - summary.reused.count)")
        for (id, reason) in summary.changed {
            Terminal.note("eval: recomputed \(id): \(reason) since the journal recorded it")
        }
    }

    /// The images of `--data`, listed before the model loads so that a wrong folder fails in a
    /// second, not after it.
    func imageCount() throws -> Int {
        try EvaluationDataset(root: data).pairs(groundTruthSuffix: options.gtSuffix, imageSuffix: options.predSuffix).count
    }

    /// One line on stderr saying what a long step is doing (not with --quiet).
    func phase(_ text: String) {
        if !quiet { Terminal.note("eval: " + text) }
    }

    /// The inference settings recorded in the results file's provenance.
    static func configuration(_ segmenter: SoftGuidedSegmenter) -> [(String, String)] {
        let c = segmenter.configuration
        var items: [(String, String)] = [
            ("architecture", c.architecture), ("backbone", c.backbone.rawValue), ("dense", c.dense.rawValue),
            ("bias", segmenter.head.configuration.bias.rawValue == c.bias.rawValue
                ? c.bias.rawValue : "none (the checkpoint's scene bias switched off: ablation)"), ("clip_input", String(segmenter.inputSize)),
            ("guidance_layers", segmenter.guidanceLayers.map(String.init).joined(separator: ",")),
            ("inference", segmenter.options.inference.rawValue), ("pooling", String(segmenter.options.pooling)),
            ("templates", segmenter.templates.joined(separator: " | ")),
            ("shortest_edge", segmenter.shortestEdge.map(String.init) ?? "none"), ("max_size", String(c.maximumSize)),
            ("output", "per-class sigmoid, argmax"),
        ]
        if segmenter.options.inference == .sliding {
            items += [
                ("out_res", String(c.outputResolution)), ("window", String(c.window)), ("stride", String(c.stride)),
                ("global_view", "true"),
            ]
        } else {
            items.append(("size_divisibility", String(c.sizeDivisibility)))
        }
        var variants: [String] = []
        if segmenter.options.frozenCompensation, let alpha = c.frozenAlpha {
            variants.append("frozen compensation (feature_add, alpha \(alpha))")
        }
        if segmenter.head.configuration.liveTextBias {
            variants.append("live bias-guided text (feature_fusion_layer)")
        }
        if !variants.isEmpty {
            items.append(("variant", variants.joined(separator: "; ") + "; not in the released model"))
        }
        return items
    }
}

/// Hands each image to the segmenter and, with a frozen checkpoint, measures feature drift.
struct SegmenterPredictor: ImagePredictor {
    let segmenter: SoftGuidedSegmenter
    let text: Tensor
    var drift: DriftMeter?

    mutating func predict(_ request: PredictionRequest) throws -> LabelMap {
        let image = try request.readImage()
        let result = try segmenter.segment(image, text: text)
        try drift?.measure(request, segmentation: result)
        return LabelMap(width: result.width, height: result.height, values: result.labels.map { UInt16(clamping: $0) })
    }
}

extension PredictionRequest {
    /// The request's RGB image; it must have the size of its ground truth.
    func readImage() throws -> RGBImage {
        let image = try RGBImage.read(path: imagePath)
        guard image.width == width, image.height == height else {
            throw HarnessError(
                "size mismatch for image \(id): \(imagePath) is \(image.width)×\(image.height), "
                    + "its ground truth is \(width)×\(height)")
        }
        return image
    }
}

/// Compensation distance between the tuned features of the global view and a frozen encoder's.
struct DriftMeter {
    static let definition =
        "SmoothL1 (beta 1, mean) between POD(ReLU(F)) of the tuned and the frozen encoder's dense features "
        + "of the global view (average pools 1x1, 2x2, 4x4; row and column sums), i.e. SGSeg's compensation "
        + "loss without its 0.1 weight; regions: cells whose most frequent ground-truth class is seen / unseen"
    let frozen: SegmenterBackbone
    let guidanceLayers: [Int]
    let unseen: Set<Int32>
    let seen: Set<Int32>
    let classCount: Int
    var images: [FeatureDrift.Image] = []

    init(
        path: String, backbone: SegmenterConfiguration.Backbone, guidanceLayers: [Int], unseen: Set<Int32>,
        seen: Set<Int32>, classCount: Int
    ) throws {
        frozen = try SegmenterBackbone.frozen(path: path, backbone: backbone)
        self.guidanceLayers = guidanceLayers
        self.unseen = unseen
        self.seen = seen
        self.classCount = classCount
    }

    mutating func measure(_ request: PredictionRequest, segmentation: Segmentation) throws {
        let views = segmentation.windowPixels.shape[0]
        let global = try segmentation.windowPixels.batchItem(views - 1)
        let tuned = try segmentation.dense.batchItem(views - 1)
        let reference = try frozen.features(global, taps: guidanceLayers).dense
        let grid = tuned.shape[2]
        func region(_ classes: Set<Int32>) throws -> Double? {
            guard !classes.isEmpty else { return nil }
            let mask = CompensationDistance.regionMask(
                labels: request.groundTruthIDs, width: request.width, height: request.height, grid: grid,
                classes: classes, classCount: classCount)
            guard mask.contains(true) else { return nil }
            return try CompensationDistance.distance(tuned: tuned, frozen: reference, mask: mask)
        }
        images.append(FeatureDrift.Image(
            id: request.id, whole: try CompensationDistance.distance(tuned: tuned, frozen: reference),
            seen: try region(seen), unseen: try region(unseen)))
    }
}

extension NumericEnvironment {
    /// This process's arithmetic, kernels, CPU and threads, for a model run's provenance.
    static var current: NumericEnvironment {
        let now = BLAS.numerics
        return NumericEnvironment(
            arithmetic: now.arithmetic.rawValue, kernel: now.kernel, blas: now.blas,
            cpu: now.cpu.isEmpty ? "unknown" : now.cpu, instructionSet: now.instructionSet, threads: now.threads)
    }
}
