import Crypto

/// One of N deterministic parts of a dataset, written `k/N` with 1 ≤ k ≤ N.
///
/// An image belongs to a shard by a hash of its id alone, so a shard's images do not
/// change when other images are added to the dataset.
public struct Shard: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// 1-based shard index.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(HarnessError) {
        guard count >= 1, index >= 1, index <= count else {
            throw HarnessError("shard \(index)/\(count) is not valid: write k/N with 1 ≤ k ≤ N")
        }
        self.index = index
        self.count = count
    }

    /// Parses `k/N`.
    public init(parsing text: String) throws(HarnessError) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw HarnessError("shard \"\(text)\" is not of the form k/N (e.g. 2/8)")
        }
        try self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The 1-based shard an image id belongs to among `count` shards: the first 8 bytes of
    /// SHA-256(id), big-endian, modulo `count`, plus one.
    public static func assignment(of id: String, count: Int) -> Int {
        let digest = Array(SHA256.hash(data: Array(id.utf8)))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return Int(value % UInt64(count)) + 1
    }

    public func contains(_ id: String) -> Bool {
        Self.assignment(of: id, count: count) == index
    }
}
