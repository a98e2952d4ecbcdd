import ArgumentParser
import CheckpointConversion
import Foundation
import Harness
import LabelMaps
import Metrics
import Vocabulary

// Options grouped by capability: a command includes (`@OptionGroup`) only the groups that apply
// to it, so an option it cannot honour does not exist for it rather than being refused.

/// `--vocab`: the vocabulary labels are read with.
struct VocabularyOption: ParsableArguments {
    @Option(help: "Vocabulary: a bundled key (see `ovseg vocab list`) or a path to a vocabulary JSON file.")
    var vocab: String

    func resolve() throws -> Vocabulary { try Vocabulary.resolve(vocab) }
}

/// The seen/unseen split a new run is scored with.
struct SplitOptions: ParsableArguments {
    @Option(help: "Seen/unseen split of the vocabulary to report (default: the vocabulary's default_split; a vocabulary without one reports the all-class figures only).")
    var split: String?

    @Flag(help: "Report no seen/unseen split, only the overall metrics.")
    var noSplit = false

    @Option(parsing: .upToNextOption, help: "With --unseen: a split for this run, the seen classes by name or synonym (quote names with spaces).")
    var seen: [String] = []

    @Option(parsing: .upToNextOption, help: "With --seen: the unseen classes of this run's split.")
    var unseen: [String] = []

    @Option(help: "A split for this run from a JSON file (name, seen, unseen, optional source; see docs/split-files.md).")
    var splitFile: String?

    func classSplit(for vocabulary: Vocabulary) throws -> ClassSplit? {
        try chosenSplit(for: vocabulary).split
    }

    /// The split and how it was chosen (recorded as the run's `split_origin`).
    func chosenSplit(for vocabulary: Vocabulary) throws -> (split: ClassSplit?, origin: SplitOrigin) {
        let selection = try SplitSelection(split: split, noSplit: noSplit, seen: seen, unseen: unseen, splitFile: splitFile)
        return (try selection.split(for: vocabulary), selection.origin(for: vocabulary))
    }
}

/// How ground-truth labels are encoded, for one run instead of the vocabulary's settings
/// (every command that reads ground truth: `score`, `eval`, `inspect`). Each given setting is
/// recorded in the results file with its origin (`command line`).
struct EncodingOptions: ParsableArguments {
    @Option(help: "Read gray and palette ground truth with reduce_zero_label (yes: raw 0 is ignored, v becomes v − 1) or without (no), instead of the vocabulary's setting.")
    var reduceZeroLabel: YesNo?

    @Option(parsing: .upToNextOption, help: "Ground-truth values not scored, replacing the vocabulary's (0–65535; not a class id unless the vocabulary allows it; `none` for no ignore value).")
    var ignore: [String] = []

    @Option(parsing: .upToNextOption, help: "Colours (R,G,B) meaning no label in colour-coded ground truth, replacing the vocabulary's (`none` for none).")
    var ignoreColor: [String] = []

    /// The overrides the options give (empty when none is given), with `labelFormat`.
    func override(labelFormat: LabelFormat? = nil) throws -> EncodingOverride {
        EncodingOverride(
            reduceZeroLabel: reduceZeroLabel.map { $0 == .yes },
            ignoreValues: try ignore.isEmpty ? nil : Self.values(ignore),
            ignoreColors: try ignoreColor.isEmpty ? nil : Self.colors(ignoreColor),
            labelFormat: labelFormat)
    }

    /// The encoding `vocabulary` is read with under these options (validated against it).
    func encoding(for vocabulary: Vocabulary, labelFormat: LabelFormat? = nil) throws -> EffectiveEncoding {
        try vocabulary.effectiveEncoding(override(labelFormat: labelFormat))
    }

    /// `vocabulary` with the overridden reduce_zero_label, ignore values and colours.
    func apply(to vocabulary: Vocabulary) throws -> Vocabulary {
        vocabulary.withEncoding(try encoding(for: vocabulary))
    }

    /// The options as given, for a command line that repeats them (`inspect`'s recommendation).
    var arguments: [String] {
        (reduceZeroLabel.map { ["--reduce-zero-label", $0.rawValue] } ?? [])
            + (ignore.isEmpty ? [] : ["--ignore"] + ignore)
            + (ignoreColor.isEmpty ? [] : ["--ignore-color"] + ignoreColor)
    }

    static func values(_ texts: [String]) throws -> [Int] {
        if texts == ["none"] { return [] }
        return try texts.map { text in
            guard let value = Int(text) else {
                throw ValidationError("--ignore takes integers 0–65535 (or `none`), not '\(text)'")
            }
            return value
        }
    }

    static func colors(_ texts: [String]) throws -> [RGB] {
        if texts == ["none"] { return [] }
        return try texts.map { text in
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
                UInt8($0.trimmingCharacters(in: .whitespaces))
            }
            guard parts.count == 3, let r = parts[0], let g = parts[1], let b = parts[2] else {
                throw ValidationError("--ignore-color takes colours R,G,B with each part 0–255 (or `none`), not '\(text)'")
            }
            return RGB(r, g, b)
        }
    }
}

/// `--label-format`: how ground-truth files are read, for commands that decode them as labels
/// (`score`, `eval`; `inspect` surveys raw values and has no use for it).
struct LabelFormatOption: ParsableArguments {
    @Option(help: "Read ground-truth files as index (gray values, palette indices, RGB with equal channels), palette (palette PNGs only, their indices) or color (RGB or a palette's entry colours, looked up in the vocabulary's colours) instead of letting each file's colour type decide.")
    var labelFormat: LabelFormat?
}

/// `yes` or `no`, for settings that replace a vocabulary's true/false.
enum YesNo: String, ExpressibleByArgument, CaseIterable {
    case yes, no
}

/// The split stored runs are shown or compared under instead of their own (`report`, `check`).
struct ResplitOptions: ParsableArguments {
    @Option(help: "Use this split of the runs' vocabulary (or none) instead of the one each was scored with; results files keep every class's counts.")
    var split: String?

    @Option(help: "Use the split in this JSON file (see docs/split-files.md) instead of the runs' own.")
    var splitFile: String?

    /// nil when the runs keep their own splits.
    func selection() throws -> SplitSelection? {
        guard split != nil || splitFile != nil else { return nil }
        return try SplitSelection(split: split, splitFile: splitFile)
    }
}

/// How pixels are counted: presence policy and out-of-range values.
struct PolicyOptions: ParsableArguments {
    @Option(help: "Presence policy for means: union-present (mmseg, default), gt-present (detectron2 main, CAT-Seg) or all-zero (ZS3).")
    var policy: PresencePolicy = .unionPresent

    @Option(name: .customLong("out-of-range-gt"), help: "Ground-truth values that are neither a class nor ignored: error (default), ignore, or mmseg-compatible.")
    var outOfRangeGroundTruth: OutOfRangeGroundTruth = .error

    @Option(help: "Predicted values that are not a class: error (default) or void (counted as a miss; more than 1 % voided is warned about).")
    var outOfRangePrediction: OutOfRangePrediction = .error
}

/// Reading prediction files made elsewhere: their encoding, and which missing, extra or
/// mismatched files to tolerate. Only `score` has them (a model's predictions are class ids,
/// one per image).
struct PredictionFileOptions: ParsableArguments {
    @Flag(help: "Read gray and palette predictions as mmseg's reduce_zero_label output (ids + 1, as mmseg 1.x's format_only writes for LoveDA, Potsdam, Vaihingen): value v is class v − 1, 0 and 255 are no class.")
    var predReduceZeroLabel = false

    @Option(help: "Read gray and palette predictions as class ids + N: value v is class v − N, values below N are no class.")
    var predOffset: Int?

    @Flag(help: "Score the images that have predictions and count the ones that do not, instead of failing.")
    var skipMissing = false

    @Flag(help: "Ignore prediction files without ground truth instead of failing.")
    var skipExtra = false

    @Flag(help: "Skip and count image pairs of different sizes instead of failing.")
    var skipSizeMismatch = false

    /// The prediction encoding the options name (class ids when neither is given).
    func predictionEncoding() throws -> PredictionEncoding {
        if let predOffset {
            guard !predReduceZeroLabel else {
                throw ValidationError("--pred-reduce-zero-label and --pred-offset are two ways to say the same thing: give one")
            }
            guard (0...65_535).contains(predOffset) else {
                throw ValidationError("--pred-offset must lie between 0 and 65535, not \(predOffset)")
            }
            return .offset(predOffset)
        }
        return predReduceZeroLabel ? .reduceZeroLabel : .classIDs
    }
}

/// Naming conventions stripped from file names before ground truth and predictions (or images)
/// are paired by id.
struct SuffixOptions: ParsableArguments {
    @Option(help: "Suffix removed from ground-truth file names before matching (e.g. _instance_color_RGB).")
    var gtSuffix: String = ""

    @Option(help: "Suffix removed from prediction file names (with --data: image file names) before matching.")
    var predSuffix: String = ""

    func pairing(skipMissing: Bool = false, skipExtra: Bool = false) -> PairingOptions {
        PairingOptions(
            groundTruthSuffix: gtSuffix, predictionSuffix: predSuffix,
            skipMissingPredictions: skipMissing, skipExtraPredictions: skipExtra)
    }
}

/// `--jobs`: worker threads.
struct JobsOption: ParsableArguments {
    @Option(name: .customLong("jobs"), help: "Worker threads (default: all cores).")
    var jobsOption: Int?

    var jobs: Int { jobsOption ?? ProcessInfo.processInfo.activeProcessorCount }
}

/// How a run executes: threads, one shard of the images, progress display.
struct ExecutionOptions: ParsableArguments {
    @OptionGroup var workers: JobsOption

    var jobs: Int { workers.jobs }

    @Option(help: "Evaluate only shard k of N (k/N), chosen by a stable hash of each image id.")
    var shard: String?

    @Flag(help: "Never draw a progress bar.")
    var noProgress = false

    func parsedShard() throws -> Shard? { try shard.map { try Shard(parsing: $0) } }
}

/// The CLIP settings a `torch.save` file (`.pth`, `.pt`, `.bin`) does not record: `ovseg convert`
/// writes them into the metadata, `eval` and `embed` use them to convert a `.pth` in memory
/// (docs/checkpoint-format.md §7). `OptionHints` names these flags for `ConversionSetting` errors.
struct PthCLIPOptions: ParsableArguments {
    @Option(help: "For a .pth: the CLIP activation, quick_gelu (OpenAI-trained weights) or gelu (LAION/OpenCLIP-trained); required for a plain CLIP (a .pth does not record it), default quick_gelu for CAT-Seg.")
    var hiddenAct: String?

    @Option(help: "For a .pth: vision attention heads (default width / 64).")
    var visionHeads: Int?

    @Option(help: "For a .pth: text attention heads (default width / 64).")
    var textHeads: Int?

    /// The flags given, for refusing them where no `.pth` is converted.
    var given: [String] {
        [("--hidden-act", hiddenAct != nil), ("--vision-heads", visionHeads != nil), ("--text-heads", textHeads != nil)]
            .filter(\.1).map(\.0)
    }

    func apply(to options: inout ConversionOptions) {
        options.hiddenActivation = hiddenAct
        options.visionHeads = visionHeads
        options.textHeads = textHeads
    }
}

/// The settings a detectron2 SGSeg/CAT-Seg `.pth` does not record (the reference exporter's
/// options), with the CLIP ones: `ovseg convert`, and `ovseg eval` converting in memory.
struct PthConversionOptions: ParsableArguments {
    @OptionGroup var clip: PthCLIPOptions

    @Option(help: "For a .pth: two 0-based CLIP blocks for the guidance taps, e.g. 7,15 (default 3,7 for width 768, else 7,15).")
    var guidanceLayers: String?

    @Option(help: "For a .pth: cost-aggregation heads (default 4, the released head).")
    var aggregatorHeads: Int?

    @Option(help: "For a .pth: cost-aggregation Swin window (default 12).")
    var aggregatorWindow: Int?

    @Option(help: "For a .pth: class-attention padding length (default 256).")
    var padLen: Int?

    func validate() throws {
        if let guidanceLayers {
            let parts = guidanceLayers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw ValidationError("--guidance-layers takes two block numbers, e.g. 7,15")
            }
        }
    }

    /// The segmenter-only flags given (they do not apply to a plain CLIP).
    var givenSegmenterOnly: [String] {
        [("--guidance-layers", guidanceLayers != nil), ("--aggregator-heads", aggregatorHeads != nil),
         ("--aggregator-window", aggregatorWindow != nil), ("--pad-len", padLen != nil)]
            .filter(\.1).map(\.0)
    }

    /// Every flag given.
    var given: [String] { clip.given + givenSegmenterOnly }

    func apply(to options: inout ConversionOptions) {
        clip.apply(to: &options)
        options.guidanceLayers = guidanceLayers.map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        options.aggregatorHeads = aggregatorHeads
        options.aggregatorWindow = aggregatorWindow
        options.padLength = padLen
    }
}

/// `--gt DIR` or `--data DIR` (whose gt/ holds the ground truth), exactly one.
enum GroundTruthSource {
    case groundTruth(String)
    case dataset(EvaluationDataset)

    init(gt: String?, data: String?) throws {
        switch (gt, data) {
        case (let gt?, nil): self = .groundTruth(gt)
        case (nil, let data?): self = .dataset(EvaluationDataset(root: data))
        default: throw ValidationError("give exactly one of --gt DIR (a ground-truth folder) or --data DIR (images/ and gt/)")
        }
    }

    var groundTruthDirectory: String {
        switch self {
        case .groundTruth(let directory): directory
        case .dataset(let dataset): dataset.groundTruthDirectory
        }
    }
}

extension PresencePolicy: ExpressibleByArgument {}
extension LabelFormat: ExpressibleByArgument {}
extension OutOfRangeGroundTruth: ExpressibleByArgument {}
extension OutOfRangePrediction: ExpressibleByArgument {}
