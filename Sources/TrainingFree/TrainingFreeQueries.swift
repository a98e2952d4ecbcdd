import CLIP
import Tensor

/// Text queries of the training-free mode: one L2-normalised embedding per
/// query name and the class each query belongs to (SegEarth-OV's
/// comma-separated synonyms, one line per class).
public struct TrainingFreeQueries: Sendable, Equatable {
    /// `[Q, E]`, every row L2-normalised.
    public let embeddings: Tensor
    /// Class id (0…K−1) of each query row.
    public let queryToClass: [Int]
    /// K: every class id below it has at least one query.
    public let classCount: Int

    /// Wraps embeddings computed elsewhere (e.g. a cache written by
    /// `ovseg embed`); rows are L2-normalised here.
    ///
    /// - Throws: `.invalidQueries` unless `embeddings` is `[Q, E]` with
    ///   `Q == queryToClass.count ≥ 1`, finite, and the class ids cover 0…K−1.
    public init(embeddings: Tensor, queryToClass: [Int]) throws(TrainingFreeError) {
        guard embeddings.rank == 2, embeddings.shape[0] >= 1, embeddings.shape[1] >= 1 else {
            throw .invalidQueries("embeddings must be [queries, width] with both ≥ 1, got \(embeddings.shape)")
        }
        guard embeddings.shape[0] == queryToClass.count else {
            throw .invalidQueries("\(embeddings.shape[0]) embedding rows but \(queryToClass.count) class ids")
        }
        guard let largest = queryToClass.max(), let smallest = queryToClass.min(), smallest >= 0 else {
            throw .invalidQueries("class ids must not be negative: \(queryToClass)")
        }
        let missing = Set(0...largest).subtracting(queryToClass)
        guard missing.isEmpty else {
            throw .invalidQueries("classes \(missing.sorted()) have no query (ids must cover 0…\(largest))")
        }
        guard embeddings.scalars.allSatisfy(\.isFinite) else { throw .invalidQueries("embeddings hold non-finite values") }
        do { self.embeddings = try embeddings.l2Normalized() } catch { throw .invalidQueries(error.description) }
        self.queryToClass = queryToClass
        classCount = largest + 1
    }
}

extension TrainingFreeSegmenter {
    /// Prompts encoded per text-tower call (bounds the activation memory of
    /// long vocabularies × 80 templates; each call is still one GEMM per
    /// projection over all of its prompts).
    static let promptsPerBatch = 256

    /// Query embeddings for `synonyms[k]` = the names of class `k` (each name
    /// is one query): every template filled with the name (`{}` replaced),
    /// each prompt embedded and L2-normalised, averaged over the templates,
    /// normalised again (docs/segmentation-core.md §5.1 step 11).
    ///
    /// - Throws: `.emptyVocabulary` for no classes, a class without a
    ///   non-empty name, no templates or a template without `{}`;
    ///   `.model` if the checkpoint has no text tower or projection.
    public func queries(
        synonyms: [[String]], templates: [String] = TrainingFreePrompts.openAIImageNetTemplates,
        tokenizer: some CLIPTextTokenizing
    ) throws(TrainingFreeError) -> TrainingFreeQueries {
        guard !synonyms.isEmpty else { throw .emptyVocabulary("no classes to segment") }
        for (index, names) in synonyms.enumerated() where names.isEmpty || names.contains(where: \.isEmpty) {
            throw .emptyVocabulary("class \(index) has no name or an empty name: \(names)")
        }
        guard !templates.isEmpty else { throw .emptyVocabulary("no prompt templates") }
        if let bad = templates.first(where: { !$0.contains("{}") }) {
            throw .emptyVocabulary("prompt template '\(bad)' has no '{}' placeholder")
        }
        guard let text else {
            throw .model(.unsupportedConfiguration("the checkpoint has no text tower (text_model.*) to embed the queries"))
        }
        let names = synonyms.flatMap { $0 }
        let queryToClass = synonyms.enumerated().flatMap { index, names in names.map { _ in index } }
        let prompts = names.flatMap { name in templates.map { $0.replacingOccurrences(of: "{}", with: name) } }
        var rows: [Float] = []
        var width = 0
        do {
            for start in stride(from: 0, to: prompts.count, by: Self.promptsPerBatch) {
                let batch = Array(prompts[start..<min(start + Self.promptsPerBatch, prompts.count)])
                let embedded = try text.embed(texts: batch, tokenizer: tokenizer)
                width = embedded.shape[1]
                rows += embedded.scalars
            }
        } catch {
            throw .model(error)
        }
        // Sum over each query's templates; the normalisation in
        // `TrainingFreeQueries` turns it into the direction of the mean.
        let p = templates.count
        var sums = [Float](repeating: 0, count: names.count * width)
        rows.withUnsafeBufferPointer { source in
            for query in 0..<names.count {
                for j in 0..<p {
                    let row = (query * p + j) * width
                    for i in 0..<width { sums[query * width + i] += source[row + i] }
                }
            }
        }
        let embeddings: Tensor
        do {
            embeddings = try Tensor(shape: [names.count, width], scalars: sums)
        } catch {
            throw .invalidQueries(error.description)
        }
        return try TrainingFreeQueries(embeddings: embeddings, queryToClass: queryToClass)
    }
}
