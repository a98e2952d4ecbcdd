import JSON

/// The `provenance` object of the task results files (referring, VQA, scene classification): the
/// tool, its version, the command line, date, host, seconds and threads, in this order. Semantic
/// results files record more (checkpoint, numerics) and keep their own encoding.
extension Provenance {
    public var taskJSON: JSONValue {
        .object(JSONObject([
            ("tool", .string(tool)), ("version", .string(version)), ("command", .array(command.map { .string($0) })),
            ("date", .string(date)), ("host", .string(host)), ("seconds", .double(seconds)), ("threads", .int(Int64(threads))),
        ]))
    }

    /// Reads `taskJSON` back. The error is the sentence to append to the file's name: which key
    /// is missing or of the wrong type.
    public init(taskJSON value: JSONValue?) throws(TaskProvenanceError) {
        guard let object = value?.objectValue else { throw TaskProvenanceError("provenance is missing or not an object") }
        func string(_ key: String) throws(TaskProvenanceError) -> String {
            guard let text = object[key]?.stringValue else { throw TaskProvenanceError("provenance.\(key) is missing or not a string") }
            return text
        }
        guard let items = object["command"]?.arrayValue else { throw TaskProvenanceError("provenance.command is missing or not a list") }
        var command: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw TaskProvenanceError("provenance.command holds a non-string") }
            command.append(text)
        }
        self.init(
            tool: try string("tool"), version: try string("version"), command: command, date: try string("date"),
            host: try string("host"), seconds: object["seconds"]?.doubleValue ?? 0, threads: object["threads"]?.intValue ?? 1)
    }
}

/// What is wrong with a task results file's `provenance` object.
public struct TaskProvenanceError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
