import ArgumentParser
import CLIP
import CLIPTokenizer
import FileOutput
import Foundation
import LabelMaps
import SafeTensors
import Tensor
import Vocabulary

/// `ovseg embed`: CLIP embeddings as float32 `.npy`, so users can cache
/// vocabulary embeddings and benchmarks can drive the encoders.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write CLIP text, image or dense patch embeddings as a float32 .npy file.",
        discussion: """
            --text: one L2-normalised row per prompt, [N, E].
            --vocab: one L2-normalised row per class (the vocabulary's templates filled with the \
            first synonym, each normalised, averaged over templates, normalised again), [K, E]; \
            the class names are printed in row order.
            --image: the L2-normalised image embedding [1, E]; with --dense the dense patch \
            features [rows, columns, E] (CAT-Seg value path by default, not normalised, CLS dropped).
            Pixels are resized bilinearly to --size (default: the model's native size) and \
            normalised with CLIP's mean/std in 0–255 (CAT-Seg convention).

            Examples:
              ovseg embed --checkpoint clip/model.safetensors --vocab potsdam -o text.npy
              ovseg embed --checkpoint clip/model.safetensors --image tile.png --dense \\
                  -o dense.npy
            """)

    @Option(help: "CLIP checkpoint (safetensors, Hugging Face key names; F32, F16 or BF16).")
    var checkpoint: String

    @Option(help: "Key prefix of the CLIP towers inside the checkpoint (e.g. frozen.).")
    var prefix: String = ""

    @Option(parsing: .upToNextOption, help: "Prompts to embed, one row each.")
    var text: [String] = []

    @Option(help: "Vocabulary (bundled key or JSON file) whose classes to embed.")
    var vocab: String?

    @Option(help: "With --vocab: embed only the classes of this split.")
    var split: String?

    @Option(help: "With --vocab: embed only the classes of the split in this JSON file (see docs/split-files.md).")
    var splitFile: String?

    @Option(help: "With --split or --split-file: seen, unseen or all (default all, in class-id order).")
    var side: SplitSide = .all

    @Option(help: "With --vocab: prompt templates to use instead of the vocabulary's ('{}' = class name).")
    var template: [String] = []

    @Option(help: "RGB (or gray/palette) PNG image to embed.")
    var image: String?

    @Option(help: "With --image: square input size in pixels (a multiple of the patch size).")
    var size: Int?

    @Flag(help: "With --image: write dense patch features instead of the image embedding.")
    var dense = false

    @Option(help: "With --dense: catseg (value path, default), vanilla (plain last-layer tokens), or a training-free last block: segearth, sclip, clearclip, maskclip.")
    var denseMode: CLIPDenseMode = .catSeg

    @Option(help: "Threads for the encoders (default: the core count, or OPENBLAS_NUM_THREADS if set).")
    var threads: Int?

    @Option(help: "Matrix products: reproducible (ovseg's own kernels, the same bits on every x86-64 CPU, default) or openblas (OpenBLAS's kernel for this CPU).")
    var arithmetic: GEMMArithmetic = .reproducible

    @Option(name: .customLong("repeat"), help: "Also time the encoder: run it once to warm up, then this many times, and print the median (stderr).")
    var repeatCount: Int = 0

    @Option(name: .shortAndLong, help: "Output .npy file.")
    var output: String

    enum SplitSide: String, ExpressibleByArgument, CaseIterable { case seen, unseen, all }

    func validate() throws {
        let modes = [!text.isEmpty, vocab != nil, image != nil].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give exactly one of --text, --vocab or --image") }
        if (split != nil || splitFile != nil) && vocab == nil { throw ValidationError("--split and --split-file need --vocab") }
        if (size != nil || dense) && image == nil { throw ValidationError("--size and --dense need --image") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if repeatCount < 0 { throw ValidationError("--repeat must not be negative") }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { BLAS.threadCount = threads }
            BLAS.arithmetic = arithmetic
            let file = try SafeTensorsFile(path: checkpoint)
            let model = try CLIPModel(file: file, prefix: prefix)
            // The tokenizer (merges table) and the decoded pixels are prepared
            // once, outside the timed runs.
            let tokenizer = image == nil ? try CLIPTokenizer() : nil
            let pixels = try image.map { try loadPixels($0, model: model) }
            var result = try compute(model: model, tokenizer: tokenizer, pixels: pixels, printNames: true)
            if repeatCount > 0 {
                var times: [Double] = []
                for _ in 0..<repeatCount {
                    let start = ContinuousClock.now
                    result = try compute(model: model, tokenizer: tokenizer, pixels: pixels, printNames: false)
                    let elapsed = ContinuousClock.now - start
                    times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
                }
                times.sort()
                Terminal.note(String(format: "embed: median %.2f ms, min %.2f ms over %d runs (%d threads, ",
                                     times[times.count / 2], times[0], times.count, BLAS.threadCount)
                              + "\(arithmetic.rawValue) arithmetic)")
            }
            try NPY.write(shape: result.shape, values: result.scalars, to: output)
        }
    }

    /// The embeddings this invocation asks for.
    func compute(model: CLIPModel, tokenizer: CLIPTokenizer?, pixels: Tensor?, printNames: Bool) throws -> Tensor {
            let result: Tensor
            if let pixels {
                result = try embedImage(pixels, model: model)
            } else {
                guard let encoder = model.text else {
                    throw CLIPError.unsupportedConfiguration("\(checkpoint) has no text tower under '\(prefix)text_model.'")
                }
                guard let tokenizer else { throw CLIPError.invalidInput("no tokenizer") }
                if let vocab {
                    let (names, templates) = try classPrompts(vocab)
                    result = try encoder.classEmbeddings(classNames: names, templates: templates, tokenizer: tokenizer)
                    if printNames { for (row, name) in names.enumerated() { print("\(row)\t\(name)") } }
                } else {
                    result = try encoder.embed(texts: text, tokenizer: tokenizer)
                }
            }
            return result
    }

    /// Class names (in row order) and templates for `--vocab`.
    func classPrompts(_ key: String) throws -> ([String], [String]) {
        let vocabulary = try Vocabulary.resolve(key)
        var names = vocabulary.classes.map(\.name)
        if split != nil || splitFile != nil, let chosen = try SplitSelection(split: split, splitFile: splitFile).split(for: vocabulary) {
            let ids: [Int]
            switch side {
            case .seen: ids = chosen.seenIDs
            case .unseen: ids = chosen.unseenIDs
            case .all: ids = (chosen.seenIDs + chosen.unseenIDs).sorted()
            }
            names = ids.compactMap { id in vocabulary.classes.first { $0.id == id }?.name }
        }
        let templates = !template.isEmpty ? template
            : (vocabulary.promptTemplates.isEmpty ? [CLIPPrompts.catSegTemplate] : vocabulary.promptTemplates)
        return (names, templates)
    }

    /// The vision tower of the checkpoint, or an error naming what is missing.
    func visionEncoder(_ model: CLIPModel) throws -> CLIPVisionEncoder {
        guard let encoder = model.vision else {
            throw CLIPError.unsupportedConfiguration("\(checkpoint) has no vision tower under '\(prefix)vision_model.'")
        }
        return encoder
    }

    /// The PNG at `path` as normalised `[1, 3, size, size]` pixels.
    func loadPixels(_ path: String, model: CLIPModel) throws -> Tensor {
        let encoder = try visionEncoder(model)
        let side = size ?? encoder.configuration.nativeImageSize
        let png = try DecodedPNG.read(path: path)
        let rgb = try png.rgbPixels(name: path)
        return try CLIPImagePreprocessing.pixels(
            rgb: rgb, sourceWidth: png.width, sourceHeight: png.height, height: side, width: side)
    }

    func embedImage(_ pixels: Tensor, model: CLIPModel) throws -> Tensor {
        let encoder = try visionEncoder(model)
        let request = CLIPVisionRequest(dense: dense ? denseMode : nil, pooled: !dense)
        let output = try encoder.encode(pixels, request: request)
        if dense {
            guard let features = output.dense else { throw CLIPError.invalidInput("no dense features computed") }
            let (rows, columns) = output.grid, e = features.shape[2]
            return try Tensor(shape: [rows, columns, e], scalars: Array(features.scalars[e...]))
        }
        guard let embeddings = output.embeddings else {
            throw CLIPError.unsupportedConfiguration("\(checkpoint) has no visual_projection.weight")
        }
        return try embeddings.l2Normalized()
    }
}

extension CLIPDenseMode: ExpressibleByArgument {}
extension GEMMArithmetic: ExpressibleByArgument {}
