/// NumPy `.npy` format version 1.0 for little-endian float32 arrays, the form
/// `numpy.load` reads without options (used to export CLIP embeddings).
///
/// Layout: the magic `\x93NUMPY`, version bytes 1 0, a little-endian UInt16
/// header length, then the header — the Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (…), }`, numpy's
/// spare room for the first axis to grow to 21 digits, then 1…64 spaces and a
/// newline so that the data start at a multiple of 64 bytes — then the values
/// in C order. The dict text is the one `numpy.save`
/// writes, so files are byte-identical to numpy's.
public enum NPY {
    /// Why an array cannot be encoded.
    public struct EncodingError: Error, CustomStringConvertible, Equatable, Sendable {
        public let reason: String
        public var description: String { "cannot encode .npy: \(reason)" }
    }

    /// The shape as numpy's tuple repr: `()`, `(5,)`, `(2, 3)`.
    static func tupleText(_ shape: [Int]) -> String {
        switch shape.count {
        case 0: return "()"
        case 1: return "(\(shape[0]),)"
        default: return "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
    }

    /// The header (magic through the newline) for a float32 array of `shape`.
    public static func header(shape: [Int]) throws(EncodingError) -> [UInt8] {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw EncodingError(reason: "negative dimension in \(shape)") }
        var dict = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(tupleText(shape)), }".utf8)
        // numpy reserves room to grow the first axis to 21 digits in place…
        if let first = shape.first { dict += [UInt8](repeating: 0x20, count: max(0, 21 - String(first).count)) }
        // …then pads with 1…64 spaces so that the data start 64-aligned.
        let prefix = 10  // magic (6) + version (2) + length (2)
        let padding = 64 - (prefix + dict.count + 1) % 64
        dict += [UInt8](repeating: 0x20, count: padding)
        dict.append(0x0A)
        guard dict.count <= Int(UInt16.max) else { throw EncodingError(reason: "header of \(dict.count) bytes needs format 2.0") }
        let length = UInt16(dict.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + dict
    }

    /// A complete `.npy` file for `values` (C order) of `shape`.
    public static func encode(shape: [Int], values: [Float]) throws(EncodingError) -> [UInt8] {
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        guard count == values.count else {
            throw EncodingError(reason: "shape \(shape) holds \(count) values, got \(values.count)")
        }
        var bytes = try header(shape: shape)
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for value in values {
            let bits = value.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return bytes
    }

    /// Writes `values` of `shape` to `path` atomically (temporary file + rename).
    public static func write(shape: [Int], values: [Float], to path: String) throws(FileOutputError) {
        let bytes: [UInt8]
        do { bytes = try encode(shape: shape, values: values) } catch {
            throw FileOutputError(path: path, reason: error.description)
        }
        try AtomicFile.write(bytes, to: path)
    }
}
