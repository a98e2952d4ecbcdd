import Foundation

/// The validated header of a safetensors buffer.
struct Header {
    var metadata: [String: String]
    /// Entries sorted by data offset.
    var entries: [SafeTensorsEntry]
    /// Absolute byte offset of the data buffer (8 + header length).
    var dataStart: Int

    typealias Problem = SafeTensorsError.Problem

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(Problem) -> Header {
        guard bytes.count >= 8 else { throw .tooShort(size: bytes.count) }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(SafeTensorsFile.maximumHeaderLength) else {
            throw .headerTooLarge(declared: declared, limit: SafeTensorsFile.maximumHeaderLength)
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw .truncatedHeader(declared: declared, available: bytes.count - 8)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw .malformedHeader("it must start with '{'")
        }
        try checkNoDuplicateTopLevelKeys(headerBytes)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes))
        } catch {
            throw .malformedHeader(parserMessage(error))
        }
        guard let object = json as? [String: Any] else { throw .malformedHeader("top level is not an object") }

        let dataLength = bytes.count - 8 - headerLength
        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        for (key, value) in object {
            if key == "__metadata__" {
                guard let map = value as? [String: Any] else { throw .invalidMetadata("it is not an object") }
                for (name, item) in map {
                    guard let text = item as? String else { throw .invalidMetadata("value of '\(name)' is not a string") }
                    metadata[name] = text
                }
                continue
            }
            entries.append(try entry(key: key, value: value, dataLength: dataLength))
        }
        entries.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name) }
        var position = 0
        var previous: String? = nil
        for entry in entries {
            if entry.dataRange.lowerBound < position, let previous {
                throw .overlap(key: entry.name, other: previous)
            }
            if entry.dataRange.lowerBound > position {
                throw .gap(before: entry.name, start: position, end: entry.dataRange.lowerBound)
            }
            position = entry.dataRange.upperBound
            previous = entry.name
        }
        if position < dataLength { throw .trailingBytes(count: dataLength - position) }
        return Header(metadata: metadata, entries: entries, dataStart: 8 + headerLength)
    }

    /// Validates one tensor entry against the data buffer length.
    static func entry(key: String, value: Any, dataLength: Int) throws(Problem) -> SafeTensorsEntry {
        guard let fields = value as? [String: Any] else {
            throw .invalidEntry(key: key, reason: "entry is not an object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw .invalidEntry(key: key, reason: "missing or non-string 'dtype'")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(key: key, dtype: dtypeName)
        }
        guard let shapeValues = fields["shape"] as? [Any] else {
            throw .invalidEntry(key: key, reason: "missing or non-array 'shape'")
        }
        var shape: [Int] = []
        for item in shapeValues {
            guard let extent = nonNegativeInteger(item) else {
                throw .invalidEntry(key: key, reason: "shape \(shapeValues) must hold non-negative integers")
            }
            shape.append(extent)
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = nonNegativeInteger(offsets[0]), let end = nonNegativeInteger(offsets[1]) else {
            throw .invalidEntry(key: key, reason: "'data_offsets' must be two non-negative integers")
        }
        guard begin <= end, end <= dataLength else {
            throw .offsetsOutOfRange(key: key, begin: begin, end: end, bufferLength: dataLength)
        }
        var expected = dtype.byteSize
        for extent in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw .invalidEntry(key: key, reason: "shape \(shape) has too many elements")
            }
            expected = product
        }
        guard expected == end - begin else {
            throw .byteLengthMismatch(key: key, expected: expected, actual: end - begin)
        }
        return SafeTensorsEntry(name: key, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// A JSON integer literal ≥ 0 that fits `Int` (rejects booleans, floats, `1e3`).
    static func nonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let kind = String(cString: number.objCType)
        guard ["i", "l", "q", "s", "I", "L", "S"].contains(kind) else { return nil }  // not "c" (bool), "d", "Q"
        let wide = number.int64Value
        guard wide >= 0, let exact = Int(exactly: wide) else { return nil }
        return exact
    }

    static func parserMessage(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }

    /// JSONSerialization keeps the last of duplicate keys silently; the format
    /// forbids duplicates, so scan the top-level object's keys first.
    static func checkNoDuplicateTopLevelKeys(_ bytes: UnsafeRawBufferPointer) throws(Problem) {
        var seen = Set<String>()
        var depth = 0
        var index = 0
        var expectKey = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectKey = depth == 1 && byte == UInt8(ascii: "{")
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
            case UInt8(ascii: ","):
                expectKey = depth == 1
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
                if expectKey && depth == 1 && index <= bytes.count {
                    let literal = Data(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                    // Decode escapes so that "a" and "\u0061" count as the same key.
                    let key = (try? JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed) as? String)
                        ?? String(decoding: literal, as: UTF8.self)
                    if !seen.insert(key).inserted { throw .duplicateKey(key) }
                    expectKey = false
                }
            default:
                index += 1
            }
        }
    }
}
