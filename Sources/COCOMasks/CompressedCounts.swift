/// COCO's compressed RLE strings (docs/referring.md §2.2): each count becomes 5-bit groups, low
/// group first, written as the characters 48 + group (`0`…`o`), bit 5 (value 32) set on every
/// group but the last and bit 4 of the last group the sign. From the fourth count on (index 3),
/// what is written is the difference with the count two places before, which is small for
/// shapes whose runs repeat from column to column.
extension RunLengthMask {
    /// A mask from a compressed counts string (COCO's `{"size": [h, w], "counts": "..."}`).
    public init(height: Int, width: Int, compressed text: String) throws(COCOMaskError) {
        try Self.checkSize(height: height, width: width)
        var counts: [UInt32] = []
        var value: Int64 = 0
        var groups = 0
        var position = 0
        for byte in text.utf8 {
            position += 1
            guard byte >= 48, byte <= 111 else {
                throw COCOMaskError(
                    "compressed RLE has the character \(Self.describe(byte)) at position \(position); "
                        + "only the characters 0 to o (ASCII 48–111) occur")
            }
            let group = Int64(byte - 48)
            guard groups < 7 else {
                throw COCOMaskError("compressed RLE has a count of more than 7 characters at position \(position)")
            }
            value |= (group & 0x1f) << (5 * Int64(groups))
            groups += 1
            if group & 0x20 != 0 { continue }
            if group & 0x10 != 0 { value |= -1 << (5 * Int64(groups)) }
            if counts.count > 2 { value += Int64(counts[counts.count - 2]) }
            guard value >= 0, value <= Int64(UInt32.max) else {
                throw COCOMaskError("compressed RLE decodes count \(counts.count + 1) to \(value), outside 0…\(UInt32.max)")
            }
            counts.append(UInt32(value))
            value = 0
            groups = 0
        }
        guard groups == 0 else { throw COCOMaskError("compressed RLE ends in the middle of a count") }
        try self.init(height: height, width: width, counts: counts)
    }

    /// The compressed counts string pycocotools writes for this mask.
    public var compressedString: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(counts.count * 2)
        for index in counts.indices {
            var value = Int64(counts[index])
            if index > 2 { value -= Int64(counts[index - 2]) }
            var more = true
            while more {
                var group = value & 0x1f
                value >>= 5
                more = group & 0x10 != 0 ? value != -1 : value != 0
                if more { group |= 0x20 }
                bytes.append(UInt8(group + 48))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func describe(_ byte: UInt8) -> String {
        if byte >= 32, byte < 127 { return "\"\(Character(Unicode.Scalar(byte)))\"" }
        return "byte \(byte)"
    }
}
