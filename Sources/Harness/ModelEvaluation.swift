import Dispatch
import Foundation
import FileOutput
import LabelMaps
import Metrics
import Vocabulary

/// One image handed to a model: where its pixels are and, for diagnostics that need them,
/// the ground-truth evaluation ids.
public struct PredictionRequest: Sendable {
    public let id: String
    public let imagePath: String
    public let width: Int
    public let height: Int
    /// Made only when a diagnostic asks (`--drift`): 4 bytes per pixel held through the whole
    /// prediction otherwise (docs/robustness.md §9).
    private let makeGroundTruthIDs: @Sendable () -> [Int32]

    /// Evaluation class id per pixel (row-major), −1 where the pixel is not evaluated; computed on
    /// each access.
    public var groundTruthIDs: [Int32] { makeGroundTruthIDs() }

    public init(id: String, imagePath: String, width: Int, height: Int, groundTruthIDs: @escaping @Sendable () -> [Int32]) {
        self.id = id
        self.imagePath = imagePath
        self.width = width
        self.height = height
        self.makeGroundTruthIDs = groundTruthIDs
    }
}

/// Anything that turns an image into a label map of evaluation ids (a segmentation model).
///
/// Called once per image, in id order, from one thread: models use every core themselves.
public protocol ImagePredictor {
    /// The predicted label map, the same size as the image.
    mutating func predict(_ request: PredictionRequest) throws -> LabelMap
}

/// Where `ovseg eval` finds a dataset: RGB tiles (`.png`, `.jpg`, `.jpeg`, `.tif`, `.tiff`) and ground
/// truth (`.png`) matched by file stem.
public struct EvaluationDataset: Sendable {
    public let imageDirectory: String
    public let groundTruthDirectory: String
    /// The images a release layout or pairs file listed (docs/dataset-layouts.md), used instead
    /// of the two folders; nil for `images/` and `gt/`.
    public let listed: ListedDataset?

    /// `root/images` and `root/gt`, the layout `ovseg demo` writes.
    public init(root: String) {
        imageDirectory = (root as NSString).appendingPathComponent("images")
        groundTruthDirectory = (root as NSString).appendingPathComponent("gt")
        listed = nil
    }

    public init(imageDirectory: String, groundTruthDirectory: String) {
        self.imageDirectory = imageDirectory
        self.groundTruthDirectory = groundTruthDirectory
        listed = nil
    }

    /// The images a layout or pairs file listed; each must have its image file.
    public init(listed: ListedDataset) {
        imageDirectory = listed.root
        groundTruthDirectory = listed.root
        self.listed = listed
    }

    /// The folders whose files are inputs: the two folders, or for a listed dataset every folder
    /// that holds a listed label or image (its root may hold other things, such as predictions).
    var inputFolders: [OutputGuard.Input] {
        guard let listed else {
            return [.init(imageDirectory, role: "the image folder"), .init(groundTruthDirectory, role: "the ground-truth folder")]
        }
        let labels = Set(listed.images.map { ($0.labelPath as NSString).deletingLastPathComponent })
        let images = Set(listed.images.compactMap { $0.imagePath.map { ($0 as NSString).deletingLastPathComponent } })
        return labels.sorted().map { .init($0, role: "a ground-truth folder") }
            + images.subtracting(labels).sorted().map { .init($0, role: "an image folder") }
    }

    /// Pairs every ground truth with its image; an unmatched file on either side is an error naming it.
    /// For a listed dataset, the listed pairs (suffixes do not apply: the layout or file names the files).
    public func pairs(groundTruthSuffix: String = "", imageSuffix: String = "") throws(HarnessError) -> [ImagePair] {
        if let listed {
            var pairs: [ImagePair] = []
            for image in listed.images {
                guard let imagePath = image.imagePath else {
                    throw HarnessError(.pairing, file: listed.root, "\(listed.root): image \(image.id) has no image file listed")
                }
                pairs.append(ImagePair(id: image.id, groundTruthPath: image.labelPath, predictionPath: imagePath))
            }
            return pairs
        }
        let groundTruth = try DatasetScanner.labelFiles(in: groundTruthDirectory, suffix: groundTruthSuffix)
        let images = try DatasetScanner.labelFiles(in: imageDirectory, suffix: imageSuffix)
        guard !groundTruth.isEmpty else { throw HarnessError(.pairing, file: groundTruthDirectory, "\(groundTruthDirectory): no ground truth (\(DatasetScanner.rasterDescription)) found") }
        let withoutImage = groundTruth.keys.filter { images[$0] == nil }.sorted()
        if !withoutImage.isEmpty {
            throw HarnessError(.pairing, file: imageDirectory,
                "\(withoutImage.count) ground-truth file(s) have no image in \(imageDirectory): "
                    + DatasetScanner.listed(withoutImage.map { groundTruth[$0] ?? $0 }))
        }
        let withoutLabels = images.keys.filter { groundTruth[$0] == nil }.sorted()
        if !withoutLabels.isEmpty {
            throw HarnessError(.pairing, file: groundTruthDirectory,
                "\(withoutLabels.count) image(s) have no ground truth in \(groundTruthDirectory): "
                    + DatasetScanner.listed(withoutLabels.map { images[$0] ?? $0 }))
        }
        return groundTruth.keys.sorted().compactMap { id in
            guard let gt = groundTruth[id], let image = images[id] else { return nil }
            return ImagePair(id: id, groundTruthPath: gt, predictionPath: image)
        }
    }
}

/// Runs a model over a dataset and scores it exactly as `ovseg score` scores files.
public enum ModelEvaluation {
    /// Predicts every image (one at a time), counts it against its ground truth and returns the
    /// run. With `savePredictions`, each label map is also written as `<id>.png` (palette PNG of
    /// evaluation ids in the vocabulary's colours) and its file hash is the image's prediction
    /// hash, so `ovseg score` on that folder reproduces the same counts and hashes; otherwise the
    /// hash is SHA-256 of the label values as little-endian UInt16.
    ///
    /// With `savePredictions`, every finished image is also appended to the folder's `EvalJournal`
    /// under the run's `EvalRunKey` (checkpoint hash, arithmetic, vocabulary, configuration).
    /// With `resume`, images the journal lists under the same key, whose prediction and ground-truth
    /// files still have the recorded hashes, are not predicted again: the saved PNG is read back and
    /// counted as `ovseg score` counts it, which gives the counts and hashes of an uninterrupted run.
    /// `resumed` receives which images were reused and which were recomputed because files changed.
    public static func evaluate(
        dataset: EvaluationDataset, options: ScoreOptions, predictor: inout some ImagePredictor,
        savePredictions: String? = nil, provenance: (checkpoint: String?, sha256: String?, configuration: [(String, String)]),
        numerics: NumericEnvironment,
        command: [String] = Provenance.invocation, progress: (any ScoringProgress)? = nil,
        resume: Bool = false, resumed: ((ResumeSummary) -> Void)? = nil
    ) throws(HarnessError) -> RunRecord {
        let start = DispatchTime.now()
        try ClassCountLimit.check(options.vocabulary)
        guard options.predictionEncoding.isClassIDs else {
            throw HarnessError(.evaluation,
                "\(setting: .predictionEncoding(options.predictionEncoding)) reads prediction files; a model's predictions are class ids already")
        }
        var pairs = try dataset.pairs(
            groundTruthSuffix: options.pairing.groundTruthSuffix, imageSuffix: options.pairing.predictionSuffix)
        // JPEG images are pixels a decoder computed: the run records how (judged over the whole
        // dataset, so that every shard of it records the same configuration).
        var provenance = provenance
        if pairs.contains(where: { RasterImage.format(ofFileAt: $0.predictionPath) == .jpeg }) {
            provenance.configuration.append(("jpeg_decoding", DecodedJPEG.settings))
        }
        if let shard = options.shard { pairs = pairs.filter { shard.contains($0.id) } }
        try ImageID.validate(pairs.map { ($0.id, $0.groundTruthPath) })
        let reader = LabelReading(vocabulary: options.vocabulary, options: options)
        let k = options.vocabulary.classCount
        guard k <= 256 else {
            throw HarnessError(.evaluation, "\(options.vocabulary.key) has \(k) classes; palette predictions hold at most 256")
        }
        let palette = options.vocabulary.classes.map(\.color)
        if let savePredictions {
            do {
                try OutputGuard.check(output: savePredictions, role: "prediction folder", inputs: dataset.inputFolders)
            } catch {
                throw HarnessError(.evaluation, file: savePredictions, error.description, underlying: error)
            }
            do {
                try FileManager.default.createDirectory(atPath: savePredictions, withIntermediateDirectories: true)
            } catch {
                throw HarnessError(.evaluation, file: savePredictions, "\(savePredictions): cannot create the folder (\(error.localizedDescription))", underlying: error)
            }
        }
        guard !resume || savePredictions != nil else {
            throw HarnessError(.evaluation, "\(setting: .resume) needs \(setting: .savePredictions): the journal and the saved predictions live there")
        }
        let runKey = EvalRunKey(
            checkpointSHA256: provenance.sha256, arithmetic: numerics.arithmetic,
            vocabularyFingerprint: options.vocabulary.fingerprint, configuration: provenance.configuration)
        var journal: EvalJournal?
        if let savePredictions { journal = try EvalJournal(folder: savePredictions, key: runKey, resume: resume) }
        var summary = ResumeSummary()
        summary.total = pairs.count

        var matrix = ConfusionMatrix(classCount: k)
        var records: [ImageRecord] = []
        progress?.started(total: pairs.count)
        for (index, pair) in pairs.enumerated() {
            let (groundTruth, groundTruthBytes) = try reader.readGroundTruth(pair.groundTruthPath)
            let groundTruthHash = Fingerprint.sha256(groundTruthBytes)
            // A resumed image is the saved prediction read back, as `ovseg score` reads it; any other
            // image is segmented (and saved and journalled when asked).
            var saved: (path: String, bytes: [UInt8])?
            if resume, let folder = savePredictions, let entry = journal?.entries[pair.id] {
                let name = (folder as NSString).appendingPathComponent(pair.id + ".png")
                let bytes = try? FileBytes.read(path: name)
                if entry.groundTruthSHA256 != groundTruthHash {
                    summary.changed.append((pair.id, "ground truth \(pair.groundTruthPath) changed"))
                } else if let bytes {
                    if Fingerprint.sha256(bytes) == entry.predictionSHA256 {
                        saved = (name, bytes)
                    } else {
                        summary.changed.append((pair.id, "\(name) changed"))
                    }
                } else {
                    summary.changed.append((pair.id, "\(name) is missing"))
                }
            }
            let prediction: LabelMap
            let predictionName: String
            let predictionHash: String
            if let saved {
                do {
                    prediction = try LabelMapReader.decode(bytes: saved.bytes, name: saved.path, colors: reader.predictionColors)
                } catch {
                    throw HarnessError(.evaluation, wrapping: error)
                }
                try checkSize(pair: pair, groundTruth: groundTruth, prediction: prediction, described: "saved prediction \(saved.path)")
                predictionName = saved.path
                predictionHash = Fingerprint.sha256(saved.bytes)
                summary.reused.append(pair.id)
            } else {
                let request = PredictionRequest(
                    id: pair.id, imagePath: pair.predictionPath, width: groundTruth.width, height: groundTruth.height,
                    groundTruthIDs: { reader.evaluationIDs(groundTruth) })
                do {
                    prediction = try predictor.predict(request)
                } catch let error as HarnessError {
                    throw error
                } catch {
                    throw HarnessError(.evaluation, file: pair.predictionPath, "\(pair.predictionPath): \(error)", underlying: error)
                }
                let name = savePredictions.map { ($0 as NSString).appendingPathComponent(pair.id + ".png") }
                predictionName = name ?? "the prediction for \(pair.id)"
                try checkSize(pair: pair, groundTruth: groundTruth, prediction: prediction, described: "image \(pair.predictionPath)")
                if let name {
                    do {
                        try LabelMapWriter.writePalette(prediction, palette: palette, to: name)
                        predictionHash = Fingerprint.sha256(try FileBytes.read(path: name))
                    } catch {
                        throw HarnessError(.evaluation, wrapping: error)
                    }
                } else {
                    predictionHash = Fingerprint.sha256(littleEndianBytes(prediction.values))
                }
            }
            let (counts, labelsSHA256) = try reader.count(
                groundTruth: groundTruth, groundTruthPath: pair.groundTruthPath, prediction: prediction,
                predictionName: predictionName)
            do {
                try matrix.add(counts)
            } catch {
                throw HarnessError(.evaluation, wrapping: error)
            }
            if saved == nil {
                try journal?.append(EvalJournal.Entry(
                    id: pair.id, predictionSHA256: predictionHash, groundTruthSHA256: groundTruthHash,
                    checkpointSHA256: runKey.checkpointSHA256, runKey: runKey.value))
            }
            records.append(ImageRecord(
                id: pair.id, groundTruthSHA256: groundTruthHash, predictionSHA256: predictionHash,
                width: groundTruth.width, height: groundTruth.height, counts: counts.classCounts,
                groundTruthLabelsSHA256: labelsSHA256))
            progress?.advanced(completed: index + 1, total: pairs.count)
        }
        progress?.finished()
        if resume { resumed?(summary) }
        guard !records.isEmpty || options.shard != nil else {
            throw HarnessError(.evaluation, "no image was evaluated")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return RunRecord(
            method: options.method,
            vocabulary: VocabularyInfo(options.vocabulary),
            split: options.split.map(SplitInfo.init),
            policy: reader.policy(presence: options.presence),
            dataset: DatasetInfo(
                groundTruthDirectory: dataset.groundTruthDirectory,
                predictionDirectory: savePredictions ?? "(in memory: \(dataset.imageDirectory))",
                images: records, missingPredictions: [], extraPredictions: [], sizeMismatches: [],
                origin: dataset.listed?.origin),
            shard: options.shard.map { ShardInfo(indices: [$0.index], count: $0.count, partial: false) },
            matrix: matrix,
            images: records,
            provenance: Provenance(
                version: OVSegVersion.current, command: command, date: Provenance.now(),
                host: ProcessInfo.processInfo.hostName, checkpointPath: provenance.checkpoint,
                checkpointSHA256: provenance.sha256, configuration: provenance.configuration,
                seconds: seconds, threads: numerics.threads, numerics: numerics),
            splitOrigin: options.splitOrigin)
    }

    /// A prediction must have its ground truth's size; `described` names the prediction in the error.
    static func checkSize(
        pair: ImagePair, groundTruth: LabelMap, prediction: LabelMap, described: String
    ) throws(HarnessError) {
        guard prediction.width == groundTruth.width, prediction.height == groundTruth.height else {
            throw HarnessError(.evaluation,
                "size mismatch for image \(pair.id): ground truth \(pair.groundTruthPath) is "
                    + "\(groundTruth.width)×\(groundTruth.height), \(described) is "
                    + "\(prediction.width)×\(prediction.height)")
        }
    }

    static func littleEndianBytes(_ values: [UInt16]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 2)
        for value in values {
            bytes.append(UInt8(truncatingIfNeeded: value))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        }
        return bytes
    }
}
