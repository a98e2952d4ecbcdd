import CLIPTokenizer
import Tensor

/// Turns a prompt into a row of token ids for `CLIPTextEncoder`.
///
/// `CLIPTokenizer` is the real one (77 ids, 49406 … 49407); tests of the
/// prompt logic on tiny random models use a stand-in with a small vocabulary.
public protocol CLIPTextTokenizing: Sendable {
    func tokenRow(_ text: String) -> [Int32]
}

extension CLIPTokenizer: CLIPTextTokenizing {
    public func tokenRow(_ text: String) -> [Int32] { tokenize(text).ids }
}

/// Prompt construction of CAT-Seg's `get_text_embeds` (docs/segmentation-core.md §4.4).
public enum CLIPPrompts {
    /// The single template of the released CAT-Seg / SGSeg code.
    public static let catSegTemplate = "A photo of a {} in the scene"

    /// The name used in prompts: for a name holding `", "`, only the first
    /// synonym (CAT-Seg's rule).
    public static func promptName(_ className: String) -> String {
        guard let range = className.range(of: ", ") else { return className }
        return String(className[..<range.lowerBound])
    }

    /// `template` with every `{}` replaced by the prompt name of `className`.
    public static func fill(_ template: String, with className: String) -> String {
        template.replacingOccurrences(of: "{}", with: promptName(className))
    }
}

extension CLIPTextEncoder {
    /// L2-normalised embeddings `[N, projection]` of `texts`, all encoded as
    /// one batch (one GEMM per projection over every prompt's tokens).
    public func embed(texts: [String], tokenizer: some CLIPTextTokenizing) throws(CLIPError) -> Tensor {
        guard !texts.isEmpty else { throw .invalidInput("no texts to embed") }
        return try normalizedEmbeddings(tokenRows: texts.map(tokenizer.tokenRow))
    }

    /// Per-class, per-template embeddings `[T, P, projection]`, each row
    /// L2-normalised: CAT-Seg's `get_text_embeds` (§5.4) for `T` class names
    /// and `P` templates.
    public func classTemplateEmbeddings(
        classNames: [String], templates: [String], tokenizer: some CLIPTextTokenizing
    ) throws(CLIPError) -> Tensor {
        guard !classNames.isEmpty else { throw .invalidInput("no class names") }
        guard !templates.isEmpty else { throw .invalidInput("no prompt templates") }
        if let bad = templates.first(where: { !$0.contains("{}") }) {
            throw .invalidInput("prompt template '\(bad)' has no '{}' placeholder")
        }
        let prompts = classNames.flatMap { name in templates.map { CLIPPrompts.fill($0, with: name) } }
        let flat = try embed(texts: prompts, tokenizer: tokenizer)
        do {
            return try flat.reshaped([classNames.count, templates.count, flat.shape[1]])
        } catch {
            throw .computation(error)
        }
    }

    /// One embedding per class `[T, projection]`: the per-template normalised
    /// embeddings averaged over the templates and normalised again (the
    /// prompt-ensemble form; with one template it equals that template's row).
    public func classEmbeddings(
        classNames: [String], templates: [String], tokenizer: some CLIPTextTokenizing
    ) throws(CLIPError) -> Tensor {
        let perTemplate = try classTemplateEmbeddings(classNames: classNames, templates: templates, tokenizer: tokenizer)
        let t = perTemplate.shape[0], p = perTemplate.shape[1], e = perTemplate.shape[2]
        var mean = [Float](repeating: 0, count: t * e)
        perTemplate.withUnsafeBufferPointer { src in
            for c in 0..<t {
                for j in 0..<p {
                    for i in 0..<e { mean[c * e + i] += src[(c * p + j) * e + i] }
                }
            }
        }
        let scale = 1 / Float(p)
        do {
            return try Tensor(shape: [t, e], scalars: mean.map { $0 * scale }).l2Normalized()
        } catch {
            throw .computation(error)
        }
    }
}
