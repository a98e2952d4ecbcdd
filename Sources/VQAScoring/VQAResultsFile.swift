import Harness
import JSON
import Metrics

/// Reads and writes VQA results files (schema `ovseg-vqa-results/1`, docs/vqa.md §5). Every derived
/// figure is written for other readers and recomputed from the per-question records on reading.
public enum VQAResultsFile {
    /// Writes `record` to `path` atomically (`FileOutput`'s `AtomicFile`, through `JSONCodec`).
    public static func write(_ record: VQARunRecord, to path: String) throws(VQAError) {
        do {
            try JSONCodec.write(encode(record), to: path)
        } catch {
            throw VQAError(.resultsFile, "\(path): \(error)")
        }
    }

    /// Reads and checks a VQA results file.
    public static func read(path: String) throws(VQAError) -> VQARunRecord {
        let document: JSONValue
        do {
            document = try JSONCodec.read(path: path)
        } catch {
            throw VQAError(.resultsFile, error.description)
        }
        return try decode(document, source: path)
    }

    /// True when `document` is a VQA results file (its `schema` or `kind` says so).
    public static func isVQA(_ document: JSONValue) -> Bool {
        document["schema"]?.stringValue == VQARunRecord.schema || document["kind"]?.stringValue == VQARunRecord.kind
    }

    // MARK: - Encoding

    public static func encode(_ record: VQARunRecord) -> JSONValue {
        let scores = record.scores
        let normalizer = record.policy.normalizer
        var root = JSONObject()
        root["schema"] = .string(VQARunRecord.schema)
        root["kind"] = .string(VQARunRecord.kind)
        root["method"] = .string(record.method)
        root["ground_truth"] = .object(JSONObject([
            ("paths", .array(record.groundTruthPaths.map { .string($0) })),
            ("format", .string(record.groundTruthFormat)),
            ("files_sha256", .array(record.groundTruthFileSHA256.map { .string($0) })),
            ("fingerprint", .string(record.groundTruthFingerprint)),
            ("fingerprint_definition", .string("SHA-256 over the sorted lines id<TAB>type<TAB>answer (answers as written)")),
            ("questions", .int(Int64(record.questions.count))),
        ]))
        root["predictions"] = .object(JSONObject([
            ("path", .string(record.predictionPath)),
            ("format", .string(record.predictionFormat)),
            ("file_sha256", .string(record.predictionFileSHA256)),
            ("fingerprint", .string(record.predictionsFingerprint)),
            ("fingerprint_definition", .string("SHA-256 over the sorted lines id<TAB>answer (answers as written)")),
            ("missing_predictions", .array(record.missingPredictions.map { .string($0) })),
        ]))
        root["policy"] = .object(JSONObject([
            ("normalization", .string(VQAPolicy.normalizationDefinition)),
            ("count_buckets", normalizer.countBuckets.map { .string($0.text) } ?? .null),
            ("area_buckets", normalizer.areaBuckets.map { .string($0.text) } ?? .null),
            ("missing_as_wrong", .bool(record.policy.missingAsWrong)),
            ("average_accuracy", .string("unweighted mean of the per-type accuracies")),
        ]))
        root["metrics"] = .object(JSONObject([
            ("questions", .int(Int64(scores.questions))),
            ("correct", .int(Int64(scores.correct))),
            ("overall_accuracy", .number(scores.overallAccuracy)),
            ("average_accuracy", .number(scores.averageAccuracy)),
        ]))
        root["display"] = .object(JSONObject([
            ("scale", .string("percent, 2 decimals, numpy rounding (np.round(x * 100, 2))")),
            ("overall_accuracy", .string(Percent.format(scores.overallAccuracy))),
            ("average_accuracy", .string(Percent.format(scores.averageAccuracy))),
        ] + scores.types.map { ("accuracy[\($0.type)]", JSONValue.string(Percent.format($0.accuracy))) }))
        root["types"] = .array(scores.types.map { item -> JSONValue in
            var entries: [(String, JSONValue)] = [
                ("type", .string(item.type)), ("questions", .int(Int64(item.questions))),
                ("correct", .int(Int64(item.correct))), ("accuracy", .number(item.accuracy)),
            ]
            if let confusion = item.confusion {
                entries.append(("confusion", .object(JSONObject([
                    ("rows", .string("reference answer")),
                    ("columns", .string("predicted answer; the last column: any other or missing prediction")),
                    ("labels", .array(confusion.labels.map { .string($0) })),
                    ("counts", .array(confusion.counts.map { row -> JSONValue in .array(row.map { JSONValue.int(Int64($0)) }) })),
                    ("other_references", .int(Int64(confusion.otherReferences))),
                ]))))
            }
            return .object(JSONObject(entries))
        })
        root["questions"] = .array(record.questions.map { item -> JSONValue in
            .object(JSONObject([
                ("id", .string(item.id)),
                ("image", .string(item.image)),
                ("type", .string(item.type)),
                ("question", .string(item.question)),
                ("answer", .string(item.answer)),
                ("answer_normalized", .string(item.answerNormalized)),
                ("prediction", item.prediction.map { .string($0) } ?? .null),
                ("prediction_normalized", item.predictionNormalized.map { .string($0) } ?? .null),
                ("correct", .bool(item.correct)),
            ]))
        })
        root["provenance"] = record.provenance.taskJSON
        return .object(root)
    }

    // MARK: - Decoding

    public static func decode(_ document: JSONValue, source: String) throws(VQAError) -> VQARunRecord {
        func fail(_ message: String) -> VQAError { VQAError(.resultsFile, "\(source): \(message)") }
        guard let root = document.objectValue else { throw fail("the top level is not an object") }
        let schema = root["schema"]?.stringValue ?? "(none)"
        guard schema == VQARunRecord.schema else {
            throw fail("schema is \"\(schema)\"; a VQA results file has \"\(VQARunRecord.schema)\"")
        }
        func object(_ value: JSONValue?, _ key: String) throws(VQAError) -> JSONObject {
            guard let object = value?.objectValue else { throw fail("\(key) is missing or not an object") }
            return object
        }
        func string(_ value: JSONValue?, _ key: String) throws(VQAError) -> String {
            guard let text = value?.stringValue else { throw fail("\(key) is missing or not a string") }
            return text
        }
        func optionalString(_ value: JSONValue?, _ key: String) throws(VQAError) -> String? {
            guard let value, !value.isNull else { return nil }
            return try string(value, key)
        }
        func strings(_ value: JSONValue?, _ key: String) throws(VQAError) -> [String] {
            guard let items = value?.arrayValue else { throw fail("\(key) is missing or not a list") }
            var result: [String] = []
            for item in items {
                guard let text = item.stringValue else { throw fail("\(key) holds a non-string") }
                result.append(text)
            }
            return result
        }
        func buckets(_ value: JSONValue?, _ key: String) throws(VQAError) -> BucketEdges? {
            guard let text = try optionalString(value, key) else { return nil }
            do {
                return try BucketEdges.parse(text, option: key)
            } catch {
                throw fail(error.description)
            }
        }
        let groundTruth = try object(root["ground_truth"], "ground_truth")
        let predictions = try object(root["predictions"], "predictions")
        let policyObject = try object(root["policy"], "policy")
        guard let missingAsWrong = policyObject["missing_as_wrong"]?.boolValue else {
            throw fail("policy.missing_as_wrong is missing or not a boolean")
        }
        let policy = VQAPolicy(
            normalizer: AnswerNormalizer(
                countBuckets: try buckets(policyObject["count_buckets"], "policy.count_buckets"),
                areaBuckets: try buckets(policyObject["area_buckets"], "policy.area_buckets")),
            missingAsWrong: missingAsWrong)
        guard let questionValues = root["questions"]?.arrayValue, !questionValues.isEmpty else {
            throw fail("questions is missing or empty")
        }
        let missing = try strings(predictions["missing_predictions"], "predictions.missing_predictions")
        let missingSet = Set(missing)
        var questions: [VQAQuestionRecord] = []
        var seen: Set<String> = []
        for (index, value) in questionValues.enumerated() {
            let key = "questions[\(index)]"
            let item = try object(value, key)
            let id = try string(item["id"], key + ".id")
            guard seen.insert(id).inserted else { throw fail("question \"\(id)\" occurs twice") }
            let record = VQAQuestionRecord(
                id: id, image: try string(item["image"], key + ".image"), type: try string(item["type"], key + ".type"),
                question: try string(item["question"], key + ".question"), answer: try string(item["answer"], key + ".answer"),
                answerNormalized: try string(item["answer_normalized"], key + ".answer_normalized"),
                prediction: try optionalString(item["prediction"], key + ".prediction"),
                predictionNormalized: try optionalString(item["prediction_normalized"], key + ".prediction_normalized"))
            guard (record.prediction == nil) == (record.predictionNormalized == nil) else {
                throw fail("question \"\(id)\": prediction and prediction_normalized must both be null or both be strings")
            }
            guard (record.prediction == nil) == missingSet.contains(id) else {
                throw fail("question \"\(id)\": a null prediction must be listed in predictions.missing_predictions, and only then")
            }
            if let stored = item["correct"]?.boolValue, stored != record.correct {
                throw fail("question \"\(id)\": correct is \(stored) but the normalised answers say \(record.correct)")
            }
            questions.append(record)
        }
        if !missing.isEmpty && !missingAsWrong {
            throw fail("predictions.missing_predictions lists \(missing.count) questions but policy.missing_as_wrong is false")
        }
        let provenance: Provenance
        do {
            provenance = try Provenance(taskJSON: root["provenance"])
        } catch {
            throw fail(error.description)
        }
        return VQARunRecord(
            method: try string(root["method"], "method"),
            groundTruthPaths: try strings(groundTruth["paths"], "ground_truth.paths"),
            groundTruthFormat: try string(groundTruth["format"], "ground_truth.format"),
            groundTruthFileSHA256: try strings(groundTruth["files_sha256"], "ground_truth.files_sha256"),
            groundTruthFingerprint: try string(groundTruth["fingerprint"], "ground_truth.fingerprint"),
            predictionPath: try string(predictions["path"], "predictions.path"),
            predictionFormat: try string(predictions["format"], "predictions.format"),
            predictionFileSHA256: try string(predictions["file_sha256"], "predictions.file_sha256"),
            predictionsFingerprint: try string(predictions["fingerprint"], "predictions.fingerprint"),
            policy: policy, missingPredictions: missing, questions: questions, provenance: provenance)
    }
}
