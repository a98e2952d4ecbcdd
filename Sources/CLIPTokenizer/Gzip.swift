/// A small gzip (RFC 1952) / DEFLATE (RFC 1951) decoder, enough to unpack the
/// bundled BPE merges without linking zlib. Every read is bounds-checked and
/// the CRC-32 and length in the gzip trailer are verified, so a damaged
/// resource is an error, never a crash or wrong merges.
enum Gzip {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Decompresses a single-member gzip file.
    static func decompress(_ data: [UInt8]) throws(Failure) -> [UInt8] {
        guard data.count >= 18, data[0] == 0x1f, data[1] == 0x8b, data[2] == 8 else {
            throw Failure(description: "not a gzip (deflate) stream")
        }
        let flags = data[3]
        var position = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard position + 2 <= data.count else { throw Failure(description: "truncated gzip header") }
            position += 2 + Int(data[position]) | Int(data[position + 1]) << 8
        }
        for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while position < data.count && data[position] != 0 { position += 1 }
            position += 1
        }
        if flags & 0x02 != 0 { position += 2 }  // FHCRC
        guard position <= data.count - 8 else { throw Failure(description: "truncated gzip header") }
        var inflater = Inflater(input: data[position..<(data.count - 8)])
        let output = try inflater.run()
        let trailer = data.count - 8
        let storedCRC = (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[trailer + $1]) << (8 * $1) }
        let storedSize = (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[trailer + 4 + $1]) << (8 * $1) }
        guard storedSize == UInt32(truncatingIfNeeded: output.count) else {
            throw Failure(description: "gzip length mismatch (\(output.count) bytes, trailer says \(storedSize))")
        }
        guard crc32(output) == storedCRC else { throw Failure(description: "gzip CRC-32 mismatch") }
        return output
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var table = [UInt32](repeating: 0, count: 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[n] = c
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Canonical Huffman code as counts per length and symbols in code order.
private struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int] = []

    init(lengths: [Int]) throws(Gzip.Failure) {
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1..<16 {
            left = left << 1 - counts[length]
            guard left >= 0 else { throw Gzip.Failure(description: "over-subscribed Huffman code") }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }
}

private struct Inflater {
    let input: ArraySlice<UInt8>
    var byteIndex: Int
    var bitBuffer: UInt32 = 0
    var bitCount = 0
    var output: [UInt8] = []

    init(input: ArraySlice<UInt8>) {
        self.input = input
        self.byteIndex = input.startIndex
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    mutating func bits(_ count: Int) throws(Gzip.Failure) -> Int {
        while bitCount < count {
            guard byteIndex < input.endIndex else { throw Gzip.Failure(description: "deflate stream ends early") }
            bitBuffer |= UInt32(input[byteIndex]) << UInt32(bitCount)
            byteIndex += 1
            bitCount += 8
        }
        let value = Int(bitBuffer & ((1 << UInt32(count)) - 1))
        bitBuffer >>= UInt32(count)
        bitCount -= count
        return value
    }

    mutating func decode(_ code: Huffman) throws(Gzip.Failure) -> Int {
        var value = 0, first = 0, index = 0
        for length in 1..<16 {
            value |= try bits(1)
            let count = code.counts[length]
            if value - first < count { return code.symbols[index + value - first] }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw Gzip.Failure(description: "invalid Huffman code")
    }

    mutating func run() throws(Gzip.Failure) -> [UInt8] {
        var last = false
        while !last {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0: try stored()
            case 1:
                let literal = try Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
                let distance = try Huffman(lengths: [Int](repeating: 5, count: 30))
                try codes(literal: literal, distance: distance)
            case 2:
                let (literal, distance) = try dynamicTables()
                try codes(literal: literal, distance: distance)
            default:
                throw Gzip.Failure(description: "invalid deflate block type")
            }
        }
        return output
    }

    mutating func stored() throws(Gzip.Failure) {
        bitBuffer = 0
        bitCount = 0
        guard byteIndex + 4 <= input.endIndex else { throw Gzip.Failure(description: "truncated stored block") }
        let length = Int(input[byteIndex]) | Int(input[byteIndex + 1]) << 8
        let complement = Int(input[byteIndex + 2]) | Int(input[byteIndex + 3]) << 8
        guard length == ~complement & 0xffff, byteIndex + 4 + length <= input.endIndex else {
            throw Gzip.Failure(description: "corrupt stored block")
        }
        output.append(contentsOf: input[(byteIndex + 4)..<(byteIndex + 4 + length)])
        byteIndex += 4 + length
    }

    mutating func dynamicTables() throws(Gzip.Failure) -> (Huffman, Huffman) {
        let literalCount = try bits(5) + 257, distanceCount = try bits(5) + 1, codeLengthCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw Gzip.Failure(description: "bad dynamic block counts") }
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengths[Inflater.codeLengthOrder[i]] = try bits(3) }
        let lengthCode = try Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(lengthCode)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw Gzip.Failure(description: "repeat with no previous length") }
                lengths += [Int](repeating: previous, count: 3 + (try bits(2)))
            case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
            default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount, lengths[256] != 0 else {
            throw Gzip.Failure(description: "bad code lengths")
        }
        return (try Huffman(lengths: Array(lengths[0..<literalCount])),
                try Huffman(lengths: Array(lengths[literalCount...])))
    }

    mutating func codes(literal: Huffman, distance: Huffman) throws(Gzip.Failure) {
        while true {
            let symbol = try decode(literal)
            if symbol < 256 {
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < 29 else { throw Gzip.Failure(description: "bad length symbol") }
                let length = Inflater.lengthBase[index] + (try bits(Inflater.lengthExtra[index]))
                let distanceSymbol = try decode(distance)
                guard distanceSymbol < 30 else { throw Gzip.Failure(description: "bad distance symbol") }
                let back = Inflater.distanceBase[distanceSymbol] + (try bits(Inflater.distanceExtra[distanceSymbol]))
                guard back <= output.count else { throw Gzip.Failure(description: "distance too far back") }
                let start = output.count - back
                for offset in 0..<length { output.append(output[start + offset]) }
            }
        }
    }
}
