import Foundation
import Testing
@testable import CLIPTokenizer

/// One shared tokenizer: building the tables takes a moment in debug builds.
private let sharedTokenizer: Result<CLIPTokenizer, CLIPTokenizerError> = Result { () throws(CLIPTokenizerError) in try CLIPTokenizer() }

private struct Corpus: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int32] }
    let cases: [Case]
    static func load() throws -> Corpus {
        let url = try #require(Bundle.module.url(forResource: "tokenizer_corpus", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: url))
    }
}

@Suite("CLIP tokenizer")
struct CLIPTokenizerTests {
    let tokenizer: CLIPTokenizer

    init() throws { tokenizer = try sharedTokenizer.get() }

    /// The test vectors of docs/segmentation-core.md §3.3 (open_clip's ids).
    @Test(arguments: [
        ("a photo of a cat.", [49406, 320, 1125, 539, 320, 2368, 269, 49407]),
        ("A photo of a low vegetation in the scene", [49406, 320, 1125, 539, 320, 1042, 33947, 530, 518, 3562, 49407]),
        ("A photo of a impervious surface in the scene", [49406, 320, 1125, 539, 320, 7727, 6418, 7744, 530, 518, 3562, 49407]),
        ("there is a road, parking lot in the scene.", [49406, 997, 533, 320, 1759, 267, 5984, 1954, 530, 518, 3562, 269, 49407]),
        ("a satellite image of a storage tank", [49406, 320, 10316, 2867, 539, 320, 6824, 6172, 49407]),
        ("Tennis court 2x", [49406, 5298, 2908, 273, 343, 49407]),
        ("Caf\u{E9}  terrace\tn\u{B0}5", [49406, 15304, 13820, 333, 6858, 276, 49407]),
        ("it's a 100m-long runway!!", [49406, 585, 568, 320, 272, 271, 271, 332, 268, 1538, 13927, 748, 49407]),
        ("You should've done this", [49406, 592, 1535, 1200, 1700, 589, 49407]),
    ] as [(String, [Int32])])
    func specVectors(text: String, expected: [Int32]) {
        let result = tokenizer.tokenize(text)
        #expect(result.ids.count == 77)
        #expect(Array(result.ids.prefix(expected.count)) == expected)
        #expect(result.ids.dropFirst(expected.count).allSatisfy { $0 == 0 })
        #expect(result.endOfTextIndex == expected.count - 1)
        #expect(!result.truncated)
    }

    /// Every class name and synonym of the vocabularies draft, in prompt
    /// templates, plus edge cases — ids from open_clip (make_tokenizer_fixtures.py).
    @Test func matchesOpenCLIPOnTheCorpus() throws {
        let corpus = try Corpus.load()
        #expect(corpus.cases.count >= 800)
        var mismatches: [String] = []
        for item in corpus.cases {
            var expected = item.ids
            expected += [Int32](repeating: 0, count: max(0, 77 - expected.count))
            let actual = tokenizer.tokenize(item.text).ids
            if actual != expected {
                mismatches.append("\(item.text.debugDescription): \(actual.filter { $0 != 0 }) vs \(item.ids)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    @Test func truncationKeepsEndOfText() {
        let long = tokenizer.tokenize(String(repeating: "road ", count: 100))
        #expect(long.truncated)
        #expect(long.ids.count == 77 && long.ids[76] == CLIPTokenizer.endOfText && long.endOfTextIndex == 76)
        let short = tokenizer.tokenize("road", contextLength: 5)
        #expect(short.ids == [49406, 1759, 49407, 0, 0])
    }

    @Test func decodeRoundTrips() {
        #expect(tokenizer.decode(tokenizer.tokenize("A satellite image of a storage tank").ids) == "a satellite image of a storage tank ")
    }

    @Test func invalidMergesAreReported() {
        #expect(throws: CLIPTokenizerError.self) { try CLIPTokenizer(mergesText: "no header\na b") }
        #expect(throws: CLIPTokenizerError.invalidMerges("expected 48894 merges, found 1")) {
            try CLIPTokenizer(mergesText: "#version: 0.2\ni n")
        }
    }

    /// gzip of "hello hello hello hello, remote sensing!\n" × 3 (Python gzip, fixed-Huffman block).
    static let smallGzip: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40,
        0x27, 0x75, 0x14, 0x8a, 0x52, 0x73, 0xf3, 0x4b, 0x52, 0x15, 0x8a, 0x53, 0xf3, 0x8a, 0x33, 0xf3, 0xd2, 0x15,
        0xb9, 0x32, 0xa8, 0xae, 0x10, 0x00, 0xd9, 0x8f, 0x6b, 0x89, 0x7b, 0x00, 0x00, 0x00,
    ]

    @Test func gzipDecoderChecksItsInput() throws {
        let text = try Gzip.decompress(Self.smallGzip)
        #expect(String(decoding: text, as: UTF8.self) == String(repeating: "hello hello hello hello, remote sensing!\n", count: 3))
        var damaged = Self.smallGzip
        damaged[20] ^= 0x40
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(damaged) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array(Self.smallGzip.prefix(30))) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress([0x1f, 0x8b]) }
        #expect(Gzip.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
