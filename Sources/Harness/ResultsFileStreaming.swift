import FileOutput
import JSON

/// Where streamed results-file text goes: the temporary file of an atomic write, or a string.
protocol ResultsTextSink: ~Copyable {
    mutating func write(_ text: String)
}

extension StreamingFileWriter: ResultsTextSink {}

/// Collects streamed text in memory (tests compare it with the tree writer's).
struct ResultsTextCollector: ResultsTextSink {
    var text = ""
    mutating func write(_ text: String) { self.text += text }
}

// MARK: - Writing one image at a time (docs/robustness.md §10)

extension ResultsFile {
    /// Streams `record` into `sink` with exactly the bytes of `JSONCodec.serialize(encode(record))`.
    ///
    /// The document without its images (a few kilobytes plus the K×K matrix) is serialised as a
    /// tree; each image is then serialised on its own and indented to its place in the list, so
    /// memory holds one image's tree at a time instead of the whole run's. Raw line breaks never
    /// occur inside JSON strings, so re-indenting by lines cannot touch a value.
    static func stream<Sink: ResultsTextSink & ~Copyable>(_ record: RunRecord, into sink: inout Sink) {
        let (head, tail) = frame(record)
        sink.write(head)
        if record.images.isEmpty {
            sink.write("[\n  ]")
        } else {
            for (index, image) in record.images.enumerated() {
                sink.write(index == 0 ? "[\n    " : ",\n    ")
                sink.write(elementText(image))
            }
            sink.write("\n  ]")
        }
        sink.write(tail)
    }

    /// The streamed text as one string (for tests and small files).
    static func streamedText(_ record: RunRecord) -> String {
        var collector = ResultsTextCollector()
        stream(record, into: &collector)
        return collector.text
    }

    /// The document's text before and after the value of `images`.
    static func frame(_ record: RunRecord) -> (head: String, tail: String) {
        let text = JSONCodec.serialize(encode(record, includeImages: false))
        // Top-level keys are the only lines indented by exactly two spaces, and keys are unique.
        let marker = "\n  \"images\": \"\""
        guard let range = text.range(of: marker) else {
            preconditionFailure("the results document has no top-level images key")
        }
        let head = String(text[..<range.lowerBound]) + "\n  \"images\": "
        return (head, String(text[range.upperBound...]))
    }

    /// One image's object as it appears inside `images` (lines after the first indented by four).
    static func elementText(_ image: ImageRecord) -> String {
        var text = JSONCodec.serialize(encode(image))
        if text.hasSuffix("\n") { text.removeLast() }
        return text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n    ")
    }
}
