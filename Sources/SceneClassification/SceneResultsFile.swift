import FileOutput
import Harness
import JSON
import Metrics
import Vocabulary

/// Reads and writes scene-classification results files (schema `ovseg-scene-results/1`, kind
/// `scene-classification`, docs/scene-classification.md §4). Every figure is written for other
/// readers and recomputed from the per-image records on reading; the stored confusion matrix
/// must agree with them.
public enum SceneResultsFile {
    /// The conventions written into every file, so a reader knows them without the docs.
    public static let conventions: [(String, String)] = [
        ("labels", "a class name or synonym (ignoring case), else a class id 0..K-1"),
        ("ranking", "per-class scores sorted descending, ties to the lower class index; ranked lists as given"),
        ("top5", "share of images whose true class is among the first five ranked; absent when a prediction ranks fewer than min(5, K) classes"),
        ("zero_division", "scikit-learn's default: precision 0 for a class never predicted, recall 0 for a class without support, F1 = 2TP/(2TP+FP+FN), 0 when that is 0/0"),
        ("averages", "macro: unweighted mean over classes present in the labels or the predictions; weighted: by support"),
        ("seen_unseen", "accuracy over images whose true class is seen / unseen (any class may be predicted); harmonic mean 2SU/(S+U)"),
    ]

    /// Writes `record` to `path` atomically.
    public static func write(_ record: SceneRunRecord, to path: String) throws(SceneClassificationError) {
        do {
            try JSONCodec.write(encode(record), to: path)
        } catch {
            throw SceneClassificationError(.resultsFile, "\(path): \(error)")
        }
    }

    /// Reads and checks a scene results file.
    public static func read(path: String) throws(SceneClassificationError) -> SceneRunRecord {
        let document: JSONValue
        do {
            document = try JSONCodec.read(path: path)
        } catch {
            throw SceneClassificationError(.resultsFile, error.description)
        }
        return try decode(document, source: path)
    }

    /// True when `document` is a scene results file (its `schema` or `kind` says so).
    public static func isSceneClassification(_ document: JSONValue) -> Bool {
        document["schema"]?.stringValue == SceneRunRecord.schema || document["kind"]?.stringValue == SceneRunRecord.kind
    }

    public static func encode(_ record: SceneRunRecord) -> JSONValue {
        let scores = record.scores
        let names = record.classNames
        var root = JSONObject()
        root["schema"] = .string(SceneRunRecord.schema)
        root["kind"] = .string(SceneRunRecord.kind)
        root["method"] = .string(record.method)
        root["vocabulary"] = .object(JSONObject([
            ("key", .string(record.vocabularyKey)), ("name", .string(record.vocabularyName)),
            ("fingerprint", .string(record.vocabularyFingerprint)), ("classes", .array(names.map { .string($0) })),
        ]))
        if let split = record.split {
            root["split"] = .object(JSONObject([
                ("name", .string(split.name)), ("seen", .array(split.seen.map { .string($0) })),
                ("unseen", .array(split.unseen.map { .string($0) })), ("source", split.source.map { .string($0) } ?? .null),
            ]))
        } else {
            root["split"] = .null
        }
        root["labels"] = .object(JSONObject([
            ("path", .string(record.labelsPath)), ("format", .string(record.labelsFormat)),
            ("file_sha256", .string(record.labelsFileSHA256)), ("fingerprint", .string(record.labelsFingerprint)),
            ("images", .int(Int64(record.samples.count))),
        ]))
        root["predictions"] = .object(JSONObject([
            ("path", .string(record.predictionsPath)), ("format", .string(record.predictionsFormat)),
            ("file_sha256", .string(record.predictionsFileSHA256)), ("fingerprint", .string(record.predictionsFingerprint)),
            ("fewest_ranked", .int(Int64(record.minimumRankedCount))),
        ]))
        root["conventions"] = .object(JSONObject(conventions.map { ($0.0, JSONValue.string($0.1)) }))
        root["metrics"] = .object(JSONObject([
            ("images", .count(scores.images)), ("accuracy", .number(scores.accuracy)), ("top5_accuracy", .number(scores.top5)),
            ("macro_precision", .number(scores.macroPrecision)), ("macro_recall", .number(scores.macroRecall)),
            ("macro_f1", .number(scores.macroF1)), ("weighted_precision", .number(scores.weightedPrecision)),
            ("weighted_recall", .number(scores.weightedRecall)), ("weighted_f1", .number(scores.weightedF1)),
            ("seen_accuracy", .number(scores.seenAccuracy)), ("unseen_accuracy", .number(scores.unseenAccuracy)),
            ("harmonic_mean", .number(scores.harmonicMean)),
        ]))
        root["classes"] = .array(scores.classes.enumerated().map { index, figures in
            .object(JSONObject([
                ("id", .int(Int64(index))), ("name", .string(names[index])), ("support", .count(figures.support)),
                ("predicted", .count(figures.predicted)), ("true_positives", .count(figures.truePositives)),
                ("precision", .number(figures.precision)), ("recall", .number(figures.recall)), ("f1", .number(figures.f1)),
            ]))
        })
        root["confusion_matrix"] = .object(JSONObject([
            ("rows", .string("true class, in vocabulary order")), ("columns", .string("predicted class, in vocabulary order")),
            ("counts", .array((0..<record.classCount).map { row in
                .array((0..<record.classCount).map { .count(scores.count(truth: row, predicted: $0)) })
            })),
        ]))
        root["images"] = .array(record.samples.map { sample in
            .object(JSONObject([
                ("image", .string(sample.image)), ("label", .string(names[sample.truth])),
                ("prediction", .string(names[sample.prediction])), ("rank", sample.rank.map { .int(Int64($0)) } ?? .null),
                ("ranked", .int(Int64(sample.rankedCount))), ("top", .array(sample.top.map { .string(names[$0]) })),
            ]))
        })
        root["provenance"] = record.provenance.taskJSON
        return .object(root)
    }

    public static func decode(_ document: JSONValue, source: String) throws(SceneClassificationError) -> SceneRunRecord {
        func fail(_ message: String) -> SceneClassificationError { SceneClassificationError(.resultsFile, "\(source): \(message)") }
        guard let root = document.objectValue else { throw fail("the top level is not an object") }
        let schema = root["schema"]?.stringValue ?? "(none)"
        guard schema == SceneRunRecord.schema else {
            throw fail("schema is \"\(schema)\"; a scene-classification results file has \"\(SceneRunRecord.schema)\"")
        }
        func object(_ value: JSONValue?, _ key: String) throws(SceneClassificationError) -> JSONObject {
            guard let object = value?.objectValue else { throw fail("\(key) is missing or not an object") }
            return object
        }
        func string(_ value: JSONValue?, _ key: String) throws(SceneClassificationError) -> String {
            guard let text = value?.stringValue else { throw fail("\(key) is missing or not a string") }
            return text
        }
        func strings(_ value: JSONValue?, _ key: String) throws(SceneClassificationError) -> [String] {
            guard let items = value?.arrayValue else { throw fail("\(key) is missing or not a list") }
            var result: [String] = []
            for item in items {
                guard let text = item.stringValue else { throw fail("\(key) holds a non-string") }
                result.append(text)
            }
            return result
        }
        let vocabulary = try object(root["vocabulary"], "vocabulary")
        let names = try strings(vocabulary["classes"], "vocabulary.classes")
        guard !names.isEmpty, Set(names).count == names.count else { throw fail("vocabulary.classes is empty or repeats a name") }
        let ids = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        func classID(_ name: String, _ key: String) throws(SceneClassificationError) -> Int {
            guard let id = ids[name] else { throw fail("\(key): '\(name)' is not one of vocabulary.classes") }
            return id
        }
        var split: ClassSplit?
        if let value = root["split"], !value.isNull {
            let item = try object(value, "split")
            let seen = try strings(item["seen"], "split.seen"), unseen = try strings(item["unseen"], "split.unseen")
            var seenIDs: [Int] = [], unseenIDs: [Int] = []
            for name in seen { seenIDs.append(try classID(name, "split.seen")) }
            for name in unseen { unseenIDs.append(try classID(name, "split.unseen")) }
            split = ClassSplit(
                name: try string(item["name"], "split.name"), seen: seen, unseen: unseen, seenIDs: seenIDs, unseenIDs: unseenIDs,
                source: item["source"]?.stringValue, inferred: false)
        }
        let labels = try object(root["labels"], "labels")
        let predictions = try object(root["predictions"], "predictions")
        guard let imageValues = root["images"]?.arrayValue, !imageValues.isEmpty else { throw fail("images is missing or empty") }
        var samples: [SceneSample] = []
        var seenImages = Set<String>()
        for (index, value) in imageValues.enumerated() {
            let key = "images[\(index)]"
            let item = try object(value, key)
            let image = try string(item["image"], key + ".image")
            guard seenImages.insert(image).inserted else { throw fail("image '\(image)' occurs twice") }
            let truth = try classID(try string(item["label"], key + ".label"), key + ".label")
            let prediction = try classID(try string(item["prediction"], key + ".prediction"), key + ".prediction")
            guard let ranked = item["ranked"]?.intValue, ranked >= 1, ranked <= names.count else {
                throw fail("\(key).ranked is missing or not 1…\(names.count)")
            }
            var top: [Int] = []
            for name in try strings(item["top"], key + ".top") { top.append(try classID(name, key + ".top")) }
            var rank: Int?
            if let rankValue = item["rank"], !rankValue.isNull {
                guard let value = rankValue.intValue, value >= 1, value <= ranked else { throw fail("\(key).rank is not 1…\(ranked) or null") }
                rank = value
            }
            guard top.first == prediction, top.count == min(ranked, SceneScores.listedRanks),
                (rank == 1) == (truth == prediction), rank.map({ $0 > top.count || top[$0 - 1] == truth }) ?? !top.contains(truth)
            else {
                throw fail("\(key) (image '\(image)'): label, prediction, rank and top disagree")
            }
            samples.append(SceneSample(image: image, truth: truth, prediction: prediction, rank: rank, rankedCount: ranked, top: top))
        }
        let provenance: Provenance
        do {
            provenance = try Provenance(taskJSON: root["provenance"])
        } catch {
            throw fail(error.description)
        }
        let record = SceneRunRecord(
            method: try string(root["method"], "method"), vocabularyKey: try string(vocabulary["key"], "vocabulary.key"),
            vocabularyName: try string(vocabulary["name"], "vocabulary.name"),
            vocabularyFingerprint: try string(vocabulary["fingerprint"], "vocabulary.fingerprint"), classNames: names, split: split,
            labelsPath: try string(labels["path"], "labels.path"), labelsFormat: try string(labels["format"], "labels.format"),
            labelsFileSHA256: try string(labels["file_sha256"], "labels.file_sha256"),
            predictionsPath: try string(predictions["path"], "predictions.path"),
            predictionsFormat: try string(predictions["format"], "predictions.format"),
            predictionsFileSHA256: try string(predictions["file_sha256"], "predictions.file_sha256"), samples: samples,
            provenance: provenance)
        // The stored matrix must be the one the images give (a hand-edited file is refused).
        if let rows = root["confusion_matrix"]?["counts"]?.arrayValue {
            let scores = record.scores
            guard rows.count == names.count else { throw fail("confusion_matrix.counts has \(rows.count) rows; expected \(names.count)") }
            for (row, value) in rows.enumerated() {
                guard let cells = value.arrayValue, cells.count == names.count else { throw fail("confusion_matrix.counts[\(row)] is not \(names.count) counts") }
                for (column, cell) in cells.enumerated() where cell.uint64Value != scores.count(truth: row, predicted: column) {
                    throw fail("confusion_matrix.counts[\(row)][\(column)] is \(JSONCodec.serialize(cell, pretty: false)) but the images give "
                        + "\(scores.count(truth: row, predicted: column)) (\(names[row]) → \(names[column]))")
                }
            }
        }
        return record
    }
}
