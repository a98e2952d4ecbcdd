import FileOutput
import JSON
import LabelMaps
import Metrics
import Vocabulary

/// Reads and writes `*.ovseg.json` results files (schema `ovseg-results/1`).
///
/// Besides the counts, the file carries every derived figure (per-class IoU, means, display
/// strings) so that a reader in any language can use it directly; ovseg itself always
/// recomputes them from the counts when it reads a file back.
public enum ResultsFile {
    /// Writes `record` to `path` atomically, one image at a time (docs/robustness.md §10): the
    /// bytes are those of `JSONCodec.serialize(encode(record))` without building that tree.
    public static func write(_ record: RunRecord, to path: String) throws(HarnessError) {
        do {
            try AtomicFile.write(to: path) { (file: inout StreamingFileWriter) throws(Never) in
                stream(record, into: &file)
            }
        } catch {
            // The producer cannot fail: every error is the file's (StreamingWriteError.output).
            if case .output(let failure) = error { throw HarnessError(.resultsFile, wrapping: failure) }
            throw HarnessError(.resultsFile, wrapping: error)
        }
    }

    /// Reads and validates a results file.
    ///
    /// The `images` list is parsed one element at a time (docs/robustness.md §10); a file that
    /// fails any check is read again whole, so what is reported does not depend on that path.
    public static func read(path: String) throws(HarnessError) -> RunRecord {
        if let record = readSpliced(path: path) { return record }
        let document: JSONValue
        do {
            document = try JSONCodec.read(path: path)
        } catch {
            throw HarnessError(.resultsFile, wrapping: error)
        }
        return try decode(document, source: path)
    }

    // MARK: - Encoding

    public static func encode(_ record: RunRecord) -> JSONValue {
        encode(record, includeImages: true)
    }

    /// The document; without `includeImages`, `images` holds an empty string in place of the list.
    static func encode(_ record: RunRecord, includeImages: Bool) -> JSONValue {
        let scores = record.scores
        let splitScores = record.splitScores
        let k = record.matrix.classCount
        var root = JSONObject()
        root["schema"] = .string(RunRecord.schema)
        root["method"] = .string(record.method)

        root["vocabulary"] = .object(JSONObject([
            ("key", .string(record.vocabulary.key)),
            ("name", .string(record.vocabulary.name)),
            ("fingerprint", .string(record.vocabulary.fingerprint)),
            ("classes", .array(record.vocabulary.classNames.map { .string($0) })),
            ("colors", .array(record.vocabulary.colors.map { .array($0.map { .int(Int64($0)) }) })),
        ]))
        if let split = record.split {
            root["split"] = .object(JSONObject([
                ("name", .string(split.name)),
                ("seen", .array(split.seenIDs.map { .string(record.classNames[$0]) })),
                ("unseen", .array(split.unseenIDs.map { .string(record.classNames[$0]) })),
                ("seen_ids", ints(split.seenIDs)),
                ("unseen_ids", ints(split.unseenIDs)),
                ("source", split.source.map { .string($0) } ?? .null),
                ("inferred", .bool(split.inferred)),
            ]))
        } else {
            root["split"] = .null
        }
        if let origin = record.splitOrigin { root["split_origin"] = .string(origin.rawValue) }
        var policyFields: [(String, JSONValue)] = [
            ("presence", .string(record.policy.presence.rawValue)),
            ("ignore_values", ints(record.policy.ignoreValues)),
            ("ignore_colors", .array(record.policy.ignoreColors.map { .array($0.map { .int(Int64($0)) }) })),
            ("reduce_zero_label", .bool(record.policy.reduceZeroLabel)),
            ("out_of_range_ground_truth", .string(record.policy.outOfRangeGroundTruth.rawValue)),
            ("out_of_range_prediction", .string(record.policy.outOfRangePrediction.rawValue)),
            ("prediction_encoding", .string(record.policy.predictionEncoding.name)),
            ("prediction_encoding_meaning", .string(record.policy.predictionEncoding.explanation)),
            ("label_format", record.policy.labelFormat.map { .string($0.rawValue) } ?? .null),
        ]
        if let origins = record.policy.encodingOrigins {
            policyFields.append(("encoding_origin", .object(JSONObject([
                ("reduce_zero_label", .string(origins.reduceZeroLabel.rawValue)),
                ("ignore_values", .string(origins.ignoreValues.rawValue)),
                ("ignore_colors", .string(origins.ignoreColors.rawValue)),
                ("label_format", .string(origins.labelFormat.rawValue)),
            ]))))
        }
        if let settings = record.policy.vocabularyEncoding {
            policyFields.append(("vocabulary_encoding", .object(JSONObject([
                ("reduce_zero_label", .bool(settings.reduceZeroLabel)),
                ("ignore_values", ints(settings.ignoreValues)),
                ("ignore_colors", .array(settings.ignoreColors.map { .array([$0.r, $0.g, $0.b].map { .int(Int64($0)) }) })),
            ]))))
        }
        policyFields.append(("label_reading", .string(labelReading(record.policy.labelFormat))))
        root["policy"] = .object(JSONObject(policyFields + [
            ("pooling", .string("dataset-level: counts summed over all images before dividing")),
        ]))
        let filesFingerprint: [(String, JSONValue)] = record.dataset.groundTruthFilesFingerprint.map { files in
            [
                ("fingerprint_definition", .string(
                    "SHA-256 over the sorted lines id<TAB>ground_truth_labels_sha256 (the decoded evaluation labels: "
                        + "equal for equal labels whatever the PNG encoding)")),
                ("ground_truth_files_fingerprint", .string(files)),
            ]
        } ?? []
        root["dataset"] = .object(JSONObject([
            ("ground_truth", .string(record.dataset.groundTruthDirectory)),
            ("predictions", .string(record.dataset.predictionDirectory)),
            ("fingerprint", .string(record.dataset.fingerprint)),
        ] + filesFingerprint + [
            ("images", .int(Int64(record.images.count))),
            ("evaluated_pixels", .count(record.matrix.evaluatedPixels)),
            ("missing_predictions", strings(record.dataset.missingPredictions)),
            ("extra_predictions", strings(record.dataset.extraPredictions)),
            ("size_mismatches", strings(record.dataset.sizeMismatches)),
        ] + originEntries(record.dataset.origin)))
        if let shard = record.shard {
            root["shard"] = .object(JSONObject([
                ("indices", ints(shard.indices)), ("count", .int(Int64(shard.count))), ("partial", .bool(shard.partial)),
            ]))
        } else {
            root["shard"] = .null
        }

        root["metrics"] = .object(JSONObject([
            ("miou", .number(scores.meanIoU)),
            ("miou_seen", .number(splitScores?.seen)),
            ("miou_unseen", .number(splitScores?.unseen)),
            ("hiou", .number(splitScores?.harmonic)),
            ("pixel_accuracy", .number(scores.pixelAccuracy)),
            ("mean_accuracy", .number(scores.meanAccuracy)),
            ("mean_dice", .number(scores.meanDice)),
            ("fw_iou", .number(scores.frequencyWeightedIoU)),
            ("void_prediction_share", .number(PredictionReadingDiagnostics(matrix: record.matrix).voidShare)),
        ]))
        root["display"] = .object(JSONObject([
            ("scale", .string("percent, 2 decimals, numpy rounding (np.round(x * 100, 2))")),
            ("miou", .string(Percent.format(scores.meanIoU))),
            ("miou_seen", .string(Percent.format(splitScores?.seen))),
            ("miou_unseen", .string(Percent.format(splitScores?.unseen))),
            ("hiou", .string(Percent.format(splitScores?.harmonic))),
            ("pixel_accuracy", .string(Percent.format(scores.pixelAccuracy))),
        ]))

        root["warnings"] = strings(record.warnings)
        root["observations"] = strings(record.observations)

        root["collapse"] = record.collapse.map { Self.encode($0, classNames: record.classNames) } ?? .null

        root["feature_drift"] = record.featureDrift.map(Self.encode) ?? .null

        let counts = scores.classCounts
        root["classes"] = .array((0..<k).map { id in
            let c = counts[id]
            return .object(JSONObject([
                ("id", .int(Int64(id))),
                ("name", .string(record.classNames[id])),
                ("split", record.split?.side(ofClass: id).map { .string($0) } ?? .null),
                ("tp", .count(c.truePositives)),
                ("fp", .count(c.falsePositives)),
                ("fn", .count(c.falseNegatives)),
                ("gt", .count(c.groundTruth)),
                ("pred", .count(c.predicted)),
                ("iou", .number(c.iou)),
                ("accuracy", .number(c.accuracy)),
                ("precision", .number(c.precision)),
                ("f1", .number(c.dice)),
                ("in_mean", .bool(scores.includedInMean[id])),
            ]))
        })
        root["confusion_matrix"] = .object(JSONObject([
            ("layout", .string("rows = ground truth, columns = prediction, evaluated pixels only")),
            ("rows", .array((0..<k).map { g in .array((0..<k).map { p in .count(record.matrix[g, p]) }) })),
            ("void_predictions", .array(record.matrix.voidPredictions.map { .count($0) })),
            ("predictions_on_unlabeled", .array(record.matrix.predictionsOnUnlabeled.map { .count($0) })),
            ("out_of_range_predictions_on_ignored", .count(record.matrix.outOfRangePredictionsOnIgnored)),
        ]))
        // Written one at a time by `write(_:to:)` (docs/robustness.md §7); the marker keeps the key's place.
        root["images"] = includeImages ? .array(record.images.map { encode($0) }) : .string("")
        let p = record.provenance
        root["provenance"] = .object(JSONObject([
            ("tool", .string(p.tool)),
            ("version", .string(p.version)),
            ("command", strings(p.command)),
            ("date", .string(p.date)),
            ("host", .string(p.host)),
            ("checkpoint", p.checkpointPath.map { .string($0) } ?? .null),
            ("checkpoint_sha256", p.checkpointSHA256.map { .string($0) } ?? .null),
            ("config", .object(JSONObject(p.configuration.map { ($0.0, .string($0.1)) }))),
            ("seconds", .double(p.seconds)),
            ("threads", .int(Int64(p.threads))),
        ] + (p.numerics.map { [("numerics", encode($0))] } ?? [])))
        return .object(root)
    }

    /// One element of `images` (docs/results-file.md §2.11).
    static func encode(_ image: ImageRecord) -> JSONValue {
        .object(JSONObject([
            ("id", .string(image.id)),
            ("ground_truth_sha256", .string(image.groundTruthSHA256)),
        ] + (image.groundTruthLabelsSHA256.map { [("ground_truth_labels_sha256", JSONValue.string($0))] } ?? []) + [
            ("prediction_sha256", .string(image.predictionSHA256)),
            ("width", .int(Int64(image.width))),
            ("height", .int(Int64(image.height))),
            ("tp", .array(image.counts.map { .count($0.truePositives) })),
            ("gt", .array(image.counts.map { .count($0.groundTruth) })),
            ("pred", .array(image.counts.map { .count($0.predicted) })),
        ] + (image.georeferencing.map { [("georeferencing", encodeGeoreferencing($0))] } ?? [])))
    }

    static func encode(_ numerics: NumericEnvironment) -> JSONValue {
        .object(JSONObject([
            ("arithmetic", .string(numerics.arithmetic)),
            ("kernel", .string(numerics.kernel)),
            ("blas", .string(numerics.blas)),
            ("cpu", .string(numerics.cpu)),
            ("instruction_set", .string(numerics.instructionSet)),
            ("threads", .int(Int64(numerics.threads))),
        ]))
    }

    static func decodeNumerics(_ value: JSONValue?, reader: FieldReader) throws(HarnessError) -> NumericEnvironment? {
        guard let value, !value.isNull else { return nil }
        let object = try reader.object(value, "provenance.numerics")
        return NumericEnvironment(
            arithmetic: try reader.string(object, "provenance.numerics.arithmetic"),
            kernel: try reader.string(object, "provenance.numerics.kernel"),
            blas: try reader.string(object, "provenance.numerics.blas"),
            cpu: try reader.string(object, "provenance.numerics.cpu"),
            instructionSet: try reader.string(object, "provenance.numerics.instruction_set"),
            threads: try reader.int(object, "provenance.numerics.threads"))
    }

    /// Derived from the confusion matrix like `metrics`; written for readers, recomputed on load.
    static func encode(_ collapse: CollapseDiagnostics, classNames: [String]) -> JSONValue {
        .object(JSONObject([
            ("definition", .string(
                "share of evaluated unseen-class ground-truth pixels predicted as some seen class")),
            ("rate", .number(collapse.collapseRate)),
            ("rate_display", .string(Percent.format(collapse.collapseRate))),
            ("unseen_pixels", .count(collapse.unseenPixels)),
            ("unseen_predicted_seen", .count(collapse.unseenPredictedSeen)),
            ("per_class", .array(collapse.classes.map { item in
                .object(JSONObject([
                    ("id", .int(Int64(item.id))),
                    ("name", .string(classNames[item.id])),
                    ("gt", .count(item.groundTruth)),
                    ("predicted_seen", .count(item.predictedSeen)),
                    ("predicted_other_unseen", .count(item.predictedOtherUnseen)),
                    ("correct", .count(item.correct)),
                    ("rate", .number(item.collapseRate)),
                    ("top_seen_target", item.topSeenTarget.map { .string(classNames[$0.id]) } ?? .null),
                ]))
            })),
        ]))
    }

    static func encode(_ drift: FeatureDrift) -> JSONValue {
        .object(JSONObject([
            ("definition", .string(drift.definition)),
            ("frozen_checkpoint", .string(drift.frozenCheckpoint)),
            ("frozen_sha256", .string(drift.frozenSHA256)),
            ("mean_whole", .number(drift.meanWhole)),
            ("mean_seen_regions", .number(drift.meanSeen)),
            ("mean_unseen_regions", .number(drift.meanUnseen)),
            ("images", .array(drift.images.map { image in
                .object(JSONObject([
                    ("id", .string(image.id)),
                    ("whole", .double(image.whole)),
                    ("seen_regions", .number(image.seen)),
                    ("unseen_regions", .number(image.unseen)),
                ]))
            })),
        ]))
    }

    static func decodeDrift(_ value: JSONValue?, reader: FieldReader) throws(HarnessError) -> FeatureDrift? {
        guard let value, !value.isNull else { return nil }
        let object = try reader.object(value, "feature_drift")
        guard let list = object["images"]?.arrayValue else {
            throw HarnessError(.resultsFile, "\(reader.source): feature_drift.images is missing or not a list")
        }
        var images: [FeatureDrift.Image] = []
        for (index, item) in list.enumerated() {
            let entry = try reader.object(item, "feature_drift.images[\(index)]")
            guard let whole = entry["whole"]?.doubleValue else {
                throw HarnessError(.resultsFile, "\(reader.source): feature_drift.images[\(index)].whole is missing or not a number")
            }
            images.append(FeatureDrift.Image(
                id: try reader.string(entry, "feature_drift.images[\(index)].id"), whole: whole,
                seen: entry["seen_regions"]?.doubleValue, unseen: entry["unseen_regions"]?.doubleValue))
        }
        return FeatureDrift(
            frozenCheckpoint: try reader.string(object, "feature_drift.frozen_checkpoint"),
            frozenSHA256: try reader.string(object, "feature_drift.frozen_sha256"),
            definition: try reader.string(object, "feature_drift.definition"), images: images)
    }

    /// How the ground-truth and prediction files' pixels became values, in words.
    private static func labelReading(_ format: LabelFormat?) -> String {
        let predictions = "predictions: gray and palette PNGs hold class ids read through prediction_encoding, RGB PNGs hold vocabulary colours"
        switch format {
        case nil:
            return "gray and palette PNGs hold class ids (palette indices, never colours; predictions read through "
                + "prediction_encoding); RGB PNGs hold vocabulary colours"
        case .index:
            return "ground truth read as index (label_format): gray values or palette indices; RGB files must have equal channels "
                + "and are read through the first; " + predictions
        case .palette:
            return "ground truth read as palette (label_format): palette PNGs only, their indices; " + predictions
        case .color:
            return "ground truth read as colour (label_format): RGB colours or a palette PNG's entry colours, looked up in "
                + "the vocabulary's colours; " + predictions
        }
    }

    private static func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int(Int64($0)) }) }
    /// GeoTIFF tags under snake-case keys, only those present (docs/results-file.md §2.11).
    static func encodeGeoreferencing(_ geo: Georeferencing) -> JSONValue {
        func numbers(_ values: [Double]) -> JSONValue { .array(values.map { .double($0) }) }
        var fields: [(String, JSONValue)] = []
        if let v = geo.modelPixelScale { fields.append(("model_pixel_scale", numbers(v))) }
        if let v = geo.modelTiepoint { fields.append(("model_tiepoint", numbers(v))) }
        if let v = geo.modelTransformation { fields.append(("model_transformation", numbers(v))) }
        if let v = geo.geoKeys { fields.append(("geo_keys", .array(v.map { .int(Int64($0)) }))) }
        if let v = geo.geoDoubleParams { fields.append(("geo_double_params", numbers(v))) }
        if let v = geo.geoASCIIParams { fields.append(("geo_ascii_params", .string(v))) }
        return .object(JSONObject(fields))
    }

    static func decodeGeoreferencing(_ value: JSONValue?, reader: FieldReader, _ path: String) throws(HarnessError) -> Georeferencing? {
        guard let value, !value.isNull else { return nil }
        let object = try reader.object(value, path)
        func numbers(_ key: String) throws(HarnessError) -> [Double]? {
            guard let item = object[key], !item.isNull else { return nil }
            guard let items = item.arrayValue else { throw HarnessError(.resultsFile, "\(reader.source): \(path).\(key) must be an array of numbers") }
            var result: [Double] = []
            for entry in items {
                guard let number = entry.doubleValue else { throw HarnessError(.resultsFile, "\(reader.source): \(path).\(key) must be an array of numbers") }
                result.append(number)
            }
            return result
        }
        return Georeferencing(
            modelPixelScale: try numbers("model_pixel_scale"), modelTiepoint: try numbers("model_tiepoint"),
            modelTransformation: try numbers("model_transformation"),
            geoKeys: object["geo_keys"] == nil ? nil : try reader.ints(object, path + ".geo_keys"),
            geoDoubleParams: try numbers("geo_double_params"),
            geoASCIIParams: try reader.optionalString(object, path + ".geo_ascii_params"))
    }

    private static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    // MARK: - Decoding

    public static func decode(_ document: JSONValue, source: String) throws(HarnessError) -> RunRecord {
        try decode(document, source: source, spliced: nil)
    }

    /// `spliced`: the images, when `document` holds `[]` in their place (`readSpliced`).
    static func decode(_ document: JSONValue, source: String, spliced: SplicedImages?) throws(HarnessError) -> RunRecord {
        let reader = FieldReader(source: source)
        let root = try reader.object(document, "the top level")
        let schema = try reader.string(root, "schema")
        guard schema == RunRecord.schema else {
            if schema == "ovseg-refer-results/1" || root["kind"]?.stringValue == "referring" {
                // docs/referring.md §6: referring runs have their own schema and commands.
                throw HarnessError(.resultsFile,
                    "\(source): this is a referring run (schema \"\(schema)\", written by `ovseg refer score`); "
                        + "semantic-segmentation commands cannot read it — use `ovseg refer` commands")
            }
            if schema == "ovseg-vqa-results/1" || root["kind"]?.stringValue == "vqa" {
                // docs/vqa.md §5: VQA runs have their own schema; `report` and `check` read them.
                throw HarnessError(.resultsFile,
                    "\(source): this is a VQA run (schema \"\(schema)\", written by `ovseg vqa score`); "
                        + "semantic-segmentation commands cannot read it — `ovseg report` and `ovseg check` take VQA runs")
            }
            if schema == "ovseg-scene-results/1" || root["kind"]?.stringValue == "scene-classification" {
                // docs/scene-classification.md §4: scene runs have their own schema and commands.
                throw HarnessError(.resultsFile,
                    "\(source): this is a scene-classification run (schema \"\(schema)\", written by `ovseg classify score`); "
                        + "semantic-segmentation commands cannot read it — use `ovseg classify`, `ovseg report` or `ovseg check`")
            }
            throw HarnessError(.resultsFile, "\(source): schema is \"\(schema)\"; this ovseg reads \"\(RunRecord.schema)\"")
        }
        let vocabularyObject = try reader.object(root, "vocabulary")
        let classNames = try reader.strings(vocabularyObject, "vocabulary.classes")
        let k = classNames.count
        guard k > 0 else { throw HarnessError(.resultsFile, "\(source): vocabulary.classes is empty") }
        let vocabulary = VocabularyInfo(
            key: try reader.string(vocabularyObject, "vocabulary.key"),
            name: try reader.string(vocabularyObject, "vocabulary.name"),
            fingerprint: try reader.string(vocabularyObject, "vocabulary.fingerprint"),
            classNames: classNames,
            colors: try reader.colorList(vocabularyObject, "vocabulary.colors"))

        var split: SplitInfo?
        if let splitValue = root["split"], !splitValue.isNull {
            let splitObject = try reader.object(splitValue, "split")
            let seen = try reader.ints(splitObject, "split.seen_ids")
            let unseen = try reader.ints(splitObject, "split.unseen_ids")
            for id in seen + unseen where id < 0 || id >= k {
                throw HarnessError(.resultsFile, "\(source): split names class id \(id), but the vocabulary has \(k) classes")
            }
            try ResultsValidation.checkSplit(seen: seen, unseen: unseen, classNames: classNames, source: source)
            split = SplitInfo(
                name: try reader.string(splitObject, "split.name"), seenIDs: seen, unseenIDs: unseen,
                source: splitObject["source"]?.stringValue, inferred: splitObject["inferred"]?.boolValue ?? false)
        }

        let policyObject = try reader.object(root, "policy")
        let presenceText = try reader.string(policyObject, "policy.presence")
        guard let presence = PresencePolicy(rawValue: presenceText) else {
            throw HarnessError(.resultsFile, "\(source): policy.presence \"\(presenceText)\" is not one of "
                + PresencePolicy.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let gtPolicyText = try reader.string(policyObject, "policy.out_of_range_ground_truth")
        let predPolicyText = try reader.string(policyObject, "policy.out_of_range_prediction")
        guard let gtPolicy = OutOfRangeGroundTruth(rawValue: gtPolicyText),
            let predPolicy = OutOfRangePrediction(rawValue: predPolicyText)
        else {
            throw HarnessError(.resultsFile, "\(source): unknown out-of-range policy \"\(gtPolicyText)\" / \"\(predPolicyText)\"")
        }
        // Files written before prediction encodings existed read their predictions as ids.
        var encoding = PredictionEncoding.classIDs
        if let value = policyObject["prediction_encoding"] {
            guard let name = value.stringValue, let parsed = PredictionEncoding(name: name) else {
                throw HarnessError(.resultsFile,
                    "\(source): policy.prediction_encoding is \(JSONCodec.serialize(value, pretty: false)); "
                        + "expected \"ids\", \"reduce-zero-label\" or \"offset-N\" with N ≥ 1")
            }
            encoding = parsed
        }
        // Files written before --label-format and the encoding origins have neither.
        let labelFormat = try reader.optionalCase(policyObject["label_format"], "policy.label_format", of: LabelFormat.self)
        var origins: EffectiveEncoding.Origins?
        if let value = policyObject["encoding_origin"], !value.isNull {
            let object = try reader.object(value, "policy.encoding_origin")
            func origin(_ key: String) throws(HarnessError) -> EncodingOrigin {
                let text = try reader.string(object, "policy.encoding_origin.\(key)")
                guard let parsed = EncodingOrigin(rawValue: text) else {
                    throw HarnessError(.resultsFile,
                        "\(source): policy.encoding_origin.\(key) is \"\(text)\"; expected \"vocabulary\" or \"command line\"")
                }
                return parsed
            }
            origins = EffectiveEncoding.Origins(
                reduceZeroLabel: try origin("reduce_zero_label"), ignoreValues: try origin("ignore_values"),
                ignoreColors: try origin("ignore_colors"), labelFormat: try origin("label_format"))
        }
        var vocabularyEncoding: VocabularyEncodingSettings?
        if let value = policyObject["vocabulary_encoding"], !value.isNull {
            let object = try reader.object(value, "policy.vocabulary_encoding")
            vocabularyEncoding = VocabularyEncodingSettings(
                reduceZeroLabel: try reader.bool(object, "policy.vocabulary_encoding.reduce_zero_label"),
                ignoreValues: try reader.ints(object, "policy.vocabulary_encoding.ignore_values"),
                ignoreColors: try reader.colorList(object, "policy.vocabulary_encoding.ignore_colors").map { RGB($0[0], $0[1], $0[2]) })
        }
        let policy = EvaluationPolicy(
            presence: presence,
            ignoreValues: try reader.ints(policyObject, "policy.ignore_values"),
            ignoreColors: try reader.colorList(policyObject, "policy.ignore_colors"),
            reduceZeroLabel: try reader.bool(policyObject, "policy.reduce_zero_label"),
            outOfRangeGroundTruth: gtPolicy, outOfRangePrediction: predPolicy, predictionEncoding: encoding,
            labelFormat: labelFormat, encodingOrigins: origins, vocabularyEncoding: vocabularyEncoding)
        let splitOrigin = try reader.optionalCase(root["split_origin"], "split_origin", of: SplitOrigin.self)

        let datasetObject = try reader.object(root, "dataset")
        let dataset = DatasetInfo(
            groundTruthDirectory: try reader.string(datasetObject, "dataset.ground_truth"),
            predictionDirectory: try reader.string(datasetObject, "dataset.predictions"),
            fingerprint: try reader.string(datasetObject, "dataset.fingerprint"),
            // Absent in files written before label fingerprints: their `fingerprint` is file-based.
            groundTruthFilesFingerprint: try reader.optionalString(datasetObject, "dataset.ground_truth_files_fingerprint"),
            missingPredictions: try reader.strings(datasetObject, "dataset.missing_predictions"),
            extraPredictions: try reader.strings(datasetObject, "dataset.extra_predictions"),
            sizeMismatches: try reader.strings(datasetObject, "dataset.size_mismatches"),
            origin: try readOrigin(datasetObject, reader))

        var shard: ShardInfo?
        if let shardValue = root["shard"], !shardValue.isNull {
            let shardObject = try reader.object(shardValue, "shard")
            shard = ShardInfo(
                indices: try reader.ints(shardObject, "shard.indices"),
                count: try reader.int(shardObject, "shard.count"),
                partial: try reader.bool(shardObject, "shard.partial"))
            if let shard { try ResultsValidation.checkShard(shard, source: source) }
        }

        let matrixObject = try reader.object(root, "confusion_matrix")
        let rows = try reader.array(matrixObject, "confusion_matrix.rows")
        guard rows.count == k else {
            throw HarnessError(.resultsFile, "\(source): confusion_matrix.rows has \(rows.count) rows for \(k) classes")
        }
        var cells: [UInt64] = []
        cells.reserveCapacity(k * k)
        for (index, row) in rows.enumerated() {
            let values = try reader.counts(row, "confusion_matrix.rows[\(index)]")
            guard values.count == k else {
                throw HarnessError(.resultsFile, "\(source): confusion_matrix.rows[\(index)] has \(values.count) entries for \(k) classes")
            }
            cells += values
        }
        let void = try reader.counts(try reader.value(matrixObject, "void_predictions", "confusion_matrix"),
                                     "confusion_matrix.void_predictions")
        let unlabeled = try reader.counts(try reader.value(matrixObject, "predictions_on_unlabeled", "confusion_matrix"),
                                          "confusion_matrix.predictions_on_unlabeled")
        try ResultsValidation.checkMatrixTotal([cells, void, unlabeled], source: source)
        var matrix: ConfusionMatrix
        do {
            matrix = try ConfusionMatrix(
                classCount: k, counts: cells, voidPredictions: void, predictionsOnUnlabeled: unlabeled)
        } catch {
            throw HarnessError(.resultsFile, "\(source): \(error.description)")
        }
        // Absent from files written before it was counted.
        if let ignored = matrixObject["out_of_range_predictions_on_ignored"] {
            guard let count = ignored.uint64Value, count <= ResultsValidation.maximumPixels else {
                throw HarnessError(.resultsFile,
                    "\(source): confusion_matrix.out_of_range_predictions_on_ignored must be a count of at most 2^53")
            }
            matrix.outOfRangePredictionsOnIgnored = count
        }

        var images: [ImageRecord] = []
        if let spliced {
            images.reserveCapacity(spliced.count)
            for index in 0..<spliced.count {
                images.append(try decodeImage(try spliced.element(index), index: index, classNames: classNames, reader: reader))
            }
        } else {
            for (index, value) in try reader.array(root, "images").enumerated() {
                images.append(try decodeImage(value, index: index, classNames: classNames, reader: reader))
            }
        }
        try ResultsValidation.checkUniqueIDs(images, source: source)
        try checkConsistency(matrix: matrix, images: images, source: source)

        let provenanceObject = try reader.object(root, "provenance")
        var configuration: [(String, String)] = []
        if let config = provenanceObject["config"]?.objectValue {
            for (key, value) in config { configuration.append((key, value.stringValue ?? "\(value)")) }
        }
        let provenance = Provenance(
            tool: try reader.string(provenanceObject, "provenance.tool"),
            version: try reader.string(provenanceObject, "provenance.version"),
            command: try reader.strings(provenanceObject, "provenance.command"),
            date: try reader.string(provenanceObject, "provenance.date"),
            host: try reader.string(provenanceObject, "provenance.host"),
            checkpointPath: provenanceObject["checkpoint"]?.stringValue,
            checkpointSHA256: provenanceObject["checkpoint_sha256"]?.stringValue,
            configuration: configuration,
            seconds: provenanceObject["seconds"]?.doubleValue ?? 0,
            threads: provenanceObject["threads"]?.intValue ?? 0,
            numerics: try decodeNumerics(provenanceObject["numerics"], reader: reader))

        return RunRecord(
            method: try reader.string(root, "method"), vocabulary: vocabulary, split: split, policy: policy,
            dataset: dataset, shard: shard, matrix: matrix, images: images, provenance: provenance,
            featureDrift: try decodeDrift(root["feature_drift"], reader: reader), splitOrigin: splitOrigin)
    }

    /// One element of `images`, checked on its own (counts, size, id); sums are checked later.
    static func decodeImage(
        _ value: JSONValue, index: Int, classNames: [String], reader: FieldReader
    ) throws(HarnessError) -> ImageRecord {
        let source = reader.source
        let k = classNames.count
        let where_ = "images[\(index)]"
        let object = try reader.object(value, where_)
        let tp = try reader.counts(try reader.value(object, "tp", where_), where_ + ".tp")
        let gt = try reader.counts(try reader.value(object, "gt", where_), where_ + ".gt")
        let pred = try reader.counts(try reader.value(object, "pred", where_), where_ + ".pred")
        guard tp.count == k, gt.count == k, pred.count == k else {
            throw HarnessError(.resultsFile, "\(source): \(where_) must have \(k) entries in tp, gt and pred")
        }
        for c in 0..<k where tp[c] > gt[c] || tp[c] > pred[c] {
            throw HarnessError(.resultsFile, "\(source): \(where_) has more true positives than pixels for class \(classNames[c])")
        }
        let image = ImageRecord(
            id: try reader.string(object, where_ + ".id"),
            groundTruthSHA256: try reader.string(object, where_ + ".ground_truth_sha256"),
            predictionSHA256: try reader.string(object, where_ + ".prediction_sha256"),
            width: try reader.int(object, where_ + ".width"),
            height: try reader.int(object, where_ + ".height"),
            counts: (0..<k).map { ClassCounts(truePositives: tp[$0], groundTruth: gt[$0], predicted: pred[$0]) },
            groundTruthLabelsSHA256: try reader.optionalString(object, where_ + ".ground_truth_labels_sha256"),
            georeferencing: try decodeGeoreferencing(object["georeferencing"], reader: reader, where_ + ".georeferencing"))
        try ResultsValidation.checkImage(image, at: where_, source: source)
        return image
    }

    /// The summed per-image counts must equal the matrix's, or the file was edited or damaged.
    static func checkConsistency(matrix: ConfusionMatrix, images: [ImageRecord], source: String) throws(HarnessError) {
        guard !images.isEmpty else {
            if matrix.evaluatedPixels != 0 || matrix.predictionsOnUnlabeled.contains(where: { $0 != 0 }) {
                throw HarnessError(.resultsFile,
                    "\(source): the confusion matrix counts pixels but the file lists no images "
                        + "(the file was edited or damaged)")
            }
            return
        }
        let whole = matrix.classCounts
        var sums = [ClassCounts](
            repeating: ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0), count: matrix.classCount)
        // Each image holds at most 2^53 pixels, but many images can still overflow a sum.
        var overflow = false
        for image in images where !overflow {
            for c in 0..<matrix.classCount {
                let tp = sums[c].truePositives.addingReportingOverflow(image.counts[c].truePositives)
                let gt = sums[c].groundTruth.addingReportingOverflow(image.counts[c].groundTruth)
                let pred = sums[c].predicted.addingReportingOverflow(image.counts[c].predicted)
                overflow = overflow || tp.overflow || gt.overflow || pred.overflow
                sums[c] = ClassCounts(truePositives: tp.partialValue, groundTruth: gt.partialValue, predicted: pred.partialValue)
            }
        }
        if overflow {
            throw HarnessError(.resultsFile,
                "\(source): the per-image counts add up to more than 2^64 pixels (the file was edited or damaged)")
        }
        if let c = (0..<matrix.classCount).first(where: { sums[$0] != whole[$0] }) {
            throw HarnessError(.resultsFile,
                "\(source): the per-image counts do not add up to the confusion matrix for class \(c) "
                    + "(images: tp \(sums[c].truePositives), gt \(sums[c].groundTruth), pred \(sums[c].predicted); "
                    + "matrix: tp \(whole[c].truePositives), gt \(whole[c].groundTruth), pred \(whole[c].predicted)): "
                    + "the file was edited or damaged")
        }
    }
}

/// Typed field access with errors that name the file and the key.
struct FieldReader {
    let source: String

    func value(_ object: JSONObject, _ key: String, _ parent: String) throws(HarnessError) -> JSONValue {
        guard let value = object[key] else { throw HarnessError(.resultsFile, "\(source): missing key \(parent).\(key)") }
        return value
    }
    private func lookup(_ object: JSONObject, _ path: String) throws(HarnessError) -> JSONValue {
        let key = path.split(separator: ".").last.map(String.init) ?? path
        guard let value = object[key] else { throw HarnessError(.resultsFile, "\(source): missing key \(path)") }
        return value
    }
    func object(_ value: JSONValue, _ path: String) throws(HarnessError) -> JSONObject {
        guard let object = value.objectValue else { throw HarnessError(.resultsFile, "\(source): \(path) must be an object") }
        return object
    }
    func object(_ object: JSONObject, _ path: String) throws(HarnessError) -> JSONObject {
        try self.object(try lookup(object, path), path)
    }
    func array(_ object: JSONObject, _ path: String) throws(HarnessError) -> [JSONValue] {
        guard let array = try lookup(object, path).arrayValue else { throw HarnessError(.resultsFile, "\(source): \(path) must be an array") }
        return array
    }
    func string(_ object: JSONObject, _ path: String) throws(HarnessError) -> String {
        guard let text = try lookup(object, path).stringValue else { throw HarnessError(.resultsFile, "\(source): \(path) must be a string") }
        return text
    }
    /// A string that older files may lack: nil when the key is absent or null.
    func optionalString(_ object: JSONObject, _ path: String) throws(HarnessError) -> String? {
        let key = path.split(separator: ".").last.map(String.init) ?? path
        guard let value = object[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw HarnessError(.resultsFile, "\(source): \(path) must be a string") }
        return text
    }
    func bool(_ object: JSONObject, _ path: String) throws(HarnessError) -> Bool {
        guard let flag = try lookup(object, path).boolValue else { throw HarnessError(.resultsFile, "\(source): \(path) must be true or false") }
        return flag
    }
    func int(_ object: JSONObject, _ path: String) throws(HarnessError) -> Int {
        guard let number = try lookup(object, path).intValue else { throw HarnessError(.resultsFile, "\(source): \(path) must be an integer") }
        return number
    }
    func strings(_ object: JSONObject, _ path: String) throws(HarnessError) -> [String] {
        let items = try array(object, path)
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else { throw HarnessError(.resultsFile, "\(source): \(path)[\(index)] must be a string") }
            result.append(text)
        }
        return result
    }
    func ints(_ object: JSONObject, _ path: String) throws(HarnessError) -> [Int] {
        let items = try array(object, path)
        var result: [Int] = []
        for (index, item) in items.enumerated() {
            guard let number = item.intValue else { throw HarnessError(.resultsFile, "\(source): \(path)[\(index)] must be an integer") }
            result.append(number)
        }
        return result
    }
    func counts(_ value: JSONValue, _ path: String) throws(HarnessError) -> [UInt64] {
        guard let items = value.arrayValue else { throw HarnessError(.resultsFile, "\(source): \(path) must be an array of counts") }
        var result: [UInt64] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let number = item.uint64Value else {
                throw HarnessError(.resultsFile, "\(source): \(path)[\(index)] must be a non-negative integer count")
            }
            result.append(number)
        }
        return result
    }
    /// A case of `T` named by its raw string, or nil when the key is absent or null (fields added
    /// after the first schema); any other value is an error listing the allowed names.
    func optionalCase<T: RawRepresentable & CaseIterable>(
        _ value: JSONValue?, _ path: String, of type: T.Type
    ) throws(HarnessError) -> T? where T.RawValue == String {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue, let parsed = T(rawValue: text) else {
            throw HarnessError(.resultsFile,
                "\(source): \(path) is \(JSONCodec.serialize(value, pretty: false)); expected null or one of "
                    + T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        return parsed
    }
    func colorList(_ object: JSONObject, _ path: String) throws(HarnessError) -> [[UInt8]] {
        let items = try array(object, path)
        var result: [[UInt8]] = []
        for (index, item) in items.enumerated() {
            guard let channels = item.arrayValue, channels.count == 3,
                let rgb = Optional(channels.compactMap { $0.intValue.flatMap { UInt8(exactly: $0) } }), rgb.count == 3
            else { throw HarnessError(.resultsFile, "\(source): \(path)[\(index)] must be three integers 0–255") }
            result.append(rgb)
        }
        return result
    }
}

// MARK: - Where a listed dataset's files came from (docs/dataset-layouts.md §6)

extension ResultsFile {
    /// `dataset.layout` ({name, subset?, label_variant?}) and `dataset.pairs_file`, written only
    /// when the files were listed by a layout or a pairs file.
    static func originEntries(_ origin: DatasetOrigin?) -> [(String, JSONValue)] {
        guard let origin else { return [] }
        var entries: [(String, JSONValue)] = []
        if let layout = origin.layout {
            var fields: [(String, JSONValue)] = [("name", .string(layout))]
            if let subset = origin.subset { fields.append(("subset", .string(subset))) }
            if let variant = origin.labelVariant { fields.append(("label_variant", .string(variant))) }
            entries.append(("layout", .object(JSONObject(fields))))
        }
        if let pairsFile = origin.pairsFile { entries.append(("pairs_file", .string(pairsFile))) }
        return entries
    }

    /// The origin of an ovseg-results/1 file; nil in files without `dataset.layout`/`dataset.pairs_file`.
    static func readOrigin(_ dataset: JSONObject, _ reader: FieldReader) throws(HarnessError) -> DatasetOrigin? {
        var origin = DatasetOrigin()
        if let value = dataset["layout"], !value.isNull {
            let layout = try reader.object(value, "dataset.layout")
            origin.layout = try reader.string(layout, "dataset.layout.name")
            origin.subset = try reader.optionalString(layout, "dataset.layout.subset")
            origin.labelVariant = try reader.optionalString(layout, "dataset.layout.label_variant")
        }
        origin.pairsFile = try reader.optionalString(dataset, "dataset.pairs_file")
        return origin == DatasetOrigin() ? nil : origin
    }
}
