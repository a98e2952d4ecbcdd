import CJSONC
import FileOutput

#if canImport(Glibc)
import Glibc
#endif

/// Parses and writes JSON through json-c.
public enum JSONCodec {
    /// Deepest nesting accepted when parsing.
    public static let maximumDepth: Int32 = 128

    /// Parses a complete JSON document. `source` names the document in error messages.
    public static func parse(_ bytes: [UInt8], source: String) throws(JSONError) -> JSONValue {
        guard let tokener = json_tokener_new_ex(maximumDepth) else {
            throw JSONError("\(source): cannot allocate a JSON parser")
        }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, Int32(JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8))
        var root: OpaquePointer?
        let length = bytes.count
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                json_tokener_parse_ex(tokener, chars.baseAddress, Int32(clamping: length))
            }
        }
        root = parsed
        let status = json_tokener_get_error(tokener)
        let end = Int(json_tokener_get_parse_end(tokener))
        if status == json_tokener_continue || (root == nil && status == json_tokener_success) {
            if let root { json_object_put(root) }
            throw JSONError("\(source): the JSON document ends early (truncated file?)")
        }
        guard status == json_tokener_success, let root else {
            let reason = String(cString: json_tokener_error_desc(status))
            let (line, column) = lineAndColumn(bytes, offset: end)
            throw JSONError("\(source): invalid JSON at line \(line), column \(column): \(reason)")
        }
        defer { json_object_put(root) }
        if end < length, bytes[end...].contains(where: { !isWhitespace($0) }) {
            let (line, column) = lineAndColumn(bytes, offset: end)
            throw JSONError("\(source): unexpected text after the JSON document at line \(line), column \(column)")
        }
        // json-c keeps the last of duplicate keys silently; a file that says one thing twice is refused.
        if let (key, offset) = firstDuplicateKey(bytes, end: end) {
            let (line, column) = lineAndColumn(bytes, offset: offset)
            throw JSONError("\(source): duplicate key \"\(printable(key))\" in one object at line \(line), column \(column)")
        }
        do {
            return try convert(root)
        } catch {
            throw JSONError("\(source): \(error.reason)")
        }
    }

    /// Parses a JSON string.
    public static func parse(_ text: String, source: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), source: source)
    }

    /// Reads and parses a JSON file.
    public static func read(path: String) throws(JSONError) -> JSONValue {
        // Checked before opening: opening a FIFO would wait for a writer forever.
        var status = stat()
        if stat(path, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG {
            throw JSONError("\(path): not a regular file")
        }
        guard let file = fopen(path, "rb") else {
            throw JSONError("\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if read > 0 { bytes.append(contentsOf: chunk[0..<read]) }
            if read < chunk.count {
                if ferror(file) != 0 { throw JSONError("\(path): read error") }
                break
            }
        }
        if bytes.isEmpty { throw JSONError("\(path): the file is empty") }
        return try parse(bytes, source: path)
    }

    /// Serialises `value`; `pretty` indents with two spaces. Ends with a newline.
    public static func serialize(_ value: JSONValue, pretty: Bool = true) -> String {
        let object = build(value)
        defer { if let object { json_object_put(object) } }
        let flags = (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN)
            | JSON_C_TO_STRING_NOSLASHESCAPE
        guard let text = json_object_to_json_string_ext(object, Int32(flags)) else { return "null\n" }
        return String(cString: text) + "\n"
    }

    /// Serialises `value` and writes it to `path` atomically (temporary file + rename).
    public static func write(_ value: JSONValue, to path: String, pretty: Bool = true) throws(FileOutputError) {
        try AtomicFile.write(text: serialize(value, pretty: pretty), to: path)
    }

    // MARK: - json-c ↔ Swift

    /// A value json-c accepted but ovseg refuses: json-c clamps integers beyond 64 bits to the
    /// nearest bound and reads `NaN`/`Infinity`, which are not JSON.
    private struct UnrepresentableNumber: Error {
        let reason: String
    }

    private static func convert(_ object: OpaquePointer?) throws(UnrepresentableNumber) -> JSONValue {
        guard let object else { return .null }
        switch json_object_get_type(object) {
        case json_type_null:
            return .null
        case json_type_boolean:
            return .bool(json_object_get_boolean(object) != 0)
        case json_type_int:
            let signed = json_object_get_int64(object)
            if signed == Int64.max {
                let unsigned = json_object_get_uint64(object)
                // json-c clamps every larger integer to UInt64.max, so that value cannot be trusted.
                if unsigned == UInt64.max {
                    throw UnrepresentableNumber(reason: "an integer is 2^64 − 1 or larger, beyond the range ovseg reads exactly")
                }
                if unsigned > UInt64(Int64.max) { return .uint(unsigned) }
            }
            if signed == Int64.min {
                throw UnrepresentableNumber(reason: "an integer is −2^63 or smaller, beyond the range ovseg reads exactly")
            }
            return .int(signed)
        case json_type_double:
            let number = json_object_get_double(object)
            guard number.isFinite else {
                throw UnrepresentableNumber(reason: "\(number) is not a JSON number (NaN and infinities are not allowed)")
            }
            return .double(number)
        case json_type_string:
            let length = Int(json_object_get_string_len(object))
            guard let pointer = json_object_get_string(object) else { return .string("") }
            let buffer = UnsafeRawBufferPointer(start: pointer, count: length)
            return .string(String(decoding: buffer, as: UTF8.self))
        case json_type_array:
            let count = json_object_array_length(object)
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for index in 0..<count {
                items.append(try convert(json_object_array_get_idx(object, index)))
            }
            return .array(items)
        case json_type_object:
            var result = JSONObject()
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                let name = String(cString: json_object_iter_peek_name(&iterator))
                result[name] = try convert(json_object_iter_peek_value(&iterator))
                json_object_iter_next(&iterator)
            }
            return .object(result)
        default:
            return .null
        }
    }

    private static func build(_ value: JSONValue) -> OpaquePointer? {
        switch value {
        case .null:
            return nil
        case .bool(let flag):
            return json_object_new_boolean(flag ? 1 : 0)
        case .int(let number):
            return json_object_new_int64(number)
        case .uint(let number):
            return json_object_new_uint64(number)
        case .double(let number):
            guard number.isFinite else { return nil }
            // Swift prints the shortest text that reads back to the same double.
            var text = "\(number)"
            if number == number.rounded(), !text.contains("e"), !text.contains(".") { text += ".0" }
            return json_object_new_double_s(number, text)
        case .string(let string):
            let bytes = Array(string.utf8)
            if bytes.isEmpty { return json_object_new_string("") }
            return bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    json_object_new_string_len(chars.baseAddress, Int32(clamping: bytes.count))
                }
            }
        case .array(let items):
            let array = json_object_new_array_ext(Int32(clamping: max(items.count, 1)))
            for item in items { json_object_array_add(array, build(item)) }
            return array
        case .object(let object):
            let result = json_object_new_object()
            for (key, item) in object { json_object_object_add(result, key, build(item)) }
            return result
        }
    }

    /// The first key that occurs twice in one object, with the offset of its second occurrence.
    /// Runs on a document json-c has already accepted (strict, valid UTF-8, nesting ≤ 128), so
    /// it only has to tell keys from values; keys with escapes are compared decoded.
    static func firstDuplicateKey(_ bytes: [UInt8], end: Int) -> (String, Int)? {
        // One entry per open object or array: the keys seen so far (nil for an array).
        var frames: [Set<String>?] = []
        var expectKey = false
        var index = 0
        let limit = min(end, bytes.count)
        while index < limit {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                frames.append(Set<String>())
                expectKey = true
                index += 1
            case UInt8(ascii: "["):
                frames.append(nil)
                expectKey = false
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = frames.popLast()
                expectKey = false
                index += 1
            case UInt8(ascii: ","):
                expectKey = frames.last.map { $0 != nil } ?? false
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                var escaped = false
                index += 1
                while index < limit && bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\") { escaped = true; index += 1 }
                    index += 1
                }
                index += 1
                if expectKey, frames.last != nil {
                    let literal = Array(bytes[start..<min(index, limit)])
                    var key = String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
                    if escaped, case .string(let decoded)? = try? parse(literal, source: "") { key = decoded }
                    if frames[frames.count - 1]?.insert(key).inserted == false { return (key, start) }
                    expectKey = false
                }
            default:
                index += 1
            }
        }
        return nil
    }

    /// A key as shown in an error: control characters escaped, long keys shortened.
    private static func printable(_ key: String) -> String {
        var shown = ""
        for scalar in key.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7F { shown += "\\u{\(String(scalar.value, radix: 16))}" } else { shown.unicodeScalars.append(scalar) }
        }
        return key.unicodeScalars.count > 80 ? shown + "…" : shown
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private static func lineAndColumn(_ bytes: [UInt8], offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(min(offset, bytes.count)) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
