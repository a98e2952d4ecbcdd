import JSON

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Reading one image at a time (docs/robustness.md §10)

/// The elements of a results file's `images` list, kept as byte ranges of the file and parsed
/// one at a time while they are decoded, so the whole list never exists as a JSON tree.
struct SplicedImages {
    let bytes: [UInt8]
    let ranges: [Range<Int>]
    let source: String

    init(bytes: [UInt8], ranges: [Range<Int>], source: String) {
        self.bytes = bytes
        self.ranges = ranges
        self.source = source
    }

    var count: Int { ranges.count }

    func element(_ index: Int) throws(HarnessError) -> JSONValue {
        do {
            return try JSONCodec.parse(Array(bytes[ranges[index]]), source: source)
        } catch {
            throw HarnessError(.resultsFile, wrapping: error)
        }
    }
}

/// Cuts the value of a results file's top-level `images` key out of the document.
///
/// Only tells apart what it must — strings, nesting, the list's separators — and gives up (nil)
/// on anything it does not expect, leaving judgement to json-c: the rest of the document, with
/// `[]` in place of the list, and each element are then parsed by json-c as before, so a file is
/// accepted by this path only if it would be accepted whole. Any error on the way (invalid JSON,
/// a forged count) makes `ResultsFile.read` read the file whole, so messages do not change.
enum ResultsDocumentSplitter {
    /// Deepest nesting accepted inside one element (real ones have 3); deeper elements take the
    /// whole-file path, where json-c's own limit applies to the document as a whole.
    static let maximumElementDepth = 64

    /// The file's bytes, or nil when it cannot be read here (the whole-file path then says why).
    static func load(path: String) -> [UInt8]? {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size > 0 else { return nil }
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while true {
            if filled == bytes.count { bytes += [UInt8](repeating: 0, count: max(1 << 16, bytes.count / 8)) }
            let read = bytes.withUnsafeMutableBytes { fread($0.baseAddress! + filled, 1, $0.count - filled, file) }
            filled += read
            if filled < bytes.count {
                if ferror(file) != 0 { return nil }
                break
            }
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// The document with `[]` in place of the top-level `images` list, and the byte ranges of the
    /// list's elements; nil when the document does not have the expected shape.
    static func split(_ bytes: [UInt8]) -> (header: [UInt8], elements: [Range<Int>])? {
        bytes.withUnsafeBufferPointer { buffer -> (header: [UInt8], elements: [Range<Int>])? in
            let n = buffer.count
            var i = skipWhitespace(buffer, 0)
            guard i < n, buffer[i] == UInt8(ascii: "{") else { return nil }
            var depth = 0
            var list: (range: Range<Int>, elements: [Range<Int>])?
            while i < n {
                switch buffer[i] {
                case UInt8(ascii: "\""):
                    guard let end = endOfString(buffer, i) else { return nil }
                    if depth == 1, isImagesKey(buffer, i, end) {
                        let colon = skipWhitespace(buffer, end)
                        if colon < n, buffer[colon] == UInt8(ascii: ":") {
                            guard list == nil else { return nil }  // a second `images` key
                            let open = skipWhitespace(buffer, colon + 1)
                            guard let found = elements(buffer, open) else { return nil }
                            list = found
                            i = found.range.upperBound
                            continue
                        }
                    }
                    i = end
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    i += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    i += 1
                default:
                    i += 1
                }
            }
            guard let list else { return nil }
            var header: [UInt8] = []
            header.reserveCapacity(n - list.range.count + 2)
            header += buffer[..<list.range.lowerBound]
            header += [UInt8(ascii: "["), UInt8(ascii: "]")]
            header += buffer[list.range.upperBound...]
            return (header, list.elements)
        }
    }

    /// The list starting at `open`: its whole range and its elements, each an object; nil for
    /// anything else (json-c then judges the whole file).
    private static func elements(
        _ buffer: UnsafeBufferPointer<UInt8>, _ open: Int
    ) -> (range: Range<Int>, elements: [Range<Int>])? {
        let n = buffer.count
        guard open < n, buffer[open] == UInt8(ascii: "[") else { return nil }
        var ranges: [Range<Int>] = []
        var i = skipWhitespace(buffer, open + 1)
        if i < n, buffer[i] == UInt8(ascii: "]") { return (open..<(i + 1), ranges) }
        while true {
            guard i < n, buffer[i] == UInt8(ascii: "{"), let end = endOfObject(buffer, i) else { return nil }
            ranges.append(i..<end)
            i = skipWhitespace(buffer, end)
            guard i < n else { return nil }
            if buffer[i] == UInt8(ascii: "]") { return (open..<(i + 1), ranges) }
            guard buffer[i] == UInt8(ascii: ",") else { return nil }
            i = skipWhitespace(buffer, i + 1)
        }
    }

    /// The index after the object or list that starts at `start`; nil when it does not close or
    /// nests deeper than `maximumElementDepth`.
    private static func endOfObject(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var depth = 0
        var i = start
        while i < buffer.count {
            switch buffer[i] {
            case UInt8(ascii: "\""):
                guard let end = endOfString(buffer, i) else { return nil }
                i = end
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maximumElementDepth { return nil }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return i + 1 }
            default:
                break
            }
            i += 1
        }
        return nil
    }

    /// The index after the string literal that starts at `start` (a quote), or nil if it does not end.
    private static func endOfString(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var i = start + 1
        while i < buffer.count {
            switch buffer[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    private static func isImagesKey(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let key: StaticString = "\"images\""
        guard end - start == key.utf8CodeUnitCount else { return false }
        return key.withUTF8Buffer { literal in (0..<literal.count).allSatisfy { buffer[start + $0] == literal[$0] } }
    }

    private static func skipWhitespace(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < buffer.count {
            switch buffer[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return i
            }
        }
        return i
    }
}

extension ResultsFile {
    /// Reads a results file whose `images` list is parsed one element at a time; nil when the
    /// file must be read whole (it is not in the expected shape, or something in it is wrong:
    /// the whole-file reading then reports it exactly as it always did).
    static func readSpliced(path: String) -> RunRecord? {
        guard let bytes = ResultsDocumentSplitter.load(path: path),
            let (header, elements) = ResultsDocumentSplitter.split(bytes),
            let document = try? JSONCodec.parse(header, source: path)
        else { return nil }
        let images = SplicedImages(bytes: bytes, ranges: elements, source: path)
        return try? decode(document, source: path, spliced: images)
    }
}
