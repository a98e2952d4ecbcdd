import Harness
import JSON
import Metrics

/// Reads and writes referring results files (schema `ovseg-refer-results/1`, docs/referring.md §6).
/// Like `ResultsFile`, every derived figure is written for other readers and recomputed from the
/// per-sample counts on reading.
public enum ReferringResultsFile {
    /// Writes `record` to `path` atomically (`FileOutput`'s `AtomicFile`, through `JSONCodec`).
    public static func write(_ record: ReferringRunRecord, to path: String) throws(ReferringError) {
        do {
            try JSONCodec.write(encode(record), to: path)
        } catch {
            throw ReferringError(.resultsFile, "\(path): \(error)")
        }
    }

    /// Reads and checks a referring results file.
    public static func read(path: String) throws(ReferringError) -> ReferringRunRecord {
        let document: JSONValue
        do {
            document = try JSONCodec.read(path: path)
        } catch {
            throw ReferringError(.resultsFile, error.description)
        }
        return try decode(document, source: path)
    }

    /// True when `document` is a referring results file (its `schema` or `kind` says so).
    public static func isReferring(_ document: JSONValue) -> Bool {
        document["schema"]?.stringValue == ReferringRunRecord.schema
            || document["kind"]?.stringValue == ReferringRunRecord.kind
    }

    // MARK: - Encoding

    static func encode(_ scores: ReferringScores) -> [(String, JSONValue)] {
        [
            ("samples", .int(Int64(scores.samples))),
            ("ciou", .number(scores.ciou)),
            ("giou", .number(scores.giou)),
            ("precision", .object(JSONObject(scores.precision.map { ($0.label, JSONValue.number($0.value)) }))),
            ("cumulative_intersection", .count(scores.cumulativeIntersection)),
            ("cumulative_union", .count(scores.cumulativeUnion)),
            ("empty_targets", .int(Int64(scores.emptyTargets))),
            ("empty_targets_predicted_empty", .int(Int64(scores.emptyTargetsPredictedEmpty))),
        ]
    }

    public static func encode(_ record: ReferringRunRecord) -> JSONValue {
        let scores = record.scores
        var root = JSONObject()
        root["schema"] = .string(ReferringRunRecord.schema)
        root["kind"] = .string(ReferringRunRecord.kind)
        root["method"] = .string(record.method)
        root["annotations"] = .object(JSONObject([
            ("paths", .array(record.annotationPaths.map { .string($0) })),
            ("format", .string(record.annotationFormat)),
            ("files_sha256", .array(record.annotationFileSHA256.map { .string($0) })),
            ("fingerprint", .string(record.annotationsFingerprint)),
            ("fingerprint_definition", .string(
                "SHA-256 over the sorted lines id<TAB>target_sha256<TAB>SHA-256(text) (target_sha256: the decoded mask)")),
            ("samples", .int(Int64(record.samples.count))),
        ]))
        root["predictions"] = .object(JSONObject([
            ("path", .string(record.predictionPath)),
            ("format", .string(record.predictionFormat)),
            ("file_sha256", record.predictionFileSHA256.map { .string($0) } ?? .null),
            ("fingerprint", .string(record.predictionsFingerprint)),
            ("missing_predictions", .array(record.missingPredictions.map { .string($0) })),
        ]))
        root["policy"] = .object(JSONObject([
            ("precision_thresholds", .array(record.policy.precisionThresholds.map { .int(Int64($0)) })),
            ("size_thresholds", .array([.count(record.policy.sizeBuckets.smallBelow), .count(record.policy.sizeBuckets.mediumBelow)])),
            ("missing_as_empty", .bool(record.policy.missingAsEmpty)),
            ("empty_target", .string(ReferringPolicy.emptyTargetConvention)),
            ("pooling", .string("cIoU: intersections and unions summed over samples before dividing; gIoU: mean of per-sample IoU")),
        ]))
        if let shard = record.shard {
            root["shard"] = .object(JSONObject([
                ("indices", .array(shard.indices.map { .int(Int64($0)) })), ("count", .int(Int64(shard.count))),
                ("partial", .bool(shard.partial)),
            ]))
        } else {
            root["shard"] = .null
        }
        root["metrics"] = .object(JSONObject(encode(scores)))
        root["display"] = .object(JSONObject([
            ("scale", .string("percent, 2 decimals, numpy rounding (np.round(x * 100, 2))")),
            ("ciou", .string(Percent.format(scores.ciou))),
            ("giou", .string(Percent.format(scores.giou))),
        ] + scores.precision.map { ("prec@" + $0.label, JSONValue.string(Percent.format($0.value))) }))
        root["classes"] = .array(record.classScores.map { item in
            .object(JSONObject([("name", JSONValue.string(item.name))] + encode(item.scores)))
        })
        root["size_buckets"] = .array(record.sizeScores.map { item in
            .object(JSONObject([
                ("bucket", JSONValue.string(item.bucket)),
                ("definition", .string(record.policy.sizeBuckets.definition(of: item.bucket))),
            ] + encode(item.scores)))
        })
        root["samples"] = .array(record.samples.map { sample in
            .object(JSONObject([
                ("id", .string(sample.id)),
                ("image_id", .string(sample.imageID)),
                ("text", .string(sample.text)),
                ("class", sample.className.map { .string($0) } ?? .null),
                ("height", .int(Int64(sample.height))),
                ("width", .int(Int64(sample.width))),
                ("intersection", .count(sample.counts.intersection)),
                ("union", .count(sample.counts.union)),
                ("target", .count(sample.counts.target)),
                ("prediction", .count(sample.counts.prediction)),
                ("iou", .number(sample.counts.iou)),
                ("target_sha256", .string(sample.targetSHA256)),
                ("prediction_sha256", .string(sample.predictionSHA256)),
            ]))
        })
        root["provenance"] = record.provenance.taskJSON
        return .object(root)
    }

    // MARK: - Decoding

    public static func decode(_ document: JSONValue, source: String) throws(ReferringError) -> ReferringRunRecord {
        func fail(_ message: String) -> ReferringError { ReferringError(.resultsFile, "\(source): \(message)") }
        guard let root = document.objectValue else { throw fail("the top level is not an object") }
        let schema = root["schema"]?.stringValue ?? "(none)"
        guard schema == ReferringRunRecord.schema else {
            throw fail("schema is \"\(schema)\"; a referring results file has \"\(ReferringRunRecord.schema)\"")
        }
        func object(_ value: JSONValue?, _ key: String) throws(ReferringError) -> JSONObject {
            guard let object = value?.objectValue else { throw fail("\(key) is missing or not an object") }
            return object
        }
        func string(_ value: JSONValue?, _ key: String) throws(ReferringError) -> String {
            guard let text = value?.stringValue else { throw fail("\(key) is missing or not a string") }
            return text
        }
        func strings(_ value: JSONValue?, _ key: String) throws(ReferringError) -> [String] {
            guard let items = value?.arrayValue else { throw fail("\(key) is missing or not a list") }
            var result: [String] = []
            for item in items {
                guard let text = item.stringValue else { throw fail("\(key) holds a non-string") }
                result.append(text)
            }
            return result
        }
        func count(_ value: JSONValue?, _ key: String) throws(ReferringError) -> UInt64 {
            guard let number = value?.uint64Value else { throw fail("\(key) is missing or not a non-negative integer") }
            return number
        }
        let annotations = try object(root["annotations"], "annotations")
        let predictions = try object(root["predictions"], "predictions")
        let policyObject = try object(root["policy"], "policy")
        guard let thresholdValues = policyObject["precision_thresholds"]?.arrayValue else {
            throw fail("policy.precision_thresholds is missing")
        }
        var thresholds: [Int] = []
        for value in thresholdValues {
            guard let percent = value.intValue, (1...100).contains(percent) else {
                throw fail("policy.precision_thresholds holds \(JSONCodec.serialize(value, pretty: false)); expected integers 1…100")
            }
            thresholds.append(percent)
        }
        guard let sizes = policyObject["size_thresholds"]?.arrayValue, sizes.count == 2,
            let small = sizes[0].uint64Value, let medium = sizes[1].uint64Value, small >= 1, small < medium
        else { throw fail("policy.size_thresholds is not two increasing positive integers") }
        guard let missingAsEmpty = policyObject["missing_as_empty"]?.boolValue else {
            throw fail("policy.missing_as_empty is missing or not a boolean")
        }
        guard let sampleValues = root["samples"]?.arrayValue, !sampleValues.isEmpty else {
            throw fail("samples is missing or empty")
        }
        var samples: [ReferringSampleRecord] = []
        var seen: Set<String> = []
        for (index, value) in sampleValues.enumerated() {
            let key = "samples[\(index)]"
            let item = try object(value, key)
            let id = try string(item["id"], key + ".id")
            guard seen.insert(id).inserted else { throw fail("sample \"\(id)\" occurs twice") }
            let counts = SampleCounts(
                intersection: try count(item["intersection"], key + ".intersection"),
                union: try count(item["union"], key + ".union"),
                target: try count(item["target"], key + ".target"),
                prediction: try count(item["prediction"], key + ".prediction"))
            let height = try count(item["height"], key + ".height")
            let width = try count(item["width"], key + ".width")
            guard counts.isConsistent, counts.union <= height * width else {
                throw fail("sample \"\(id)\": intersection \(counts.intersection), union \(counts.union), target \(counts.target), "
                    + "prediction \(counts.prediction) are inconsistent (I ≤ target, prediction; U = target + prediction − I ≤ height × width)")
            }
            var className: String?
            if let value = item["class"], !value.isNull { className = try string(value, key + ".class") }
            samples.append(ReferringSampleRecord(
                id: id, imageID: try string(item["image_id"], key + ".image_id"), text: try string(item["text"], key + ".text"),
                className: className, height: Int(height), width: Int(width), counts: counts,
                targetSHA256: try string(item["target_sha256"], key + ".target_sha256"),
                predictionSHA256: try string(item["prediction_sha256"], key + ".prediction_sha256")))
        }
        var shard: ShardInfo?
        if let value = root["shard"], !value.isNull {
            let shardObject = try object(value, "shard")
            guard let count = shardObject["count"]?.intValue, (1...Shard.maximumCount).contains(count),
                let indexValues = shardObject["indices"]?.arrayValue, !indexValues.isEmpty,
                let partial = shardObject["partial"]?.boolValue
            else { throw fail("shard is not {\"indices\": [1…count], \"count\": 1…\(Shard.maximumCount), \"partial\": true|false}") }
            var indices: [Int] = []
            for value in indexValues {
                guard let index = value.intValue, (1...count).contains(index), !indices.contains(index) else {
                    throw fail("shard.indices holds \(JSONCodec.serialize(value, pretty: false)), not a new index in 1…\(count)")
                }
                indices.append(index)
            }
            shard = ShardInfo(indices: indices, count: count, partial: partial)
        }
        let provenance: Provenance
        do {
            provenance = try Provenance(taskJSON: root["provenance"])
        } catch {
            throw fail(error.description)
        }
        let fileSHA: String?
        if let value = predictions["file_sha256"], !value.isNull {
            fileSHA = try string(value, "predictions.file_sha256")
        } else {
            fileSHA = nil
        }
        return ReferringRunRecord(
            method: try string(root["method"], "method"),
            annotationPaths: try strings(annotations["paths"], "annotations.paths"),
            annotationFormat: try string(annotations["format"], "annotations.format"),
            annotationFileSHA256: try strings(annotations["files_sha256"], "annotations.files_sha256"),
            predictionPath: try string(predictions["path"], "predictions.path"),
            predictionFormat: try string(predictions["format"], "predictions.format"),
            predictionFileSHA256: fileSHA,
            policy: ReferringPolicy(
                precisionThresholds: thresholds, sizeBuckets: SizeBuckets(smallBelow: small, mediumBelow: medium),
                missingAsEmpty: missingAsEmpty),
            missingPredictions: try strings(predictions["missing_predictions"], "predictions.missing_predictions"),
            samples: samples, shard: shard, provenance: provenance)
    }
}
