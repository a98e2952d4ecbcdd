import Foundation
import Hashing

/// Content hashes that make results files traceable to the exact bytes they were computed from.
public enum Fingerprint {
    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hex(bytes)
    }

    /// Lower-case hex SHA-256 of a file, read in 4 MiB chunks (checkpoints can be gigabytes).
    public static func sha256(path: String) throws(HarnessError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HarnessError(.input, "\(path): cannot open the file") }
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 4 << 20)
            } catch {
                throw HarnessError(.input, "\(path): \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return SHA256.hexString(hasher.finalize())
    }

    /// The ground-truth files fingerprint: SHA-256 over the sorted lines `id<TAB>sha256(ground truth file)`.
    /// Two runs share it exactly when they scored the same ground-truth files under the same ids;
    /// the same labels saved with another PNG encoding give another value (see `labels(_:)`).
    public static func dataset(_ entries: [(id: String, groundTruthSHA256: String)]) -> String {
        "sha256:" + hashLines(entries.map { ($0.id, $0.groundTruthSHA256) })
    }

    /// The prefix of the label-based dataset fingerprint, which tells it apart from the
    /// file-based one (`sha256:`) in results files.
    public static let labelsPrefix = "labels-sha256:"

    /// The dataset fingerprint that comparability uses: SHA-256 over the sorted lines
    /// `id<TAB>labels hash` (the per-image hashes of `LabelHasher`), prefixed `labels-sha256:`.
    /// Two runs share it exactly when they scored the same decoded labels under the same ids,
    /// whatever the files' colour type or compression.
    public static func labels(_ entries: [(id: String, labelsSHA256: String)]) -> String {
        labelsPrefix + hashLines(entries.map { ($0.id, $0.labelsSHA256) })
    }

    /// SHA-256 over the lines `first<TAB>second\n` sorted by `first`, hashed line by line so a
    /// run of a million images does not build the whole text (docs/robustness.md §10).
    private static func hashLines(_ entries: [(String, String)]) -> String {
        var hasher = SHA256Hasher()
        for (first, second) in entries.sorted(by: { $0.0 < $1.0 }) {
            hasher.update(Array("\(first)\t\(second)\n".utf8))
        }
        return SHA256.hexString(hasher.finalize())
    }
}

/// The per-image hash of decoded ground-truth labels, computed while the image is counted.
///
/// Definition (so that it can be reimplemented): SHA-256 over the width and the height as
/// little-endian UInt32, then every pixel's evaluation label in row-major order as little-endian
/// UInt16 — the class id after the vocabulary's encoding (RGB colours mapped to ids,
/// `reduce_zero_label` applied), 65535 (`PixelCounter.ignoredLabel`) for every pixel that is not
/// evaluated (ignore values and colours, whatever their raw value), 65534
/// (`PixelCounter.unlabeledLabel`) for out-of-range values kept under
/// `--out-of-range-gt mmseg-compatible`. Lower-case hex.
struct LabelHasher: ~Copyable {
    private var hasher = SHA256Hasher()

    init(width: Int, height: Int) {
        var header = [UInt8]()
        for value in [UInt32(truncatingIfNeeded: width), UInt32(truncatingIfNeeded: height)] {
            withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) }
        }
        hasher.update(header)
    }

    /// Adds a run of labels (row-major, continuing the previous run).
    mutating func update(_ labels: UnsafeBufferPointer<UInt16>) {
        #if _endian(little)
        hasher.update(UnsafeRawBufferPointer(labels))
        #else
        let swapped = labels.map { $0.littleEndian }
        swapped.withUnsafeBytes { hasher.update($0) }
        #endif
    }

    consuming func finalize() -> String { SHA256.hexString(hasher.finalize()) }
}
