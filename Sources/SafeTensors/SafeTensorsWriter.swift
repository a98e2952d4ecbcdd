/// Serialises tensors into the safetensors format `SafeTensorsFile` reads (docs/checkpoint-format.md §1):
/// the header (names, dtypes, shapes, offsets and string metadata, padded with spaces to a
/// multiple of 8 bytes) followed by the tensors' bytes in the order given.
///
/// The caller fills each tensor's bytes straight into the output buffer, so a converter never
/// holds a second copy of the weights.
public enum SafeTensorsWriter {
    /// One tensor of the file to be written.
    public struct Slot: Sendable, Equatable {
        public let name: String
        public let dtype: SafeTensorsDType
        public let shape: [Int]

        public init(name: String, dtype: SafeTensorsDType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        public var byteCount: Int { shape.reduce(dtype.byteSize, *) }
    }

    /// The whole file: `fill(i, buffer)` writes slot `i`'s little-endian bytes into `buffer`
    /// (exactly `slots[i].byteCount` bytes).
    public static func serialize<E: Error>(
        _ slots: [Slot], metadata: [String: String],
        fill: (Int, UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) -> [UInt8] {
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for slot in slots {
            let end = offset + slot.byteCount
            let shape = slot.shape.map(String.init).joined(separator: ",")
            fields.append("\(quoted(slot.name)):{\"dtype\":\"\(slot.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
        let dataStart = 8 + headerBytes.count
        var output = [UInt8](repeating: 0, count: dataStart + offset)
        let length = UInt64(headerBytes.count)
        for i in 0..<8 { output[i] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(i))) }
        output.replaceSubrange(8..<dataStart, with: headerBytes)
        var failure: E?
        output.withUnsafeMutableBytes { buffer in
            var at = dataStart
            for (index, slot) in slots.enumerated() {
                let region = UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + slot.byteCount)])
                do throws(E) {
                    try fill(index, region)
                } catch {
                    failure = error
                    return
                }
                at += slot.byteCount
            }
        }
        if let failure { throw failure }
        return output
    }

    /// `text` as a JSON string literal, as safetensors headers hold names and metadata values.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
