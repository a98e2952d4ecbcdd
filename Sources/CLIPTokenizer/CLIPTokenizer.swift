import Foundation

/// Why the tokenizer could not be created.
public enum CLIPTokenizerError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The bundled merges resource is missing from the module bundle.
    case missingResource(String)
    /// The merges file is damaged or does not have the expected layout.
    case invalidMerges(String)

    public var description: String {
        switch self {
        case .missingResource(let name): return "CLIP tokenizer resource '\(name)' is missing from the bundle"
        case .invalidMerges(let detail): return "CLIP BPE merges are invalid: \(detail)"
        }
    }
}

/// The result of tokenizing one text to a fixed context.
public struct TokenizedText: Sendable, Equatable {
    /// `[49406] + BPE ids + [49407]`, zero-padded to the context length.
    public let ids: [Int32]
    /// Index of the end-of-text token (where CLIP pools the text features).
    public let endOfTextIndex: Int
    /// True if the text was longer than the context and cut (open_clip keeps
    /// the first `context − 1` ids and forces the last to 49407).
    public let truncated: Bool
}

/// CLIP's byte-level BPE tokenizer with open_clip's behaviour
/// (`SimpleTokenizer`, `clean='lower'`).
///
/// Steps: clean the text (ftfy subset, HTML entities, whitespace, lower case —
/// see `TextCleaning`), split it with CLIP's pattern
/// (`<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`),
/// map each UTF-8 byte to its printable stand-in, apply the 48 894 BPE
/// merges lowest rank first, and look up ids. Vocabulary: 256 byte symbols,
/// the same with `</w>`, the merged symbols in merge order, then
/// `<start_of_text>` = 49406 and `<end_of_text>` = 49407.
///
/// A value type holding immutable tables; safe to share between tasks.
public struct CLIPTokenizer: Sendable {
    public static let startOfText: Int32 = 49406
    public static let endOfText: Int32 = 49407
    /// Context length of every released CLIP text tower.
    public static let defaultContextLength = 77
    /// Number of merges CLIP uses (`49152 − 256 − 2`).
    public static let mergeCount = 48_894

    /// Symbol id for each byte value (the `bytes_to_unicode` order).
    private let byteSymbol: [Int32]
    /// `(left, right)` symbol ids → merge rank.
    private let ranks: [UInt64: Int32]
    /// Merge rank → id of the merged symbol.
    private let mergedSymbol: [Int32]
    /// Merge rank → `(left, right)` key of `ranks`.
    private let pairOfRank: [UInt64]
    /// Symbol strings by id (for `decode`).
    private let symbols: [String]
    /// Byte value of each printable stand-in (inverse of `bytes_to_unicode`).
    private let byteForStandIn: [Unicode.Scalar: UInt8]

    /// Loads the merges bundled with the module (open_clip's
    /// `bpe_simple_vocab_16e6.txt.gz`, first 48 894 merges).
    public init() throws(CLIPTokenizerError) {
        let name = "bpe_merges_48894.txt.gz"
        guard let url = Bundle.module.url(forResource: "bpe_merges_48894.txt", withExtension: "gz"),
              let data = try? Data(contentsOf: url) else {
            throw .missingResource(name)
        }
        let text: [UInt8]
        do {
            text = try Gzip.decompress([UInt8](data))
        } catch {
            throw .invalidMerges("\(name): \(error.description)")
        }
        try self.init(mergesText: String(decoding: text, as: UTF8.self))
    }

    /// Builds the tokenizer from the text of a merges file: a `#version` header
    /// line, then one merge per line (`left right`); lines after the first
    /// 48 894 merges are ignored, as in CLIP.
    public init(mergesText: String) throws(CLIPTokenizerError) {
        var lines = mergesText.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first, header.hasPrefix("#version") || header.contains("#version") else {
            throw .invalidMerges("the first line is not a '#version' header")
        }
        lines.removeFirst()
        guard lines.count >= Self.mergeCount else {
            throw .invalidMerges("expected \(Self.mergeCount) merges, found \(lines.count)")
        }
        // bytes_to_unicode: printable bytes keep their code point, the other 68
        // map to U+0100, U+0101, … in increasing byte order.
        var order: [UInt8] = Array(33...126) + Array(161...172) + Array(174...255)
        var standIn: [UInt8: Unicode.Scalar] = [:]
        for byte in order { standIn[byte] = Unicode.Scalar(byte) }
        var next: UInt32 = 256
        for byte in UInt8.min...UInt8.max where standIn[byte] == nil {
            order.append(byte)
            standIn[byte] = Unicode.Scalar(next)
            next += 1
        }
        var symbols: [String] = order.map { String(Character(standIn[$0] ?? " ")) }
        symbols += symbols.map { $0 + "</w>" }
        var byteSymbol = [Int32](repeating: 0, count: 256)
        for (index, byte) in order.enumerated() { byteSymbol[Int(byte)] = Int32(index) }

        var pairs: [(Substring, Substring)] = []
        pairs.reserveCapacity(Self.mergeCount)
        for (number, line) in lines.prefix(Self.mergeCount).enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else {
                throw .invalidMerges("merge \(number + 1) is '\(line)', not two symbols")
            }
            pairs.append((parts[0], parts[1]))
            symbols.append(String(parts[0] + parts[1]))
        }
        symbols += ["<start_of_text>", "<end_of_text>"]
        // Python builds the encoder with dict(zip(vocab, ids)): the last id wins for repeated strings.
        var encoder: [String: Int32] = [:]
        for (id, symbol) in symbols.enumerated() { encoder[symbol] = Int32(id) }
        var ranks: [UInt64: Int32] = [:]
        var merged = [Int32](repeating: 0, count: Self.mergeCount)
        var pairOfRank = [UInt64](repeating: 0, count: Self.mergeCount)
        for (rank, pair) in pairs.enumerated() {
            guard let left = encoder[String(pair.0)], let right = encoder[String(pair.1)],
                  let result = encoder[String(pair.0 + pair.1)] else {
                throw .invalidMerges("merge \(rank + 1) uses a symbol that no earlier line defines")
            }
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            if ranks[key] == nil { ranks[key] = Int32(rank) }
            merged[rank] = result
            pairOfRank[rank] = key
        }
        guard encoder["<end_of_text>"] == Self.endOfText, encoder["<start_of_text>"] == Self.startOfText else {
            throw .invalidMerges("special tokens do not land on ids 49406/49407")
        }
        self.byteSymbol = byteSymbol
        self.ranks = ranks
        self.mergedSymbol = merged
        self.pairOfRank = pairOfRank
        self.symbols = symbols
        var inverse: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in standIn { inverse[scalar] = byte }
        self.byteForStandIn = inverse
    }

    /// BPE ids of `text` without start/end tokens or padding.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for piece in Self.split(TextCleaning.clean(text)) {
            switch piece {
            case .startOfText: ids.append(Self.startOfText)
            case .endOfText: ids.append(Self.endOfText)
            case .word(let scalars): ids += bpe(Array(String(String.UnicodeScalarView(scalars)).utf8))
            }
        }
        return ids
    }

    /// `[49406] + encode(text) + [49407]`, truncated (last id forced to 49407)
    /// and zero-padded to `contextLength`, like `open_clip.tokenize`.
    public func tokenize(_ text: String, contextLength: Int = CLIPTokenizer.defaultContextLength) -> TokenizedText {
        let context = max(contextLength, 2)
        var ids = [Self.startOfText] + encode(text) + [Self.endOfText]
        let truncated = ids.count > context
        if truncated {
            ids = Array(ids.prefix(context))
            ids[context - 1] = Self.endOfText
        }
        let endIndex = ids.count - 1
        ids += [Int32](repeating: 0, count: context - ids.count)
        return TokenizedText(ids: ids, endOfTextIndex: endIndex, truncated: truncated)
    }

    /// Tokenizes several texts (one row each).
    public func tokenize(_ texts: [String], contextLength: Int = CLIPTokenizer.defaultContextLength) -> [TokenizedText] {
        texts.map { tokenize($0, contextLength: contextLength) }
    }

    /// Text of a sequence of ids: `</w>` becomes a space, the start token is
    /// skipped and decoding stops at the end token (so padding is ignored).
    public func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        for id in ids.prefix(while: { $0 != Self.endOfText }) where id >= 0 && Int(id) < symbols.count && id < Self.startOfText {
            var symbol = symbols[Int(id)]
            let endsWord = symbol.hasSuffix("</w>")
            if endsWord { symbol.removeLast(4) }
            for scalar in symbol.unicodeScalars { if let byte = byteForStandIn[scalar] { bytes.append(byte) } }
            if endsWord { bytes.append(0x20) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Applies the merges to one pre-token (its UTF-8 bytes).
    func bpe(_ bytes: [UInt8]) -> [Int32] {
        guard !bytes.isEmpty else { return [] }
        var word = bytes.map { byteSymbol[Int($0)] }
        word[word.count - 1] += 256  // the last symbol carries </w>
        while word.count > 1 {
            var best = Int32.max
            for i in 0..<(word.count - 1) {
                if let rank = ranks[UInt64(UInt32(word[i])) << 32 | UInt64(UInt32(word[i + 1]))], rank < best { best = rank }
            }
            if best == Int32.max { break }
            let key = pairOfRank[Int(best)]
            let pair = (left: Int32(truncatingIfNeeded: key >> 32), right: Int32(truncatingIfNeeded: key))
            var merged: [Int32] = []
            merged.reserveCapacity(word.count)
            var i = 0
            while i < word.count {
                if i + 1 < word.count && word[i] == pair.left && word[i + 1] == pair.right {
                    merged.append(mergedSymbol[Int(best)])
                    i += 2
                } else {
                    merged.append(word[i])
                    i += 1
                }
            }
            word = merged
        }
        return word
    }

    // MARK: splitting

    enum Piece: Equatable {
        case startOfText, endOfText
        case word([Unicode.Scalar])
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map { Array($0.unicodeScalars) }
    static let specials: [([Unicode.Scalar], Piece)] = [
        (Array("<start_of_text>".unicodeScalars), .startOfText), (Array("<end_of_text>".unicodeScalars), .endOfText),
    ]

    /// `regex.findall` of CLIP's pattern over already lower-cased text.
    static func split(_ text: [Unicode.Scalar]) -> [Piece] {
        var pieces: [Piece] = []
        var i = 0
        func hasPrefix(_ p: [Unicode.Scalar], at i: Int) -> Bool {
            i + p.count <= text.count && text[i..<(i + p.count)].elementsEqual(p)
        }
        scan: while i < text.count {
            for (literal, piece) in specials where hasPrefix(literal, at: i) {
                pieces.append(piece)
                i += literal.count
                continue scan
            }
            for contraction in contractions where hasPrefix(contraction, at: i) {
                pieces.append(.word(contraction))
                i += contraction.count
                continue scan
            }
            let s = text[i]
            var j = i + 1
            if isLetter(s) {
                while j < text.count && isLetter(text[j]) { j += 1 }
            } else if isNumber(s) {
                // one digit per token
            } else if !s.properties.isWhitespace {
                while j < text.count && !isLetter(text[j]) && !isNumber(text[j]) && !text[j].properties.isWhitespace { j += 1 }
            } else {
                i += 1
                continue
            }
            pieces.append(.word(Array(text[i..<j])))
            i = j
        }
        return pieces
    }
}
