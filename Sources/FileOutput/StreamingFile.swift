#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The open temporary file of `AtomicFile.write(to:_:)`: text appended piece by piece, buffered,
/// so a large document (a results file with a million images) never has to exist in memory whole.
public struct StreamingFileWriter: ~Copyable {
    let path: String
    let descriptor: Int32
    private var buffer: [UInt8] = []
    /// The first write error; later writes are skipped and the file is discarded at the end.
    private(set) var failure: FileOutputError?
    static let bufferSize = 1 << 16

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
        buffer.reserveCapacity(Self.bufferSize)
    }

    /// Appends UTF-8 text.
    public mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Appends bytes.
    public mutating func write(_ bytes: some Collection<UInt8>) {
        Array(bytes).withUnsafeBufferPointer { append($0) }
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard failure == nil else { return }
        if buffer.count + bytes.count > Self.bufferSize { flush() }
        if bytes.count >= Self.bufferSize {
            writeAll(UnsafeRawBufferPointer(bytes))
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Hands the buffered bytes to the kernel.
    mutating func flush() {
        guard failure == nil, !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        pending.withUnsafeBytes { writeAll($0) }
    }

    private mutating func writeAll(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count, failure == nil {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = FileOutputError(path: path, reason: AtomicFile.writeFailure(errno))
            } else {
                offset += written
            }
        }
    }
}

extension AtomicFile {
    /// Writes `path` atomically from a producer that appends its content piece by piece.
    ///
    /// The same guarantees as `write(_:to:)`: the content goes to a temporary file beside the
    /// destination (registered with `InFlightFiles` while it is written, so an interrupted process
    /// removes it), is flushed to disk and renamed over `path` only when complete; any failure —
    /// a write error, a full disk, an error thrown by `produce` — removes the temporary file and
    /// leaves the destination as it was.
    public static func write<Failure: Error>(
        to path: String, _ produce: (inout StreamingFileWriter) throws(Failure) -> Void
    ) throws(StreamingWriteError<Failure>) {
        let staged: StagedFile
        do {
            staged = try createTemporary(for: path)
        } catch {
            throw .output(error)
        }
        var writer = StreamingFileWriter(path: path, descriptor: staged.descriptor)
        var thrown: Failure?
        do {
            try produce(&writer)
        } catch {
            thrown = error
        }
        writer.flush()
        if let thrown {
            discard(staged)
            throw .producer(thrown)
        }
        if let failure = writer.failure {
            discard(staged)
            throw .output(failure)
        }
        do {
            try finish(staged)
            try commit([staged])
        } catch {
            throw .output(error)
        }
    }
}

/// Why a streamed write did not happen: the file could not be written, or the producer failed.
public enum StreamingWriteError<Failure: Error>: Error, CustomStringConvertible {
    case output(FileOutputError)
    case producer(Failure)

    public var description: String {
        switch self {
        case .output(let error): error.description
        case .producer(let error): "\(error)"
        }
    }
}
