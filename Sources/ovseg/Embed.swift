import ArgumentParser
import CheckpointConversion
import CLIP
import Evaluation
import FileOutput
import Foundation
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
              ovseg embed --checkpoint RemoteCLIP-ViT-B-32.pt --hidden-act gelu --vocab potsdam \\
                  -o remoteclip-text.npy
            """)

    @Option(help: "CLIP checkpoint: a Hugging Face folder (config.json + model.safetensors, or a sharded model.safetensors.index.json), a safetensors file in Hugging Face key names (its config.json beside it is read too; F32, F16 or BF16), or a torch.save .pth/.pt/.bin (an open_clip CLIP, with --hidden-act) converted in memory as ovseg convert converts it.")
    var checkpoint: String

    @OptionGroup var conversion: PthCLIPOptions

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
    var side: Vocabulary.SplitSide = .all

    @Option(help: "With --vocab: prompt templates to use instead of the vocabulary's ('{}' = class name).")
    var template: [String] = []

    @Option(help: "Image to embed: PNG (RGB, gray or palette) or JPEG (RGB, YCbCr or gray).")
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
            let input: CLIPEmbedding.Input
            var names: [String] = []
            if let vocab {
                let vocabulary = try Vocabulary.resolve(vocab)
                let chosen = split != nil || splitFile != nil
                    ? try SplitSelection(split: split, splitFile: splitFile).split(for: vocabulary) : nil
                let prompts = vocabulary.classPrompts(split: chosen, side: side, templates: template)
                names = prompts.names
                input = .classes(names: prompts.names, templates: prompts.templates)
            } else if let image {
                input = .image(path: image, size: size, dense: dense ? denseMode : nil)
            } else {
                input = .texts(text)
            }
            var settings = ConversionOptions()
            conversion.apply(to: &settings)
            let opened = try ModelCheckpoint(path: checkpoint, conversion: settings)
            if !opened.isPyTorch, let flag = conversion.given.first {
                throw ValidationError("\(flag) applies to a .pth checkpoint, converted in memory; \(checkpoint) is a safetensors checkpoint, which records it")
            }
            let embedding = try CLIPEmbedding(checkpoint: opened, prefix: prefix, input: input)
            var result = try embedding.compute()
            for (row, name) in names.enumerated() { print("\(row)\t\(name)") }
            if repeatCount > 0 {
                var times: [Double] = []
                for _ in 0..<repeatCount {
                    let start = ContinuousClock.now
                    result = try embedding.compute()
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
}

extension CLIPDenseMode: ExpressibleByArgument {}
extension Vocabulary.SplitSide: ExpressibleByArgument {}
extension GEMMArithmetic: ExpressibleByArgument {}
