import Hashing

/// One of N deterministic parts of a dataset, written `k/N` with 1 ≤ k ≤ N.
///
/// An image belongs to a shard by a hash of its id alone, so a shard's images do not
/// change when other images are added to the dataset.
public struct Shard: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// 1-based shard index.
    public let index: Int
    public let count: Int

    /// The most shards a run may be split into: far more than any cluster runs at once, and small
    /// enough that a merge's bookkeeping per shard stays bounded.
    public static let maximumCount = 1_000_000

    public init(index: Int, count: Int) throws(HarnessError) {
        guard count >= 1, index >= 1, index <= count else {
            throw HarnessError(.shard, "shard \(index)/\(count) is not valid: write k/N with 1 ≤ k ≤ N")
        }
        guard count <= Self.maximumCount else {
            throw HarnessError(.shard, "shard \(index)/\(count) is not valid: N may be at most \(Self.maximumCount)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `k/N`.
    public init(parsing text: String) throws(HarnessError) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw HarnessError(.shard, "shard \"\(text)\" is not of the form k/N (e.g. 2/8)")
        }
        try self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The 1-based shard an image id belongs to among `count` shards: the first 8 bytes of
    /// SHA-256 of the id's UTF-8 bytes, read as a big-endian UInt64, modulo `count`, plus one.
    /// The id is the ground-truth file's path relative to its folder, without its extension and without
    /// the ground-truth suffix, with `/` between folders.
    public static func assignment(of id: String, count: Int) -> Int {
        let digest = SHA256.digest(Array(id.utf8))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return Int(value % UInt64(count)) + 1
    }

    public func contains(_ id: String) -> Bool {
        Self.assignment(of: id, count: count) == index
    }
}

extension Shard {
    /// The ids of `ids` that belong to this shard, sorted.
    public func selecting(_ ids: some Sequence<String>) -> [String] {
        ids.filter(contains).sorted()
    }

    /// The image ids of this shard in a folder of ground truth: exactly the images
    /// `ovseg score --gt DIR --shard k/N` scores (less any it skips), so that an external
    /// inference job can predict just those. Sorted, one id per image.
    public func imageIDs(groundTruthDirectory: String, groundTruthSuffix: String = "") throws(HarnessError) -> [String] {
        let files = try DatasetScanner.labelFiles(in: groundTruthDirectory, suffix: groundTruthSuffix)
        guard !files.isEmpty else {
            throw HarnessError(.shard, "\(groundTruthDirectory): no label maps (\(DatasetScanner.rasterDescription)) found"
                + (groundTruthSuffix.isEmpty ? "" : " ending in \(groundTruthSuffix) before the extension"))
        }
        return selecting(files.keys)
    }

    /// The image ids of this shard in an `ovseg eval` dataset (`images/` and `gt/`): exactly the
    /// images `ovseg eval --data DIR --shard k/N` evaluates. Unmatched files are errors, as in `eval`.
    public func imageIDs(dataset: EvaluationDataset, groundTruthSuffix: String = "", imageSuffix: String = "")
        throws(HarnessError) -> [String]
    {
        selecting(try dataset.pairs(groundTruthSuffix: groundTruthSuffix, imageSuffix: imageSuffix).map(\.id))
    }
}
