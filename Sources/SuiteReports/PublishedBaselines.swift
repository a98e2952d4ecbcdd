import Foundation
import JSON

/// Where published numbers come from: a paper's or a repository's table (docs/published-baselines.md §1).
public struct PublishedSource: Sendable, Equatable {
    public var id: String
    /// Position in listings and grids (the core paper first).
    public var order: Int
    /// A short name for footnotes, e.g. "SGSeg, TGRS 2025".
    public var short: String
    public var citation: String
    /// Which table or figure the numbers are read from.
    public var table: String
    public var url: String
    public var arxiv: String?
    /// `primary` (the source's own table) or `secondary` (read in a third-party summary).
    public var reliability: String
    public var notes: String?
}

/// How a source evaluated one test dataset, as the source states it.
public struct PublishedProtocol: Sendable, Equatable {
    /// Number of evaluated classes; nil when the source does not say.
    public var classes: Int?
    public var vocabulary: String
    public var ignore: String
    public var split: String
}

/// One published number: a method trained on one dataset (or training-free), tested on one dataset.
public struct PublishedBaseline: Sendable, Equatable {
    public var source: PublishedSource
    public var method: String
    /// The vision-language backbone as printed; nil when the source does not state it.
    public var vlm: String?
    /// Key of the training dataset (e.g. `dlrsd`); nil for training-free entries not tied to one.
    public var training: String?
    public var trainingFree: Bool
    /// Key of the test dataset (a bundled vocabulary key where one exists, e.g. `gid5`).
    public var testDataset: String
    /// The test dataset's column title in the source, e.g. "GaoFen-2".
    public var printedColumn: String
    /// `miou` or `macc`.
    public var metric: String
    public var metricNotes: String
    public var protocolNotes: PublishedProtocol?
    public var notes: String?
    /// The value exactly as printed, e.g. "14" or "31.3".
    public var value: String
    /// The printed value in hundredths of a percent (exact decimal parse), for ranking.
    public var hundredths: Int
}

/// The published baselines shipped in `Baselines/*.json` (bundled as a resource of this module),
/// or read from a folder of files in the same schema (docs/published-baselines.md §2).
public enum PublishedBaselines {
    public static let schema = "ovseg.published-baselines"

    /// The bundled `Baselines/` folder.
    public static var bundledDirectory: String? {
        Bundle.module.url(forResource: "Baselines", withExtension: nil)?.path
    }

    /// Every bundled entry, sources in their `order`, entries in file order.
    public static func bundled() throws(SuiteReportError) -> [PublishedBaseline] {
        guard let directory = bundledDirectory else {
            throw SuiteReportError(.baselines, "the bundled published baselines (Baselines/) are missing from this build")
        }
        return try load(directory: directory)
    }

    /// Every `*.json` of `directory`, sources in their `order`, entries in file order.
    public static func load(directory: String) throws(SuiteReportError) -> [PublishedBaseline] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw SuiteReportError(.baselines, file: directory, "\(directory): cannot list the published baselines: \(error.localizedDescription)")
        }
        var files: [(order: Int, entries: [PublishedBaseline])] = []
        var ids: [String: String] = [:]
        for name in names {
            let path = directory + "/" + name
            let document: JSONValue
            do {
                document = try JSONCodec.read(path: path)
            } catch {
                throw SuiteReportError(.baselines, file: path, "\(path): \(error)")
            }
            let entries = try decode(document, source: path)
            if let first = entries.first {
                if let other = ids[first.source.id] {
                    throw SuiteReportError(.baselines, file: path, "\(path): source id \"\(first.source.id)\" is also used by \(other)")
                }
                ids[first.source.id] = path
                files.append((first.source.order, entries))
            }
        }
        return files.sorted { $0.order < $1.order }.flatMap(\.entries)
    }

    /// Parses one file; errors name the file and the entry.
    public static func decode(_ document: JSONValue, source path: String) throws(SuiteReportError) -> [PublishedBaseline] {
        func fail(_ at: String, _ message: String) -> SuiteReportError {
            SuiteReportError(.baselines, file: path, "\(path): \(at): \(message)")
        }
        func string(_ object: JSONObject?, _ key: String, _ at: String) throws(SuiteReportError) -> String {
            guard let value = object?[key]?.stringValue, !value.isEmpty else { throw fail(at, "missing or not a non-empty string") }
            return value
        }
        func optional(_ object: JSONObject?, _ key: String, _ at: String) throws(SuiteReportError) -> String? {
            guard let value = object?[key], !value.isNull else { return nil }
            guard let text = value.stringValue else { throw fail(at, "expected a string or null") }
            return text
        }
        guard let root = document.objectValue else { throw fail("document", "expected a JSON object") }
        guard root["schema"]?.stringValue == schema else { throw fail("schema", "expected \"\(schema)\"") }
        guard root["schema_version"]?.intValue == 1 else { throw fail("schema_version", "expected 1") }
        let sourceObject = root["source"]?.objectValue
        guard let order = sourceObject?["order"]?.intValue else { throw fail("source.order", "missing or not an integer") }
        let reliability = try string(sourceObject, "reliability", "source.reliability")
        guard reliability == "primary" || reliability == "secondary" else {
            throw fail("source.reliability", "expected \"primary\" or \"secondary\", found \"\(reliability)\"")
        }
        let source = PublishedSource(
            id: try string(sourceObject, "id", "source.id"), order: order, short: try string(sourceObject, "short", "source.short"),
            citation: try string(sourceObject, "citation", "source.citation"), table: try string(sourceObject, "table", "source.table"),
            url: try string(sourceObject, "url", "source.url"), arxiv: try optional(sourceObject, "arxiv", "source.arxiv"),
            reliability: reliability, notes: try optional(sourceObject, "notes", "source.notes"))
        let metric = try string(root, "metric", "metric")
        guard metric == "miou" || metric == "macc" else { throw fail("metric", "expected \"miou\" or \"macc\", found \"\(metric)\"") }
        let metricNotes = try string(root, "metric_notes", "metric_notes")
        guard let printed = root["printed_columns"]?.objectValue else { throw fail("printed_columns", "missing or not an object") }
        guard let protocolsObject = root["protocols"]?.objectValue else { throw fail("protocols", "missing or not an object") }
        var protocols: [String: PublishedProtocol] = [:]
        for (key, value) in protocolsObject {
            let at = "protocols.\(key)"
            let object = value.objectValue
            var classes: Int?
            if let count = object?["classes"], !count.isNull {
                guard let n = count.intValue, n > 0 else { throw fail(at + ".classes", "expected a positive integer or null") }
                classes = n
            }
            protocols[key] = PublishedProtocol(
                classes: classes, vocabulary: try string(object, "vocabulary", at + ".vocabulary"),
                ignore: try string(object, "ignore", at + ".ignore"), split: try string(object, "split", at + ".split"))
        }
        guard let entries = root["entries"]?.arrayValue, !entries.isEmpty else { throw fail("entries", "missing or empty") }
        var result: [PublishedBaseline] = []
        for (index, item) in entries.enumerated() {
            let at = "entries[\(index)]"
            let object = item.objectValue
            let method = try string(object, "method", at + ".method")
            guard let trainingFree = object?["training_free"]?.boolValue else { throw fail(at + ".training_free", "expected true or false") }
            let training = try optional(object, "training", at + ".training")
            if training == nil && !trainingFree { throw fail(at + ".training", "only a training-free entry may have no training dataset") }
            guard let values = object?["values"]?.objectValue, values.count > 0 else { throw fail(at + ".values", "missing or empty") }
            for (test, value) in values {
                guard let text = value.stringValue, let hundredths = parseHundredths(text) else {
                    throw fail("\(at).values.\(test)", "expected a number as printed in a string, e.g. \"31.3\"")
                }
                guard let column = printed[test]?.stringValue else {
                    throw fail("\(at).values.\(test)", "no printed_columns entry for \"\(test)\"")
                }
                guard let protocolNotes = protocols[test] else {
                    throw fail("\(at).values.\(test)", "no protocols entry for \"\(test)\"")
                }
                result.append(PublishedBaseline(
                    source: source, method: method, vlm: try optional(object, "vlm", at + ".vlm"), training: training,
                    trainingFree: trainingFree, testDataset: test, printedColumn: column, metric: metric,
                    metricNotes: metricNotes, protocolNotes: protocolNotes, notes: try optional(object, "notes", at + ".notes"),
                    value: text, hundredths: hundredths))
            }
        }
        return result
    }

    /// A printed percentage with at most two decimals ("31.3", "14", "-0.5") in hundredths,
    /// parsed as a decimal (no binary rounding); nil for anything else.
    public static func parseHundredths(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if digits.hasPrefix("-") {
            negative = true
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 6,
            whole.allSatisfy({ $0.isASCII && $0.isNumber }), let integer = Int(whole)
        else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let decimals = parts[1]
            guard (1...2).contains(decimals.count), decimals.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(decimals) else {
                return nil
            }
            fraction = decimals.count == 1 ? value * 10 : value
        }
        let magnitude = integer * 100 + fraction
        return negative ? -magnitude : magnitude
    }
}

extension PublishedBaselines {
    /// Entries trained on `training` (a dataset key; `none` or `training-free` for the
    /// training-free entries no source ties to a training set); all entries when nil.
    public static func filter(_ entries: [PublishedBaseline], training: String?) -> [PublishedBaseline] {
        guard let training else { return entries }
        let key = PublishedMatching.trainingKey(training)
        if key == "none" || key == "training-free" { return entries.filter { $0.training == nil } }
        return entries.filter { $0.training?.lowercased() == key }
    }

    /// A plain-text listing for the terminal: per source its citation, then one line per
    /// (method, backbone, training, metric) with its values by test dataset, as printed.
    public static func listing(_ entries: [PublishedBaseline]) -> String {
        var lines: [String] = []
        var sources: [PublishedSource] = []
        for entry in entries where !sources.contains(entry.source) { sources.append(entry.source) }
        for source in sources {
            lines.append("\(source.short) [\(source.id)]\(source.reliability == "secondary" ? " (secondary)" : "")")
            lines.append("  \(source.citation)")
            lines.append("  \(source.table); \(source.url)" + (source.arxiv.map { "; arXiv \($0)" } ?? ""))
            var rows: [(key: String, head: String, values: [String])] = []
            for entry in entries where entry.source == source {
                let training = entry.training.map { "trained on \($0)" } ?? "training-free"
                let head = "\(entry.method)" + (entry.vlm.map { " (\($0))" } ?? "") + ", \(training)"
                    + (entry.trainingFree && entry.training != nil ? " (training-free)" : "") + ", \(entry.metric)"
                let key = head
                let value = "\(entry.testDataset) \(entry.value)"
                if let index = rows.firstIndex(where: { $0.key == key }) { rows[index].values.append(value) } else {
                    rows.append((key, head, [value]))
                }
            }
            for row in rows { lines.append("  \(row.head): " + row.values.joined(separator: ", ")) }
            lines.append("")
        }
        if lines.isEmpty { return "no published baselines match\n" }
        return lines.joined(separator: "\n")
    }
}
