import Crypto
import Foundation

/// Content hashes that make results files traceable to the exact bytes they were computed from.
public enum Fingerprint {
    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Lower-case hex SHA-256 of a file, read in 4 MiB chunks (checkpoints can be gigabytes).
    public static func sha256(path: String) throws(HarnessError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HarnessError("\(path): cannot open the file") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 4 << 20)
            } catch {
                throw HarnessError("\(path): \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The dataset fingerprint: SHA-256 over the sorted lines `id<TAB>sha256(ground truth)`.
    /// Two runs share it exactly when they scored the same ground-truth files under the same ids.
    public static func dataset(_ entries: [(id: String, groundTruthSHA256: String)]) -> String {
        let text = entries.sorted { $0.id < $1.id }.map { "\($0.id)\t\($0.groundTruthSHA256)\n" }.joined()
        return "sha256:" + sha256(Array(text.utf8))
    }
}
