import JSON
import Metrics

/// The manifest `ovseg suite run` writes beside the cells' results files (`DIR/suite-run.json`,
/// schema `ovseg.suite-run` version 1, docs/suite-report.md §1), read without the `Suites` module:
/// which suite ran, its test datasets with their seen/unseen split, its methods, and per cell
/// (method × dataset) whether it finished and where its results file is.
public struct SuiteRunManifest: Sendable, Equatable {
    public static let schema = "ovseg.suite-run"
    public static let schemaVersion = 1
    /// The manifest's file name inside a suite-run folder.
    public static let fileName = "suite-run.json"

    public struct Suite: Sendable, Equatable {
        public var name: String
        public var file: String?
        public var sha256: String?
    }

    /// A test dataset's seen/unseen split as the suite derived or declared it.
    public struct Split: Sendable, Equatable {
        /// `derived` (vocabulary overlap) or `suite` (explicit in the suite file).
        public var origin: String
        public var seen: [String]
        public var unseen: [String]
        /// Seen test class name → the training class name it matched.
        public var matches: [(test: String, training: String)]

        public static func == (lhs: Split, rhs: Split) -> Bool {
            lhs.origin == rhs.origin && lhs.seen == rhs.seen && lhs.unseen == rhs.unseen
                && lhs.matches.map(\.test) == rhs.matches.map(\.test) && lhs.matches.map(\.training) == rhs.matches.map(\.training)
        }
    }

    public struct Dataset: Sendable, Equatable {
        public var key: String
        public var title: String
        /// A bundled vocabulary key or the path of a vocabulary file.
        public var vocabulary: String
        public var split: Split?
    }

    public struct Method: Sendable, Equatable {
        public var name: String
        /// `predictions` or `checkpoint`.
        public var kind: String
    }

    public enum Status: Sendable, Equatable {
        /// Finished; the results file's path relative to the suite-run folder.
        case done(results: String)
        /// Failed with this one-line message.
        case failed(error: String)
        case pending
    }

    public struct Cell: Sendable, Equatable {
        public var method: String
        public var dataset: String
        public var status: Status
    }

    public var suite: Suite
    public var trainingVocabulary: String
    public var presencePolicy: PresencePolicy
    public var datasets: [Dataset]
    public var methods: [Method]
    public var cells: [Cell]

    /// The cell of `method` on `dataset`; nil when the manifest lists none (shown as pending).
    public func cell(method: String, dataset: String) -> Cell? {
        cells.first { $0.method == method && $0.dataset == dataset }
    }

    /// Reads and validates `path`.
    public static func read(path: String) throws(SuiteReportError) -> SuiteRunManifest {
        let document: JSONValue
        do {
            document = try JSONCodec.read(path: path)
        } catch {
            throw SuiteReportError(.manifest, file: path, "\(path): cannot read the suite-run manifest: \(error)")
        }
        return try decode(document, source: path)
    }

    /// Validates a parsed manifest; errors name `source`, the entry and the value.
    public static func decode(_ document: JSONValue, source: String) throws(SuiteReportError) -> SuiteRunManifest {
        let reader = Reader(source: source)
        guard let root = document.objectValue else { throw reader.fail("", "the manifest must be a JSON object") }
        let schema = root["schema"]?.stringValue
        guard schema == Self.schema else {
            throw reader.fail("schema", "expected \"\(Self.schema)\", found \(describe(root["schema"]))")
        }
        guard let version = root["schema_version"]?.intValue else {
            throw reader.fail("schema_version", "expected the integer \(Self.schemaVersion), found \(describe(root["schema_version"]))")
        }
        guard version == Self.schemaVersion else {
            throw reader.fail("schema_version", "this ovseg reads version \(Self.schemaVersion), the file has version \(version)")
        }
        let suiteObject = try reader.object(root, "suite")
        let suite = Suite(
            name: try reader.string(suiteObject, "name", path: "suite.name"),
            file: try reader.optionalString(suiteObject, "file", path: "suite.file"),
            sha256: try reader.optionalString(suiteObject, "sha256", path: "suite.sha256"))
        let training = try reader.string(root, "training_vocabulary", path: "training_vocabulary")
        let policyText = try reader.string(root, "presence_policy", path: "presence_policy")
        guard let policy = PresencePolicy(rawValue: policyText) else {
            let known = PresencePolicy.allCases.map(\.rawValue).joined(separator: ", ")
            throw reader.fail("presence_policy", "unknown presence policy \"\(policyText)\" (known: \(known))")
        }

        var datasets: [Dataset] = []
        for (index, item) in try reader.array(root, "datasets").enumerated() {
            let at = "datasets[\(index)]"
            guard let object = item.objectValue else { throw reader.fail(at, "expected an object") }
            let key = try reader.string(object, "key", path: at + ".key")
            guard !datasets.contains(where: { $0.key == key }) else {
                throw reader.fail(at + ".key", "the dataset key \"\(key)\" appears twice")
            }
            let vocabulary = try reader.string(object, "vocabulary", path: at + ".vocabulary")
            let title = try reader.optionalString(object, "title", path: at + ".title") ?? key
            var split: Split?
            if let value = object["split"], !value.isNull {
                guard let splitObject = value.objectValue else { throw reader.fail(at + ".split", "expected an object") }
                let origin = try reader.string(splitObject, "origin", path: at + ".split.origin")
                guard origin == "derived" || origin == "suite" else {
                    throw reader.fail(at + ".split.origin", "expected \"derived\" or \"suite\", found \"\(origin)\"")
                }
                let seen = try reader.strings(splitObject, "seen", path: at + ".split.seen")
                let unseen = try reader.strings(splitObject, "unseen", path: at + ".split.unseen")
                if let both = seen.first(where: unseen.contains) {
                    throw reader.fail(at + ".split", "the class \"\(both)\" is both seen and unseen")
                }
                var matches: [(test: String, training: String)] = []
                if let matchValue = splitObject["matches"], !matchValue.isNull {
                    guard let matchObject = matchValue.objectValue else {
                        throw reader.fail(at + ".split.matches", "expected an object of test class → training class")
                    }
                    for (test, training) in matchObject {
                        guard let name = training.stringValue else {
                            throw reader.fail(at + ".split.matches.\(test)", "expected a string, found \(describe(training))")
                        }
                        matches.append((test, name))
                    }
                }
                split = Split(origin: origin, seen: seen, unseen: unseen, matches: matches)
            }
            datasets.append(Dataset(key: key, title: title, vocabulary: vocabulary, split: split))
        }
        guard !datasets.isEmpty else { throw reader.fail("datasets", "the suite has no test dataset") }

        var methods: [Method] = []
        for (index, item) in try reader.array(root, "methods").enumerated() {
            let at = "methods[\(index)]"
            guard let object = item.objectValue else { throw reader.fail(at, "expected an object") }
            let name = try reader.string(object, "name", path: at + ".name")
            guard !methods.contains(where: { $0.name == name }) else {
                throw reader.fail(at + ".name", "the method name \"\(name)\" appears twice")
            }
            methods.append(Method(name: name, kind: try reader.optionalString(object, "kind", path: at + ".kind") ?? "predictions"))
        }
        guard !methods.isEmpty else { throw reader.fail("methods", "the suite has no method") }

        var cells: [Cell] = []
        for (index, item) in try reader.array(root, "cells").enumerated() {
            let at = "cells[\(index)]"
            guard let object = item.objectValue else { throw reader.fail(at, "expected an object") }
            let method = try reader.string(object, "method", path: at + ".method")
            let dataset = try reader.string(object, "dataset", path: at + ".dataset")
            guard methods.contains(where: { $0.name == method }) else {
                throw reader.fail(at + ".method", "\"\(method)\" is not one of the manifest's methods")
            }
            guard datasets.contains(where: { $0.key == dataset }) else {
                throw reader.fail(at + ".dataset", "\"\(dataset)\" is not one of the manifest's dataset keys")
            }
            guard !cells.contains(where: { $0.method == method && $0.dataset == dataset }) else {
                throw reader.fail(at, "a second cell for method \"\(method)\" on dataset \"\(dataset)\"")
            }
            let statusText = try reader.string(object, "status", path: at + ".status")
            let status: Status
            switch statusText {
            case "done":
                let results = try reader.string(object, "results", path: at + ".results")
                guard !results.isEmpty else { throw reader.fail(at + ".results", "empty path") }
                status = .done(results: results)
            case "failed":
                status = .failed(error: try reader.optionalString(object, "error", path: at + ".error") ?? "no message recorded")
            case "pending":
                status = .pending
            default:
                throw reader.fail(at + ".status", "expected \"done\", \"failed\" or \"pending\", found \"\(statusText)\"")
            }
            cells.append(Cell(method: method, dataset: dataset, status: status))
        }
        return SuiteRunManifest(
            suite: suite, trainingVocabulary: training, presencePolicy: policy, datasets: datasets, methods: methods,
            cells: cells)
    }

    static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "nothing" }
        switch value {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Field access that names the manifest and the entry in every error.
    struct Reader {
        let source: String

        func fail(_ path: String, _ message: String) -> SuiteReportError {
            SuiteReportError(.manifest, file: source, "\(source): " + (path.isEmpty ? "" : "\(path): ") + message)
        }

        func object(_ object: JSONObject, _ key: String) throws(SuiteReportError) -> JSONObject {
            guard let value = object[key] else { throw fail(key, "missing") }
            guard let result = value.objectValue else { throw fail(key, "expected an object, found \(SuiteRunManifest.describe(value))") }
            return result
        }

        func array(_ object: JSONObject, _ key: String) throws(SuiteReportError) -> [JSONValue] {
            guard let value = object[key] else { throw fail(key, "missing") }
            guard let result = value.arrayValue else { throw fail(key, "expected an array, found \(SuiteRunManifest.describe(value))") }
            return result
        }

        func string(_ object: JSONObject, _ key: String, path: String) throws(SuiteReportError) -> String {
            guard let value = object[key] else { throw fail(path, "missing") }
            guard let result = value.stringValue else { throw fail(path, "expected a string, found \(SuiteRunManifest.describe(value))") }
            return result
        }

        func optionalString(_ object: JSONObject, _ key: String, path: String) throws(SuiteReportError) -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let result = value.stringValue else { throw fail(path, "expected a string, found \(SuiteRunManifest.describe(value))") }
            return result
        }

        func strings(_ object: JSONObject, _ key: String, path: String) throws(SuiteReportError) -> [String] {
            guard let value = object[key] else { throw fail(path, "missing") }
            guard let items = value.arrayValue else { throw fail(path, "expected an array of class names, found \(SuiteRunManifest.describe(value))") }
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard let name = item.stringValue else {
                    throw fail("\(path)[\(index)]", "expected a class name, found \(SuiteRunManifest.describe(item))")
                }
                result.append(name)
            }
            return result
        }
    }
}
