import Foundation
import JSON

/// The record of a suite run, `DIR/suite-run.json` (docs/suites.md §5): the suite, each
/// dataset's split, the methods, and every cell's status and results file. `ovseg suite run`
/// rewrites it atomically after every cell; `ovseg suite report` reads it. Rows are the methods in
/// order, columns the datasets in order.
public struct SuiteManifest: Sendable, Equatable {
    public static let schema = "ovseg.suite-run"
    public static let schemaVersion = 1
    /// The manifest's file name in the run folder.
    public static let fileName = "suite-run.json"

    public struct SuiteInfo: Sendable, Equatable {
        public var name: String
        /// The suite file as given to `suite run`.
        public var file: String
        public var sha256: String

        public init(name: String, file: String, sha256: String) {
            self.name = name
            self.file = file
            self.sha256 = sha256
        }
    }

    /// A seen test class and the training class it matched.
    public struct Match: Sendable, Equatable {
        public var test: String
        public var training: String

        public init(test: String, training: String) {
            self.test = test
            self.training = training
        }
    }

    public struct Dataset: Sendable, Equatable {
        public var key: String
        public var title: String
        /// The bundled key or vocabulary file path, as the suite gives it.
        public var vocabulary: String
        /// `derived` (vocabulary overlap) or `suite` (given in the suite file).
        public var splitOrigin: String
        /// Test class names in vocabulary order.
        public var seen: [String]
        public var unseen: [String]
        public var matches: [Match]

        public init(key: String, title: String, vocabulary: String, splitOrigin: String, seen: [String], unseen: [String], matches: [Match]) {
            self.key = key
            self.title = title
            self.vocabulary = vocabulary
            self.splitOrigin = splitOrigin
            self.seen = seen
            self.unseen = unseen
            self.matches = matches
        }
    }

    public struct Method: Sendable, Equatable {
        public var name: String
        /// `predictions` or `checkpoint`.
        public var kind: String

        public init(name: String, kind: String) {
            self.name = name
            self.kind = kind
        }
    }

    public enum Status: String, Sendable, Equatable, CaseIterable {
        case done, failed, pending
    }

    public struct Cell: Sendable, Equatable {
        public var method: String
        public var dataset: String
        public var status: Status
        /// The results file relative to the run folder, when done.
        public var results: String?
        /// The one-line reason, when failed.
        public var error: String?

        public init(method: String, dataset: String, status: Status, results: String? = nil, error: String? = nil) {
            self.method = method
            self.dataset = dataset
            self.status = status
            self.results = results
            self.error = error
        }
    }

    public var suite: SuiteInfo
    /// The training vocabulary's key.
    public var trainingVocabulary: String
    public var presencePolicy: String
    public var datasets: [Dataset]
    public var methods: [Method]
    /// Method-major: all datasets of the first method, then of the second, …
    public var cells: [Cell]

    public init(suite: SuiteInfo, trainingVocabulary: String, presencePolicy: String, datasets: [Dataset], methods: [Method], cells: [Cell]) {
        self.suite = suite
        self.trainingVocabulary = trainingVocabulary
        self.presencePolicy = presencePolicy
        self.datasets = datasets
        self.methods = methods
        self.cells = cells
    }

    /// The manifest of `suite` before any cell ran: every cell pending.
    public init(suite file: SuiteFile) {
        suite = SuiteInfo(name: file.name, file: file.path, sha256: file.sha256)
        trainingVocabulary = file.trainingVocabulary.key
        presencePolicy = file.presence.rawValue
        datasets = file.datasets.map { dataset in
            Dataset(
                key: dataset.key, title: dataset.title, vocabulary: dataset.vocabularyReference,
                splitOrigin: dataset.explicitSplit == nil ? "derived" : "suite",
                seen: dataset.split.seen, unseen: dataset.split.unseen,
                matches: dataset.matches.map { Match(test: $0.test, training: $0.training) })
        }
        methods = file.methods.map { Method(name: $0.name, kind: $0.kind) }
        cells = file.methods.flatMap { method in
            file.datasets.map { Cell(method: method.name, dataset: $0.key, status: .pending) }
        }
    }

    /// The cell of `method` on `dataset`.
    public func cell(method: String, dataset: String) -> Cell? {
        cells.first { $0.method == method && $0.dataset == dataset }
    }

    /// The manifest as JSON, keys in the documented order.
    public var json: JSONValue {
        let strings = { (values: [String]) in JSONValue.array(values.map(JSONValue.string)) }
        return .object(JSONObject([
            ("schema", .string(Self.schema)),
            ("schema_version", .int(Int64(Self.schemaVersion))),
            ("suite", .object(JSONObject([
                ("name", .string(suite.name)), ("file", .string(suite.file)), ("sha256", .string(suite.sha256)),
            ]))),
            ("training_vocabulary", .string(trainingVocabulary)),
            ("presence_policy", .string(presencePolicy)),
            ("datasets", .array(datasets.map { dataset in
                .object(JSONObject([
                    ("key", .string(dataset.key)), ("title", .string(dataset.title)), ("vocabulary", .string(dataset.vocabulary)),
                    ("split", .object(JSONObject([
                        ("origin", .string(dataset.splitOrigin)), ("seen", strings(dataset.seen)), ("unseen", strings(dataset.unseen)),
                        ("matches", .object(JSONObject(dataset.matches.map { ($0.test, .string($0.training)) }))),
                    ]))),
                ]))
            })),
            ("methods", .array(methods.map { .object(JSONObject([("name", .string($0.name)), ("kind", .string($0.kind))])) })),
            ("cells", .array(cells.map { cell in
                var entries: [(String, JSONValue)] = [
                    ("method", .string(cell.method)), ("dataset", .string(cell.dataset)), ("status", .string(cell.status.rawValue)),
                ]
                if let results = cell.results { entries.append(("results", .string(results))) }
                if let error = cell.error { entries.append(("error", .string(error))) }
                return .object(JSONObject(entries))
            })),
        ]))
    }

    /// Writes the manifest atomically.
    public func write(to path: String) throws(SuiteError) {
        do {
            try JSONCodec.write(json, to: path)
        } catch {
            throw SuiteError(.output, file: path, error.reason)
        }
    }

    /// Reads and checks a manifest (schema, version, the shape of every entry, cells that name
    /// known methods and datasets).
    public static func read(path: String) throws(SuiteError) -> SuiteManifest {
        let root: JSONValue
        do {
            root = try JSONCodec.read(path: path)
        } catch {
            var message = error.description
            if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
            throw SuiteError(.manifest, file: path, message)
        }
        return try parse(root, source: path)
    }

    /// Checks a parsed manifest; `source` names it in errors.
    public static func parse(_ root: JSONValue, source: String) throws(SuiteError) -> SuiteManifest {
        func fail(_ entry: String?, _ message: String) -> SuiteError { SuiteError(.manifest, file: source, entry: entry, message) }
        func string(_ value: JSONValue?, _ entry: String) throws(SuiteError) -> String {
            guard let text = value?.stringValue else { throw fail(entry, "expected a string") }
            return text
        }
        func strings(_ value: JSONValue?, _ entry: String) throws(SuiteError) -> [String] {
            guard let array = value?.arrayValue else { throw fail(entry, "expected a list of strings") }
            var result: [String] = []
            for item in array {
                guard let text = item.stringValue else { throw fail(entry, "expected a list of strings") }
                result.append(text)
            }
            return result
        }
        guard root["schema"]?.stringValue == schema else { throw fail("schema", "expected \"\(schema)\"") }
        guard root["schema_version"]?.intValue == schemaVersion else {
            throw fail("schema_version", "this ovseg reads version \(schemaVersion)")
        }
        guard let suiteObject = root["suite"]?.objectValue else { throw fail("suite", "expected an object") }
        let suite = SuiteInfo(
            name: try string(suiteObject["name"], "suite.name"), file: try string(suiteObject["file"], "suite.file"),
            sha256: try string(suiteObject["sha256"], "suite.sha256"))
        var datasets: [Dataset] = []
        for (index, value) in (root["datasets"]?.arrayValue ?? []).enumerated() {
            let entry = "datasets[\(index)]"
            guard let split = value["split"]?.objectValue else { throw fail(entry + ".split", "expected an object") }
            guard let matchObject = split["matches"]?.objectValue else { throw fail(entry + ".split.matches", "expected an object") }
            var matches: [Match] = []
            for (test, training) in matchObject {
                matches.append(Match(test: test, training: try string(training, entry + ".split.matches.\(test)")))
            }
            let origin = try string(split["origin"], entry + ".split.origin")
            guard origin == "derived" || origin == "suite" else { throw fail(entry + ".split.origin", "expected \"derived\" or \"suite\"") }
            datasets.append(Dataset(
                key: try string(value["key"], entry + ".key"), title: try string(value["title"], entry + ".title"),
                vocabulary: try string(value["vocabulary"], entry + ".vocabulary"), splitOrigin: origin,
                seen: try strings(split["seen"], entry + ".split.seen"), unseen: try strings(split["unseen"], entry + ".split.unseen"),
                matches: matches))
        }
        var methods: [Method] = []
        for (index, value) in (root["methods"]?.arrayValue ?? []).enumerated() {
            let entry = "methods[\(index)]"
            methods.append(Method(name: try string(value["name"], entry + ".name"), kind: try string(value["kind"], entry + ".kind")))
        }
        var cells: [Cell] = []
        for (index, value) in (root["cells"]?.arrayValue ?? []).enumerated() {
            let entry = "cells[\(index)]"
            let statusText = try string(value["status"], entry + ".status")
            guard let status = Status(rawValue: statusText) else {
                throw fail(entry + ".status", "\"\(statusText)\" is not done, failed or pending")
            }
            let cell = Cell(
                method: try string(value["method"], entry + ".method"), dataset: try string(value["dataset"], entry + ".dataset"),
                status: status, results: value["results"]?.stringValue, error: value["error"]?.stringValue)
            guard methods.contains(where: { $0.name == cell.method }), datasets.contains(where: { $0.key == cell.dataset }) else {
                throw fail(entry, "names a method or dataset the manifest does not list")
            }
            if status == .done && cell.results == nil { throw fail(entry, "is done but names no results file") }
            cells.append(cell)
        }
        return SuiteManifest(
            suite: suite, trainingVocabulary: try string(root["training_vocabulary"], "training_vocabulary"),
            presencePolicy: try string(root["presence_policy"], "presence_policy"), datasets: datasets, methods: methods, cells: cells)
    }
}
