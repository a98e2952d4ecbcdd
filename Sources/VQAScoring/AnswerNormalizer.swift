import Foundation

/// Upper edges of numeric answer buckets (docs/vqa.md §3): with edges e1 < e2 < … < ek the buckets
/// are 0, (0, e1], (e1, e2], …, (e(k-1), ek] and more than ek, labelled the way the RSVQA release
/// labels them ("0", "between 0 and 10", …, "more than 1000"; "m2" appended to every number for
/// areas).
public struct BucketEdges: Sendable, Equatable {
    public var edges: [UInt64]

    /// RSVQA's edges for counts (low-resolution set) and areas: 10, 100, 1000.
    public static let rsvqa = BucketEdges(unchecked: [10, 100, 1000])

    init(unchecked edges: [UInt64]) { self.edges = edges }

    /// Checks that the edges are positive and strictly increasing.
    public init(_ edges: [UInt64]) throws(VQAError) {
        guard !edges.isEmpty else { throw VQAError(.setting, "bucket edges: give at least one edge") }
        for (index, edge) in edges.enumerated() {
            if edge == 0 || (index > 0 && edge <= edges[index - 1]) {
                throw VQAError(.setting, "bucket edges \(edges.map(String.init).joined(separator: ",")): "
                    + "expected positive, strictly increasing integers")
            }
        }
        self.edges = edges
    }

    /// Parses "rsvqa", "none" (nil) or a comma-separated list of edges.
    public static func parse(_ text: String, option: String) throws(VQAError) -> BucketEdges? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "none" { return nil }
        if trimmed == "rsvqa" { return .rsvqa }
        var values: [UInt64] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            guard let value = UInt64(item) else {
                throw VQAError(.setting, "\(option): \"\(item)\" is not a positive integer (give none, rsvqa or e.g. 10,100,1000)")
            }
            values.append(value)
        }
        do {
            return try BucketEdges(values)
        } catch {
            throw VQAError(.setting, "\(option): \(error.description)")
        }
    }

    /// The bucket labels in order, for `unit` "" (counts) or "m2" (areas).
    public func labels(unit: String) -> [String] {
        var result = ["0" + unit]
        var lower: UInt64 = 0
        for edge in edges {
            result.append("between \(lower)\(unit) and \(edge)\(unit)")
            lower = edge
        }
        result.append("more than \(lower)\(unit)")
        return result
    }

    /// The label of `value`'s bucket.
    public func label(of value: UInt64, unit: String) -> String {
        if value == 0 { return "0" + unit }
        var lower: UInt64 = 0
        for edge in edges {
            if value <= edge { return "between \(lower)\(unit) and \(edge)\(unit)" }
            lower = edge
        }
        return "more than \(lower)\(unit)"
    }

    /// The edges as written in a results file and on the command line ("10,100,1000").
    public var text: String { edges.map(String.init).joined(separator: ",") }
}


/// How answers are compared (docs/vqa.md §3). Both the ground-truth answer and the prediction go
/// through the same steps, then must be equal:
/// 1. trimmed, lower-cased, inner whitespace runs collapsed to one space;
/// 2. one trailing "?", "." or "!" removed, then trimmed again (RSVQA's loader drops a final "?" or ".");
/// 3. a number word zero…twenty becomes its digits; a number with a zero fraction ("3.0") its integer;
/// 4. for questions of type `count` with count buckets: a non-negative integer becomes its bucket label;
/// 5. an area ("1234m2", "1234 m2", "1234 m²", "1234.0m2") becomes "<n>m2", then, with area buckets,
///    its bucket label.
/// Yes/no synonyms ("true", "y") and articles are left alone: RSVQA's answers never use them and its
/// evaluation does not map them, so a model answering "true" is wrong there too.
public struct AnswerNormalizer: Sendable, Equatable {
    /// Count buckets for questions of type `count` (nil: counts compared exactly, as in RSVQA-HR).
    public var countBuckets: BucketEdges?
    /// Area buckets (nil: areas compared as integers of m²).
    public var areaBuckets: BucketEdges?

    public init(countBuckets: BucketEdges? = nil, areaBuckets: BucketEdges? = .rsvqa) {
        self.countBuckets = countBuckets
        self.areaBuckets = areaBuckets
    }

    /// The question type whose numeric answers are counts.
    public static let countType = "count"

    static let numberWords: [String: String] = [
        "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
        "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
        "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20",
    ]

    /// The normalised form of `answer` to a question of type `type`.
    public func normalize(_ answer: String, type: String) -> String {
        var text = Self.basic(answer)
        if let word = Self.numberWords[text] { text = word }
        if let integer = Self.integer(text) {
            text = String(integer)
            if type == Self.countType, let countBuckets { return countBuckets.label(of: integer, unit: "") }
            return text
        }
        if let area = Self.area(text) {
            if let areaBuckets { return areaBuckets.label(of: area, unit: "m2") }
            return "\(area)m2"
        }
        return text
    }

    /// Steps 1 and 2: case, whitespace, one trailing "?", "." or "!".
    static func basic(_ answer: String) -> String {
        var text = answer.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        if let last = text.last, last == "?" || last == "." || last == "!" {
            text.removeLast()
            text = text.trimmingCharacters(in: .whitespaces)
        }
        return text
    }

    /// A non-negative integer written as digits, optionally with a zero fraction ("3", "3.0", "3.00").
    static func integer(_ text: String) -> UInt64? {
        var digits = Substring(text)
        if let dot = text.firstIndex(of: ".") {
            let fraction = text[text.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0 == "0" }) else { return nil }
            digits = text[..<dot]
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    /// An area in m²: an integer (as above) followed by "m2" or "m²", with or without a space.
    static func area(_ text: String) -> UInt64? {
        for unit in ["m2", "m²"] where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            if let value = integer(number) { return value }
        }
        return nil
    }

    /// The closed answer set of a question type after normalisation, or nil when the type's answers
    /// are open (docs/vqa.md §4): yes/no for presence and comparison, rural/urban, and the bucket
    /// labels of counts and areas when they are bucketed.
    public func closedAnswers(of type: String) -> [String]? {
        switch type {
        case "presence", "comp", "comparison": return ["yes", "no"]
        case "rural_urban", "rural-urban", "urban_rural": return ["rural", "urban"]
        case Self.countType: return countBuckets?.labels(unit: "")
        case "area": return areaBuckets?.labels(unit: "m2")
        default: return nil
        }
    }
}
