import Foundation
import Harness
import JSON
import LabelMaps
import Metrics
import Vocabulary

/// A benchmark suite (docs/suites.md §2): the field's cross-dataset protocol written down once —
/// a training vocabulary, test datasets (each with its vocabulary, its data and its seen/unseen
/// split) and methods (prediction folders per dataset, or a checkpoint to evaluate) under one
/// presence policy. `load(path:)` reads and fully validates the JSON file (schema version 1):
/// every error names the file and the entry. Relative paths resolve against the file's folder.
public struct SuiteFile: Sendable {
    /// The `schema` tag a suite file may carry, and the one schema version this reader knows.
    public static let schemaTag = "ovseg.suite"
    public static let schemaVersion = 1
    static let topKeys = ["schema", "schema_version", "name", "training_vocabulary", "presence_policy", "datasets", "methods", "notes"]
    static let datasetKeys = ["key", "title", "vocabulary", "gt", "data", "layout", "subset", "eroded_boundary", "split", "encoding"]
    static let methodKeys = ["name", "predictions", "prediction_encoding", "checkpoint", "eval"]
    static let encodingKeys = ["reduce_zero_label", "ignore", "ignore_colors", "label_format"]

    /// The file as the user named it (named in errors and in the manifest).
    public var path: String
    /// SHA-256 of the file's bytes (lower-case hex), recorded in the manifest.
    public var sha256: String
    public var name: String
    /// The training vocabulary as written (a bundled key or a path, resolved) and loaded.
    public var trainingVocabularyReference: String
    public var trainingVocabulary: Vocabulary
    public var presence: PresencePolicy
    /// Test datasets: the grid's columns, in file order.
    public var datasets: [SuiteDataset]
    /// Methods: the grid's rows, in file order.
    public var methods: [SuiteMethod]

    /// Reads and validates the suite file at `path`.
    public static func load(path: String) throws(SuiteError) -> SuiteFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SuiteError(.invalidSuite, file: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw SuiteError(.invalidSuite, file: path, "is a folder, not a suite file") }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SuiteError(.invalidSuite, file: path, "cannot read the suite file: \(error.localizedDescription)")
        }
        let root: JSONValue
        do {
            root = try JSONCodec.parse(bytes, source: path)
        } catch {
            var message = error.description
            if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
            throw SuiteError(.invalidSuite, file: path, message)
        }
        var reader = SuiteReader(file: path)
        return try reader.suite(root, sha256: Fingerprint.sha256(bytes))
    }

    /// The dataset with `key`.
    public func dataset(_ key: String) -> SuiteDataset? { datasets.first { $0.key == key } }

    /// Checks that every folder and file the suite names exists (ground truth, data, prediction
    /// folders, checkpoints); `load` checks only the file itself, so a suite can be validated
    /// before its data is in place. Errors name the entry.
    public func checkInputsExist() throws(SuiteError) {
        for (index, dataset) in datasets.enumerated() {
            let entry = SuiteReader.entry("datasets", index, dataset.key)
            for (key, folder) in dataset.location.folders where !Self.isFolder(folder) {
                throw SuiteError(.invalidSuite, file: path, entry: entry + ".\(key)", "\(folder) is not a folder")
            }
        }
        for (index, method) in methods.enumerated() {
            let entry = SuiteReader.entry("methods", index, method.name)
            switch method.source {
            case .predictions(let folders):
                for (key, folder) in folders where !Self.isFolder(folder) {
                    throw SuiteError(.invalidSuite, file: path, entry: entry + ".predictions.\(key)", "\(folder) is not a folder")
                }
            case .checkpoint(let checkpoint, _):
                guard FileManager.default.fileExists(atPath: checkpoint) else {
                    throw SuiteError(.invalidSuite, file: path, entry: entry + ".checkpoint", "\(checkpoint) does not exist")
                }
            }
        }
    }

    static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// One test dataset of a suite: a column of the grid.
public struct SuiteDataset: Sendable {
    /// Unique in the suite (often the vocabulary key); names the cell results files.
    public var key: String
    /// The column title: the suite's `title`, else the vocabulary's name.
    public var title: String
    /// The vocabulary as written in the suite (a bundled key or a path, resolved) and loaded.
    public var vocabularyReference: String
    public var vocabulary: Vocabulary
    public var location: DatasetLocation
    /// Label-encoding overrides for this dataset (empty when none), as `ovseg score --ignore` etc.
    public var encodingOverride: EncodingOverride
    /// The encoding the ground truth is read with.
    public var encoding: EffectiveEncoding
    /// The derived overlap with the training vocabulary (always computed, shown even when an
    /// explicit split overrides it).
    public var overlap: VocabularyOverlap
    /// The split the suite gives explicitly, overriding `overlap`; nil when it gives none.
    public var explicitSplit: ClassSplit?

    /// The split every cell of this column is scored with.
    public var split: ClassSplit { explicitSplit ?? overlap.classSplit }
    /// How that split was chosen (recorded in each results file).
    public var splitOrigin: SplitOrigin { explicitSplit == nil ? .suiteOverlap : .suiteSplit }

    /// Seen test class → the training class it matched, for the seen classes of `split` that
    /// matched one (with an explicit split, a seen class may have no match).
    public var matches: [(test: String, training: String)] {
        split.seenIDs.compactMap { id in
            overlap.matches.first { $0.testClassID == id }.map { ($0.testClass, $0.trainingClass) }
        }
    }
}

/// Where a test dataset's ground truth (and, for checkpoints, images) lies: the forms
/// `ovseg score --gt`, `--data` and `--data --layout` take (docs/dataset-layouts.md).
public enum DatasetLocation: Sendable, Equatable {
    /// A folder of ground-truth label maps.
    case groundTruth(String)
    /// A folder with `images/` and `gt/`.
    case data(String)
    /// A release unpacked in `root`, found by the vocabulary's layout.
    case layout(root: String, layout: String, subset: String?, erodedBoundary: Bool)

    /// The folders that must exist, with the suite key that names each.
    var folders: [(key: String, folder: String)] {
        switch self {
        case .groundTruth(let folder): [("gt", folder)]
        case .data(let root): [("data", root)]
        case .layout(let root, _, _, _): [("data", root)]
        }
    }

    /// True when images can be found (checkpoint cells need them).
    public var hasImages: Bool {
        if case .groundTruth = self { return false }
        return true
    }
}

/// One method of a suite: a row of the grid.
public struct SuiteMethod: Sendable {
    public enum Source: Sendable {
        /// A folder of predicted label maps per dataset key.
        case predictions([String: String])
        /// A checkpoint `ovseg eval` runs, with its evaluation settings.
        case checkpoint(String, CheckpointSettings)
    }

    public var name: String
    /// File-name form of the name (`cells/<slug>/`), unique in the suite.
    public var slug: String
    public var source: Source
    /// How gray and palette prediction files hold class ids (prediction methods only).
    public var predictionEncoding: PredictionEncoding

    /// "predictions" or "checkpoint", as the manifest says.
    public var kind: String {
        if case .checkpoint = source { return "checkpoint" }
        return "predictions"
    }

    /// `name` in lower case with every run of other characters than letters and digits made one `-`.
    public static func slug(_ name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII && CharacterSet.alphanumerics.contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty && !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "method" : slug
    }
}

/// The `ovseg eval` settings of a checkpoint method (docs/suites.md §2.3), as the suite gives them;
/// nil means the command's default. The command-line layer turns them into an evaluation request.
public struct CheckpointSettings: Sendable, Equatable {
    public static let modes = ["auto", "sgseg", "catseg", "training-free"]
    public static let inferences = ["sliding", "whole"]
    public static let arithmetics = ["reproducible", "openblas"]
    public static let attentions = ["segearth", "sclip", "clearclip", "maskclip", "vanilla"]
    static let keys = [
        "mode", "inference", "pooling", "templates", "shortest_edge", "arithmetic",
        "attention", "threshold", "background", "long_side", "crop", "stride",
    ]

    public var mode: String?
    public var inference: String?
    public var pooling: Int?
    public var templates: [String] = []
    /// A size in pixels; 0 for `"none"` (no resize).
    public var shortestEdge: Int?
    public var arithmetic: String?
    public var attention: String?
    public var threshold: Double?
    public var background: String?
    /// A size in pixels; 0 for `"none"`.
    public var longSide: Int?
    public var crop: Int?
    public var stride: Int?

    public init() {}

    /// The settings as JSON, for the cell's recorded inputs.
    public var json: JSONValue {
        var object = JSONObject()
        func put(_ key: String, _ value: JSONValue?) { if let value { object[key] = value } }
        put("mode", mode.map(JSONValue.string))
        put("inference", inference.map(JSONValue.string))
        put("pooling", pooling.map { .int(Int64($0)) })
        if !templates.isEmpty { object["templates"] = .array(templates.map(JSONValue.string)) }
        put("shortest_edge", shortestEdge.map { .int(Int64($0)) })
        put("arithmetic", arithmetic.map(JSONValue.string))
        put("attention", attention.map(JSONValue.string))
        put("threshold", threshold.map(JSONValue.double))
        put("background", background.map(JSONValue.string))
        put("long_side", longSide.map { .int(Int64($0)) })
        put("crop", crop.map { .int(Int64($0)) })
        put("stride", stride.map { .int(Int64($0)) })
        return .object(object)
    }
}

/// Reads a parsed suite file, keeping the entry path for messages.
struct SuiteReader {
    let file: String
    let folder: String

    init(file: String) {
        self.file = file
        folder = (file as NSString).deletingLastPathComponent
    }

    /// `datasets[2] ("potsdam")`.
    static func entry(_ list: String, _ index: Int, _ name: String?) -> String {
        "\(list)[\(index)]" + (name.map { " (\"\($0)\")" } ?? "")
    }

    func fail(_ entry: String?, _ message: String) -> SuiteError {
        SuiteError(.invalidSuite, file: file, entry: entry, message)
    }

    /// A path as written, resolved against the suite file's folder when relative.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || folder.isEmpty { return path }
        return (folder as NSString).appendingPathComponent(path)
    }

    func checkKeys(_ object: JSONObject, allowed: [String], entry: String?) throws(SuiteError) {
        for key in object.keys where !allowed.contains(key) {
            let hint = EditDistance.closest(to: key, among: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw fail(entry, "unknown key \"\(key)\"\(hint); allowed: \(allowed.joined(separator: ", "))")
        }
    }

    func object(_ value: JSONValue?, _ entry: String) throws(SuiteError) -> JSONObject {
        guard let object = value?.objectValue else { throw fail(entry, "expected a JSON object") }
        return object
    }

    func string(_ object: JSONObject, _ key: String, _ entry: String?, required: Bool) throws(SuiteError) -> String? {
        guard let value = object[key], !value.isNull else {
            if required { throw fail(entry, "\"\(key)\" is missing") }
            return nil
        }
        guard let text = value.stringValue else { throw fail(entry, "\"\(key)\" must be a string") }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(entry, "\"\(key)\" is empty") }
        return text
    }

    func int(_ object: JSONObject, _ key: String, _ entry: String, range: ClosedRange<Int>) throws(SuiteError) -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            throw fail(entry, "\"\(key)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func strings(_ value: JSONValue, _ what: String, _ entry: String) throws(SuiteError) -> [String] {
        guard let array = value.arrayValue else { throw fail(entry, "\(what) must be a list of strings") }
        var result: [String] = []
        for item in array {
            guard let text = item.stringValue else { throw fail(entry, "\(what) must be a list of strings") }
            result.append(text)
        }
        return result
    }

    func choice(_ object: JSONObject, _ key: String, _ entry: String, among allowed: [String]) throws(SuiteError) -> String? {
        guard let text = try string(object, key, entry, required: false) else { return nil }
        guard allowed.contains(text) else {
            let hint = EditDistance.closest(to: text, among: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw fail(entry, "\"\(key)\" is \"\(text)\"\(hint); expected one of \(allowed.joined(separator: ", "))")
        }
        return text
    }

    /// A vocabulary key or path: a path (with `/` or ending `.json`) resolves against the suite's
    /// folder; anything else is a bundled key.
    func vocabulary(_ reference: String, _ entry: String?) throws(SuiteError) -> Vocabulary {
        let looksLikePath = reference.contains("/") || reference.hasSuffix(".json")
        do {
            if looksLikePath { return try Vocabulary.load(path: resolve(reference)) }
            guard Vocabulary.bundledKey(matching: reference) != nil else {
                let hint = Vocabulary.closestBundledKey(to: reference).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw fail(entry, "unknown vocabulary \"\(reference)\"\(hint); bundled: \(Vocabulary.bundledKeys.joined(separator: ", "))")
            }
            return try Vocabulary.load(key: reference)
        } catch let error as SuiteError {
            throw error
        } catch {
            throw fail(entry, "vocabulary \"\(reference)\": \(error)")
        }
    }

    mutating func suite(_ root: JSONValue, sha256: String) throws(SuiteError) -> SuiteFile {
        guard let top = root.objectValue else { throw fail(nil, "expected a JSON object (see docs/suites.md)") }
        try checkKeys(top, allowed: SuiteFile.topKeys, entry: nil)
        if let schema = try string(top, "schema", nil, required: false), schema != SuiteFile.schemaTag {
            throw fail(nil, "\"schema\" is \"\(schema)\"; a suite file's is \"\(SuiteFile.schemaTag)\"")
        }
        guard let version = top["schema_version"], !version.isNull else {
            throw fail(nil, "\"schema_version\" is missing (this ovseg reads version \(SuiteFile.schemaVersion))")
        }
        guard version.intValue == SuiteFile.schemaVersion else {
            let shown = version.intValue.map(String.init)
                ?? JSONCodec.serialize(version, pretty: false).trimmingCharacters(in: .whitespacesAndNewlines)
            throw fail(nil, "\"schema_version\" is \(shown); this ovseg reads version \(SuiteFile.schemaVersion)")
        }
        let name = try string(top, "name", nil, required: true) ?? ""
        let trainingReference = try string(top, "training_vocabulary", nil, required: true) ?? ""
        let training = try vocabulary(trainingReference, "training_vocabulary")
        var presence = PresencePolicy.unionPresent
        if let text = try choice(top, "presence_policy", "presence_policy", among: PresencePolicy.allCases.map(\.rawValue)),
           let policy = PresencePolicy(rawValue: text) {
            presence = policy
        }
        guard let datasetList = top["datasets"]?.arrayValue, !datasetList.isEmpty else {
            throw fail("datasets", "expected a non-empty list of test datasets")
        }
        var datasets: [SuiteDataset] = []
        for (index, value) in datasetList.enumerated() {
            let dataset = try self.dataset(value, index: index, training: training)
            if let earlier = datasets.firstIndex(where: { $0.key == dataset.key }) {
                throw fail(Self.entry("datasets", index, dataset.key), "key \"\(dataset.key)\" is already used by datasets[\(earlier)]")
            }
            datasets.append(dataset)
        }
        guard let methodList = top["methods"]?.arrayValue, !methodList.isEmpty else {
            throw fail("methods", "expected a non-empty list of methods")
        }
        var methods: [SuiteMethod] = []
        for (index, value) in methodList.enumerated() {
            let method = try self.method(value, index: index, datasets: datasets)
            let entry = Self.entry("methods", index, method.name)
            if let earlier = methods.firstIndex(where: { $0.name == method.name }) {
                throw fail(entry, "name \"\(method.name)\" is already used by methods[\(earlier)]")
            }
            if let earlier = methods.firstIndex(where: { $0.slug == method.slug }) {
                throw fail(entry, "name \"\(method.name)\" gives the same file name (\(method.slug)) as methods[\(earlier)] (\"\(methods[earlier].name)\"); rename one")
            }
            methods.append(method)
        }
        return SuiteFile(
            path: file, sha256: sha256, name: name, trainingVocabularyReference: trainingReference,
            trainingVocabulary: training, presence: presence, datasets: datasets, methods: methods)
    }

    func dataset(_ value: JSONValue, index: Int, training: Vocabulary) throws(SuiteError) -> SuiteDataset {
        var entry = Self.entry("datasets", index, nil)
        let object = try self.object(value, entry)
        let key = try string(object, "key", entry, required: true) ?? ""
        entry = Self.entry("datasets", index, key)
        guard key.unicodeScalars.allSatisfy({ ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "-_.".unicodeScalars.contains($0) }),
              !key.hasPrefix(".")
        else {
            throw fail(entry, "key \"\(key)\" names the cell files: use letters, digits, '-', '_' and '.' (not first)")
        }
        try checkKeys(object, allowed: SuiteFile.datasetKeys, entry: entry)
        let reference = try string(object, "vocabulary", entry, required: true) ?? ""
        let vocabulary = try self.vocabulary(reference, entry)
        let title = try string(object, "title", entry, required: false) ?? vocabulary.name

        // Where the data lies: gt, or data (+ layout, subset, eroded_boundary).
        let gt = try string(object, "gt", entry, required: false)
        let data = try string(object, "data", entry, required: false)
        let layout = try string(object, "layout", entry, required: false)
        let subset = try string(object, "subset", entry, required: false)
        let eroded: Bool
        switch object["eroded_boundary"] {
        case nil, .null?: eroded = false
        case .bool(let flag)?: eroded = flag
        default: throw fail(entry, "\"eroded_boundary\" must be true or false")
        }
        let location: DatasetLocation
        switch (gt, data) {
        case (let gt?, nil):
            if layout != nil || subset != nil || eroded {
                throw fail(entry, "\"layout\", \"subset\" and \"eroded_boundary\" go with \"data\", not \"gt\"")
            }
            location = .groundTruth(resolve(gt))
        case (nil, let data?):
            if let layout {
                guard vocabulary.layouts.contains(where: { $0.name == layout }) else {
                    let names = vocabulary.layouts.map(\.name)
                    let hint = EditDistance.closest(to: layout, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
                    throw fail(entry, "vocabulary \(vocabulary.key) has no layout \"\(layout)\"\(hint); its layouts: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
                }
                location = .layout(root: resolve(data), layout: layout, subset: subset, erodedBoundary: eroded)
            } else {
                if subset != nil || eroded { throw fail(entry, "\"subset\" and \"eroded_boundary\" need \"layout\"") }
                location = .data(resolve(data))
            }
        case (nil, nil):
            throw fail(entry, "give the ground truth as \"gt\" (a folder of label maps) or \"data\" (images/ and gt/, or a release with \"layout\")")
        case (_?, _?):
            throw fail(entry, "give \"gt\" or \"data\", not both")
        }

        // Encoding overrides.
        var override = EncodingOverride()
        if let value = object["encoding"], !value.isNull {
            let encodingEntry = entry + ".encoding"
            let encoding = try self.object(value, encodingEntry)
            try checkKeys(encoding, allowed: SuiteFile.encodingKeys, entry: encodingEntry)
            switch encoding["reduce_zero_label"] {
            case nil, .null?: break
            case .bool(let flag)?: override.reduceZeroLabel = flag
            default: throw fail(encodingEntry, "\"reduce_zero_label\" must be true or false")
            }
            if let values = encoding["ignore"], !values.isNull {
                guard let array = values.arrayValue else { throw fail(encodingEntry, "\"ignore\" must be a list of integers") }
                var ignore: [Int] = []
                for item in array {
                    guard let number = item.intValue else { throw fail(encodingEntry, "\"ignore\" must be a list of integers") }
                    ignore.append(number)
                }
                override.ignoreValues = ignore
            }
            if let values = encoding["ignore_colors"], !values.isNull {
                guard let array = values.arrayValue else { throw fail(encodingEntry, "\"ignore_colors\" must be a list of [R, G, B]") }
                var colors: [RGB] = []
                for item in array {
                    let parts = item.arrayValue?.compactMap { $0.intValue.flatMap(UInt8.init(exactly:)) } ?? []
                    guard parts.count == 3, item.arrayValue?.count == 3 else {
                        throw fail(encodingEntry, "\"ignore_colors\" must be a list of [R, G, B] with each part 0–255")
                    }
                    colors.append(RGB(parts[0], parts[1], parts[2]))
                }
                override.ignoreColors = colors
            }
            if let text = try choice(encoding, "label_format", encodingEntry, among: LabelFormat.allCases.map(\.rawValue)) {
                override.labelFormat = LabelFormat(rawValue: text)
            }
        }
        let effective: EffectiveEncoding
        do {
            effective = try vocabulary.effectiveEncoding(override)
        } catch {
            throw fail(entry + ".encoding", error.problem)
        }

        // The split: derived, or given.
        let overlap = VocabularyOverlap(training: training, test: vocabulary)
        var explicit: ClassSplit?
        if let value = object["split"], !value.isNull {
            let splitEntry = entry + ".split"
            let split = try self.object(value, splitEntry)
            try checkKeys(split, allowed: ["seen", "unseen"], entry: splitEntry)
            guard let seen = split["seen"], let unseen = split["unseen"] else {
                throw fail(splitEntry, "give both \"seen\" and \"unseen\" (lists of class names of \(vocabulary.key))")
            }
            do {
                var given = try vocabulary.split(
                    seen: try strings(seen, "\"seen\"", splitEntry), unseen: try strings(unseen, "\"unseen\"", splitEntry),
                    name: "suite")
                given.source = "given in the suite file \((file as NSString).lastPathComponent)"
                explicit = given
            } catch let error as SuiteError {
                throw error
            } catch let error as VocabularyError {
                throw fail(splitEntry + (error.entry.map { ".\($0)" } ?? ""), error.problem)
            } catch {
                throw fail(splitEntry, "\(error)")
            }
        }
        return SuiteDataset(
            key: key, title: title, vocabularyReference: reference, vocabulary: vocabulary, location: location,
            encodingOverride: override, encoding: effective, overlap: overlap, explicitSplit: explicit)
    }

    func method(_ value: JSONValue, index: Int, datasets: [SuiteDataset]) throws(SuiteError) -> SuiteMethod {
        var entry = Self.entry("methods", index, nil)
        let object = try self.object(value, entry)
        let name = try string(object, "name", entry, required: true) ?? ""
        entry = Self.entry("methods", index, name)
        try checkKeys(object, allowed: SuiteFile.methodKeys, entry: entry)
        let source: SuiteMethod.Source
        switch (object["predictions"], object["checkpoint"]) {
        case (let predictions?, nil):
            if object["eval"] != nil { throw fail(entry, "\"eval\" settings go with \"checkpoint\", not \"predictions\"") }
            let predictionEntry = entry + ".predictions"
            let folders = try self.object(predictions, predictionEntry)
            var resolved: [String: String] = [:]
            for (key, folder) in folders {
                guard datasets.contains(where: { $0.key == key }) else {
                    let keys = datasets.map(\.key)
                    let hint = EditDistance.closest(to: key, among: keys).map { " (did you mean \"\($0)\"?)" } ?? ""
                    throw fail(predictionEntry, "no dataset has the key \"\(key)\"\(hint); dataset keys: \(keys.joined(separator: ", "))")
                }
                guard let path = folder.stringValue, !path.isEmpty else {
                    throw fail(predictionEntry + ".\(key)", "expected the path of a prediction folder")
                }
                resolved[key] = resolve(path)
            }
            if let missing = datasets.first(where: { resolved[$0.key] == nil }) {
                throw fail(predictionEntry, "no prediction folder for dataset \"\(missing.key)\"; every method covers every dataset")
            }
            source = .predictions(resolved)
        case (nil, let checkpoint?):
            guard let path = checkpoint.stringValue, !path.isEmpty else { throw fail(entry, "\"checkpoint\" must be a path") }
            if object["prediction_encoding"] != nil {
                throw fail(entry, "\"prediction_encoding\" goes with \"predictions\": a model's predictions are class ids")
            }
            if let needsImages = datasets.first(where: { !$0.location.hasImages }) {
                throw fail(entry, "a checkpoint needs images, but dataset \"\(needsImages.key)\" gives only \"gt\"; give it as \"data\" (images/ and gt/, or a release with \"layout\")")
            }
            var settings = CheckpointSettings()
            if let value = object["eval"], !value.isNull {
                settings = try checkpointSettings(value, entry + ".eval")
            }
            source = .checkpoint(resolve(path), settings)
        case (nil, nil):
            throw fail(entry, "give \"predictions\" (a folder per dataset key) or \"checkpoint\"")
        case (_?, _?):
            throw fail(entry, "give \"predictions\" or \"checkpoint\", not both")
        }
        var encoding = PredictionEncoding.classIDs
        if let value = object["prediction_encoding"], !value.isNull {
            switch value {
            case .string("class-ids"): encoding = .classIDs
            case .string("reduce-zero-label"): encoding = .reduceZeroLabel
            case .object(let offset) where offset.keys == ["offset"]:
                guard let n = offset["offset"]?.intValue, (0...65_535).contains(n) else {
                    throw fail(entry + ".prediction_encoding", "\"offset\" must be an integer from 0 to 65535")
                }
                encoding = .offset(n)
            default:
                throw fail(entry + ".prediction_encoding", "expected \"class-ids\", \"reduce-zero-label\" or {\"offset\": N}")
            }
        }
        return SuiteMethod(name: name, slug: SuiteMethod.slug(name), source: source, predictionEncoding: encoding.normalized)
    }

    func checkpointSettings(_ value: JSONValue, _ entry: String) throws(SuiteError) -> CheckpointSettings {
        let object = try self.object(value, entry)
        try checkKeys(object, allowed: CheckpointSettings.keys, entry: entry)
        var settings = CheckpointSettings()
        settings.mode = try choice(object, "mode", entry, among: CheckpointSettings.modes)
        settings.inference = try choice(object, "inference", entry, among: CheckpointSettings.inferences)
        settings.arithmetic = try choice(object, "arithmetic", entry, among: CheckpointSettings.arithmetics)
        settings.attention = try choice(object, "attention", entry, among: CheckpointSettings.attentions)
        settings.pooling = try int(object, "pooling", entry, range: 1...2)
        settings.crop = try int(object, "crop", entry, range: 1...65_536)
        settings.stride = try int(object, "stride", entry, range: 1...65_536)
        settings.background = try string(object, "background", entry, required: false)
        if let templates = object["templates"], !templates.isNull {
            settings.templates = try strings(templates, "\"templates\"", entry)
            for template in settings.templates where template.components(separatedBy: "{}").count != 2 {
                throw fail(entry, "template \"\(template)\" must hold exactly one {} where the class name goes")
            }
        }
        if let threshold = object["threshold"], !threshold.isNull {
            guard let number = threshold.doubleValue, number.isFinite else { throw fail(entry, "\"threshold\" must be a number") }
            settings.threshold = number
        }
        for (key, path) in [("shortest_edge", \CheckpointSettings.shortestEdge), ("long_side", \CheckpointSettings.longSide)] {
            guard let value = object[key], !value.isNull else { continue }
            if value.stringValue == "none" {
                settings[keyPath: path] = 0
            } else if let pixels = value.intValue, (1...65_536).contains(pixels) {
                settings[keyPath: path] = pixels
            } else {
                throw fail(entry, "\"\(key)\" must be a size in pixels or \"none\"")
            }
        }
        let trainingFreeOnly = [("attention", settings.attention != nil), ("threshold", settings.threshold != nil),
                                ("background", settings.background != nil), ("long_side", settings.longSide != nil),
                                ("crop", settings.crop != nil), ("stride", settings.stride != nil)].filter(\.1).map(\.0)
        let segmenterOnly = [("inference", settings.inference != nil), ("pooling", settings.pooling != nil),
                             ("shortest_edge", settings.shortestEdge != nil)].filter(\.1).map(\.0)
        if settings.mode == "training-free", let first = segmenterOnly.first {
            throw fail(entry, "\"\(first)\" does not apply to mode training-free")
        }
        if let mode = settings.mode, mode == "sgseg" || mode == "catseg", let first = trainingFreeOnly.first {
            throw fail(entry, "\"\(first)\" applies to mode training-free, not \(mode)")
        }
        return settings
    }
}
