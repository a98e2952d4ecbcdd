import CLIP
import CLIPTokenizer
import LabelMaps
import Tensor
import Vocabulary

/// CLIP embeddings of prompts, of a vocabulary's classes or of an image: the library behind
/// `ovseg embed`. Loading the checkpoint, the tokenizer and the pixels happens once in `init`;
/// `compute()` runs the encoders (so a caller can time it alone).
public struct CLIPEmbedding {
    /// What to embed.
    public enum Input: Sendable {
        /// One L2-normalised row per prompt, `[N, E]`.
        case texts([String])
        /// One L2-normalised row per class (templates filled with each name, normalised, averaged,
        /// normalised again), `[K, E]`.
        case classes(names: [String], templates: [String])
        /// The L2-normalised image embedding `[1, E]` of a PNG or JPEG (`RasterImage.readRGB`) resized to `size` (nil: the model's
        /// native size), or with `dense` its patch features `[rows, columns, E]` (CLS dropped).
        case image(path: String, size: Int?, dense: CLIPDenseMode?)
    }

    public let checkpoint: String
    public let input: Input
    let model: CLIPModel
    let tokenizer: CLIPTokenizer?
    let pixels: Tensor?

    /// Loads the towers under `prefix` (`frozen.` for an SGSeg checkpoint's frozen CLIP) and prepares
    /// the tokenizer or the pixels.
    public init(checkpoint: String, prefix: String = "", input: Input) throws(EvaluationError) {
        try self.init(checkpoint: try ModelCheckpoint(path: checkpoint), prefix: prefix, input: input)
    }

    /// `init(checkpoint:prefix:input:)` with the checkpoint already opened: a `.pth` converted in
    /// memory with the caller's settings, exactly as `ovseg eval` converts it (one code path).
    public init(checkpoint opened: ModelCheckpoint, prefix: String = "", input: Input) throws(EvaluationError) {
        let checkpoint = opened.path
        self.checkpoint = checkpoint
        self.input = input
        do {
            // A torch.save file is converted in memory; anything else is a safetensors file, a shard
            // index or a Hugging Face folder with its config.json (CLIPCheckpoint).
            let model = opened.isPyTorch
                ? try CLIPModel(file: opened.open(), prefix: prefix)
                : try CLIPModel(checkpoint: CLIPCheckpoint(path: checkpoint), prefix: prefix)
            self.model = model
            switch input {
            case .texts, .classes:
                guard model.text != nil else {
                    throw EvaluationError(.checkpoint, "\(checkpoint) has no text tower under '\(prefix)text_model.'")
                }
                tokenizer = try CLIPTokenizer()
                pixels = nil
            case .image(let path, let size, _):
                guard let encoder = model.vision else {
                    throw EvaluationError(.checkpoint, "\(checkpoint) has no vision tower under '\(prefix)vision_model.'")
                }
                let side = size ?? encoder.configuration.nativeImageSize
                let image = try RasterImage.readRGB(path: path)
                pixels = try CLIPImagePreprocessing.pixels(
                    rgb: image.pixels, sourceWidth: image.width, sourceHeight: image.height,
                    height: side, width: side)
                tokenizer = nil
            }
        } catch {
            throw EvaluationError.wrapping(error)
        }
    }

    /// Runs the encoders.
    public func compute() throws(EvaluationError) -> Tensor {
        do {
            switch input {
            case .texts(let texts):
                guard let encoder = model.text, let tokenizer else { throw EvaluationError(.run, "no text tower") }
                return try encoder.embed(texts: texts, tokenizer: tokenizer)
            case .classes(let names, let templates):
                guard let encoder = model.text, let tokenizer else { throw EvaluationError(.run, "no text tower") }
                return try encoder.classEmbeddings(classNames: names, templates: templates, tokenizer: tokenizer)
            case .image(_, _, let dense):
                guard let encoder = model.vision, let pixels else { throw EvaluationError(.run, "no vision tower") }
                let output = try encoder.encode(pixels, request: CLIPVisionRequest(dense: dense, pooled: dense == nil))
                if dense != nil {
                    guard let features = output.dense else { throw EvaluationError(.run, "no dense features computed") }
                    let (rows, columns) = output.grid
                    let width = features.shape[2]
                    return try Tensor(shape: [rows, columns, width], scalars: Array(features.scalars[width...]))
                }
                guard let embeddings = output.embeddings else {
                    throw EvaluationError(.checkpoint, "\(checkpoint) has no visual_projection.weight")
                }
                return try embeddings.l2Normalized()
            }
        } catch {
            throw EvaluationError.wrapping(error)
        }
    }
}

extension Vocabulary {
    /// Which classes of a split to embed.
    public enum SplitSide: String, Sendable, CaseIterable { case seen, unseen, all }

    /// Class names in row order and the templates to embed them with: every class, or those of
    /// `split` on `side` (in class-id order); `templates` when given, else the vocabulary's, else
    /// CAT-Seg's single template.
    public func classPrompts(split: ClassSplit? = nil, side: SplitSide = .all, templates: [String] = [])
        -> (names: [String], templates: [String])
    {
        var names = classes.map(\.name)
        if let split {
            let ids: [Int]
            switch side {
            case .seen: ids = split.seenIDs
            case .unseen: ids = split.unseenIDs
            case .all: ids = (split.seenIDs + split.unseenIDs).sorted()
            }
            names = ids.compactMap { id in classes.first { $0.id == id }?.name }
        }
        let chosen = !templates.isEmpty ? templates : (promptTemplates.isEmpty ? [CLIPPrompts.catSegTemplate] : promptTemplates)
        return (names, chosen)
    }
}
