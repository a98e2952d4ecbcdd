import FileOutput
import Foundation
import LabelMaps

/// What produced a model's predictions: the checkpoint's SHA-256, the arithmetic, the vocabulary
/// and every inference setting. `ovseg eval --resume` reuses a saved prediction only when the run
/// that wrote it had the same key, so predictions of two checkpoints or configurations never mix.
public struct EvalRunKey: Sendable, Equatable {
    /// SHA-256 (hex) of the checkpoint file, or empty when there is none.
    public let checkpointSHA256: String
    /// SHA-256 (hex) over the canonical text of everything that decides the predictions.
    public let value: String

    /// Builds the key from the checkpoint hash, the arithmetic (`reproducible`, `openblas`), the
    /// vocabulary's fingerprint (class names and prompts decide the text embeddings) and the
    /// inference configuration recorded in the results file's provenance.
    public init(checkpointSHA256: String?, arithmetic: String, vocabularyFingerprint: String, configuration: [(String, String)]) {
        self.checkpointSHA256 = checkpointSHA256 ?? ""
        var text = "ovseg-eval-run/1\ncheckpoint_sha256\t\(self.checkpointSHA256)\narithmetic\t\(arithmetic)\n"
        text += "vocabulary\t\(vocabularyFingerprint)\n"
        for (key, value) in configuration { text += "\(key)\t\(value)\n" }
        self.value = Fingerprint.sha256(Array(text.utf8))
    }
}

/// The append-only record `ovseg eval --save-predictions DIR` keeps in
/// `DIR/.ovseg-eval-journal.jsonl`: one JSON line per finished image, written and flushed as soon
/// as its prediction file is on disk, so that a run killed halfway (a Slurm time limit) can be
/// continued with `--resume`.
///
/// A line is `{"id":…,"prediction_sha256":…,"ground_truth_sha256":…,"checkpoint_sha256":…,"run_key":…}`.
/// A last line without its newline (the process was killed while writing it) is ignored and cut
/// off before new lines are appended; any other unreadable line is an error naming the file and line.
public final class EvalJournal {
    /// The journal's file name inside the predictions folder (hidden, not a PNG, so `ovseg score`
    /// on the folder ignores it).
    public static let fileName = ".ovseg-eval-journal.jsonl"

    /// One finished image.
    public struct Entry: Codable, Equatable, Sendable {
        public let id: String
        public let predictionSHA256: String
        public let groundTruthSHA256: String
        public let checkpointSHA256: String
        public let runKey: String

        enum CodingKeys: String, CodingKey {
            case id
            case predictionSHA256 = "prediction_sha256"
            case groundTruthSHA256 = "ground_truth_sha256"
            case checkpointSHA256 = "checkpoint_sha256"
            case runKey = "run_key"
        }
    }

    /// The journal's path.
    public let path: String
    /// The latest entry per image id read from an existing journal (empty for a fresh one).
    public let entries: [String: Entry]
    private let handle: FileHandle
    private let encoder: JSONEncoder

    /// The journal path inside a predictions folder.
    public static func path(in folder: String) -> String {
        (folder as NSString).appendingPathComponent(fileName)
    }

    /// Opens the journal of `folder` for a run with `key`.
    ///
    /// With `resume`, an existing journal is read (a missing one is an empty journal) and must
    /// have been written by a run with the same key: otherwise it is refused, naming the file and
    /// what differs. Without `resume`, any earlier journal is replaced by an empty one, since the
    /// run recomputes every image anyway.
    public init(folder: String, key: EvalRunKey, resume: Bool) throws(HarnessError) {
        let path = Self.path(in: folder)
        self.path = path
        var entries: [String: Entry] = [:]
        var keep = 0
        if resume, FileManager.default.fileExists(atPath: path) {
            let bytes: [UInt8]
            do {
                bytes = try FileBytes.read(path: path)
            } catch {
                throw HarnessError(.journal, file: path, "\(path): cannot read the eval journal (\(error))", underlying: error)
            }
            let decoder = JSONDecoder()
            var lineStart = 0
            var lineNumber = 0
            while lineStart < bytes.count {
                lineNumber += 1
                guard let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                    break  // killed mid-write: the partial last line is ignored and cut off below
                }
                let line = bytes[lineStart..<newline]
                lineStart = newline + 1
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                    keep = lineStart
                    continue
                }
                let entry: Entry
                do {
                    entry = try decoder.decode(Entry.self, from: Data(line))
                } catch {
                    throw HarnessError(.journal, file: path,
                        "\(path): line \(lineNumber) is not a journal entry; the journal is damaged "
                            + "(run without \(setting: .resume) to start over)" as HarnessMessage, underlying: error)
                }
                guard entry.runKey == key.value else {
                    let what = entry.checkpointSHA256 != key.checkpointSHA256
                        ? "another checkpoint (SHA-256 \(entry.checkpointSHA256.prefix(12))…, this run's is \(key.checkpointSHA256.prefix(12))…)"
                        : "the same checkpoint with another configuration (inference settings, templates, vocabulary or arithmetic)"
                    let remedy: HarnessMessage = "\(setting: .resume) does not mix runs. Resume with the same checkpoint and "
                        + "options, save the predictions to another folder (\(setting: .savePredictions)), or run without "
                        + "\(setting: .resume) to recompute every image"
                    throw HarnessError(.journal, file: path, "\(path): the saved predictions were made by \(what); " + remedy)
                }
                entries[entry.id] = entry
                keep = lineStart
            }
        }
        self.entries = entries
        do {
            if !FileManager.default.fileExists(atPath: path) || !resume {
                guard FileManager.default.createFile(atPath: path, contents: Data()) else {
                    throw HarnessError(.journal, "\(path): cannot create the eval journal")
                }
            }
            handle = try FileHandle(forWritingAtPath: path).orThrow(HarnessError("\(path): cannot open the eval journal for writing"))
            if resume {
                try handle.truncate(atOffset: UInt64(keep))
                try handle.seekToEnd()
            }
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError(.journal, "\(path): cannot write the eval journal (\(error.localizedDescription))")
        }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { try? handle.close() }

    /// Appends one finished image as a line and flushes it to the disk.
    public func append(_ entry: Entry) throws(HarnessError) {
        var line: [UInt8]
        do {
            line = Array(try encoder.encode(entry))
        } catch {
            throw HarnessError(.journal, "\(path): cannot encode a journal entry (\(error))")
        }
        line.append(UInt8(ascii: "\n"))
        // POSIX calls, so that a full disk or a file-size limit is named (Foundation's error
        // text for them is "Unknown error"); a partial last line is cut off by `--resume`.
        let descriptor = handle.fileDescriptor
        var offset = 0
        var failure: Int32 = 0
        line.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        guard failure == 0 else {
            throw HarnessError(.journal, file: path, "\(path): cannot append to the eval journal: \(AtomicFile.writeFailure(failure))")
        }
    }
}

/// How `ovseg eval --resume` went: images reused from the journal, and those recomputed because
/// their prediction or ground-truth file changed (or is gone) since the journal recorded them.
public struct ResumeSummary: Sendable, Equatable {
    /// Ids of images whose saved prediction was read back instead of segmenting again.
    public var reused: [String] = []
    /// Ids of images with a journal entry whose files changed, with the reason, recomputed.
    public var changed: [(id: String, reason: String)] = []
    /// Images in the run (reused, changed and never journalled ones).
    public var total = 0

    public init() {}

    public static func == (a: ResumeSummary, b: ResumeSummary) -> Bool {
        a.reused == b.reused && a.total == b.total && a.changed.map(\.id) == b.changed.map(\.id) && a.changed.map(\.reason) == b.changed.map(\.reason)
    }
}

extension Optional {
    fileprivate func orThrow(_ error: HarnessError) throws(HarnessError) -> Wrapped {
        guard let value = self else { throw error }
        return value
    }
}
