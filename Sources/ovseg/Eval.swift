import ArgumentParser
import CheckpointConversion
import CLIP
import Evaluation
import Foundation
import Harness
import Segmenter
import Tensor

/// `ovseg eval`: runs a segmentation checkpoint over RGB tiles and scores it like `ovseg score`.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment a dataset with a checkpoint and score it (same metrics and results file as ovseg score).",
        discussion: """
            --data DIR holds images/ (8-bit RGB PNG or JPEG tiles) and gt/ (PNG ground truth), matched by file stem. \
            The checkpoint is an SGSeg or CAT-Seg safetensors file in the repository's key layout, or \
            a detectron2 model_final.pth, converted in memory as ovseg convert converts it, with the \
            settings a .pth does not record given as in ovseg convert (--vision-heads, --text-heads, \
            --hidden-act, --guidance-layers, --aggregator-heads, --aggregator-window, --pad-len; \
            ovseg convert once loads faster). An open_clip .pt/.pth CLIP runs training-free the same \
            way and needs --hidden-act. \
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
            ground truth of the same size, so eval has neither the --skip-* options of ovseg score \
            nor --pred-reduce-zero-label and --pred-offset (a model's predictions are class ids).

            Examples:
              ovseg eval --vocab potsdam --data val --checkpoint sgseg.safetensors \\
                  --save-predictions pred -o sgseg.ovseg.json
              ovseg eval --vocab isaid --data val --checkpoint clip-vit-base-patch16/ \\
                  -o segearth.ovseg.json
              ovseg eval --vocab potsdam --data Potsdam --layout official --subset val \\
                  --checkpoint sgseg.safetensors -o sgseg.ovseg.json

            --data DIR --layout NAME finds images and ground truth as the vocabulary's release layout \
            lays them out (--subset, --eroded-boundary); --pairs FILE lists them in a CSV with image and \
            label columns (docs/dataset-layouts.md).
            """)

    @OptionGroup var options: ScoringOptions

    @Option(help: "Matrix products: reproducible (ovseg's own kernels: the same bits on every x86-64 CPU and thread count, default) or openblas (OpenBLAS's kernel for this CPU; last bits may differ between CPUs). See docs/reproducibility.md.")
    var arithmetic: GEMMArithmetic = .reproducible

    @Option(help: "Dataset folder with images/ and gt/ subfolders; with --layout NAME, the folder the release is unpacked in.")
    var data: String?

    @OptionGroup var listing: DatasetLayoutOptions

    @Option(help: "Checkpoint: a safetensors file (SGSeg, CAT-Seg or a plain CLIP), a torch.save .pth/.pt/.bin converted in memory, or for a CLIP a Hugging Face folder (config.json + model.safetensors or model.safetensors.index.json and its shards).")
    var checkpoint: String

    @OptionGroup var conversion: PthConversionOptions

    @Option(help: "auto (from the checkpoint, default), sgseg, catseg (checked against the checkpoint) or training-free (a plain CLIP).")
    var mode: EvaluationMode = .auto

    @Option(help: "sliding (CAT-Seg evaluation protocol, default) or whole (pad to 32, one view).")
    var inference: SegmenterConfiguration.Inference?

    @Option(help: "Class-aggregation pooling: 1 (evaluation scripts, default) or 2.")
    var pooling: Int?

    @Option(help: "Prompt template ('{}' = class name); repeat for an ensemble. Default: the checkpoint's (training-free: the 80 OpenAI ImageNet templates).")
    var template: [String] = []

    @Option(help: "Resize images so the shorter side has this length first (PIL bilinear, as detectron2's test mapper), or none. Default: the checkpoint's protocol (640 for the released geometry).")
    var shortestEdge: PixelsOrNone?

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
    var attention: TrainingFreeAttention?

    @Option(help: "Training-free: pixels whose best class probability is below this get the background class.")
    var threshold: Float?

    @Option(help: "Training-free: the background class (id or name) for pixels under the threshold.")
    var background: String?

    @Option(help: "Training-free: resize so the long side has this many pixels first (default 448), or none.")
    var longSide: PixelsOrNone?

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
            if resume && savePredictions == nil {
                throw ValidationError("--resume needs --save-predictions DIR (the folder of the interrupted run)")
            }
            if resume && frozen != nil {
                throw ValidationError("--resume does not apply with --frozen: feature drift is measured while segmenting, so every image must be segmented")
            }
            guard options.jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
            // Opened once: a .pth is parsed and converted here and not again by ModelRun.
            var settings = ConversionOptions()
            conversion.apply(to: &settings)
            let opened = try ModelCheckpoint(path: checkpoint, conversion: settings)
            if !opened.isPyTorch, let flag = conversion.given.first {
                throw ValidationError("\(flag) applies to a .pth checkpoint, converted in memory; \(checkpoint) is a safetensors checkpoint, which records it")
            }
            let resolved = mode == .auto ? mode.resolved(for: try opened.kind()) : mode
            if resolved == .trainingFree {
                try refuse(
                    [("--inference", inference != nil), ("--pooling", pooling != nil), ("--shortest-edge", shortestEdge != nil),
                     ("--frozen-compensation", frozenCompensation), ("--frozen", frozen != nil),
                     ("--no-scene-bias", noSceneBias), ("--live-text-bias", liveTextBias)]
                        + conversion.givenSegmenterOnly.map { ($0, true) },
                    in: "training-free")
            } else {
                try refuse(
                    [("--attention", attention != nil), ("--threshold", threshold != nil), ("--background", background != nil),
                     ("--long-side", longSide != nil), ("--crop", crop != nil), ("--stride", stride != nil)],
                    in: "sgseg or catseg")
            }
            try listing.validate(data: data, gt: nil)
            if listing.listsFiles && !(options.suffixes.gtSuffix.isEmpty && options.suffixes.predSuffix.isEmpty) {
                throw ValidationError("--gt-suffix and --pred-suffix do not apply with --layout or --pairs: they name the files themselves")
            }
            let scoring = try options.scoreOptions(method: method ?? MethodName.forCheckpoint(checkpoint))
            let dataset: EvaluationDataset
            if let listed = try listing.listed(vocabulary: scoring.vocabulary, data: data, needsImages: true, needsPredictions: false) {
                dataset = EvaluationDataset(listed: listed)
            } else if let data {
                dataset = EvaluationDataset(root: data)
            } else {
                throw ValidationError("give --data DIR (images/ and gt/, or a release with --layout NAME) or --pairs FILE")
            }
            let request = EvaluationRequest(
                checkpoint: checkpoint, dataset: dataset,
                scoring: scoring,
                mode: resolved,
                segmenter: SegmenterOptions(
                    pooling: pooling ?? 1, inference: inference ?? .sliding, templates: template.isEmpty ? nil : template,
                    frozenCompensation: frozenCompensation, shortestEdge: shortestEdge?.shortestEdgeResize ?? .protocolDefault,
                    sceneBias: !noSceneBias, liveTextBias: liveTextBias),
                trainingFree: TrainingFreeOverrides(
                    attention: attention?.mode, threshold: threshold, background: background,
                    longSide: longSide.map(\.pixels), crop: crop, stride: stride),
                trainingFreeTemplates: template, frozenCheckpoint: frozen, savePredictions: savePredictions,
                resume: resume, arithmetic: arithmetic, threads: options.jobs)
            let observer = EvaluationObserver(
                phase: { if !quiet { Terminal.note("eval: " + $0) } },
                progress: Terminal.progress(label: "evaluating", enabled: !options.execution.noProgress && !quiet),
                resumed: reportResume)
            let record = try ModelRun.evaluate(request, checkpoint: opened, observer: observer)
            try writeResults(record, to: output, quiet: quiet)
        }
    }

    /// Options of the other mode are refused rather than silently ignored.
    func refuse(_ options: [(String, Bool)], in mode: String) throws {
        let given = options.filter(\.1).map(\.0)
        guard given.isEmpty else {
            let verb = given.count == 1 ? "does" : "do"
            throw ValidationError("\(given.joined(separator: ", ")) \(verb) not apply to --mode \(mode)")
        }
    }

    /// Says how many images `--resume` reused and which were recomputed because their files changed.
    func reportResume(_ summary: ResumeSummary) {
        guard !quiet else { return }
        Terminal.note("eval: resumed: reused \(summary.reused.count) of \(summary.total) images from the saved predictions, segmented \(summary.total - summary.reused.count)")
        for (id, reason) in summary.changed {
            Terminal.note("eval: recomputed \(id): \(reason) since the journal recorded it")
        }
    }
}

/// A size in pixels, or `none` (no resize).
struct PixelsOrNone: ExpressibleByArgument {
    /// nil for `none`.
    let pixels: Int?

    init?(argument: String) {
        if argument == "none" {
            pixels = nil
        } else if let value = Int(argument), value > 0 {
            pixels = value
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .list(["none"]) }

    var shortestEdgeResize: ShortestEdgeResize { pixels.map(ShortestEdgeResize.size) ?? .none }
}

/// The last-block attentions a training-free run can use.
enum TrainingFreeAttention: String, ExpressibleByArgument, CaseIterable {
    case segearth, sclip, clearclip, maskclip, vanilla

    var mode: CLIPDenseMode {
        switch self {
        case .segearth: .segEarth
        case .sclip: .sclip
        case .clearclip: .clearCLIP
        case .maskclip: .maskCLIP
        case .vanilla: .vanilla
        }
    }
}

extension EvaluationMode: ExpressibleByArgument {}
extension SegmenterConfiguration.Inference: ExpressibleByArgument {}
