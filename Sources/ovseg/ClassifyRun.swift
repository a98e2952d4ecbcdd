import ArgumentParser
import CheckpointConversion
import Evaluation
import FileOutput
import Foundation
import Harness
import JSON
import SceneClassification
import Tensor
import Vocabulary

/// `ovseg classify run`: zero-shot scene classification of a folder of images with the Swift CLIP
/// core, written as a scene-predictions file (docs/zero-shot-classification.md §4).
struct ClassifyRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Zero-shot scene classification of a folder of images with a CLIP checkpoint.",
        discussion: """
            Each class's text embedding is the mean of the L2-normalised embeddings of every \
            template filled with the class name and each of its synonyms, normalised again. Each \
            image (PNG, JPEG or TIFF; the folder is searched recursively) is resized so that its \
            shorter edge is the model's input size, centre-cropped, and embedded; its score for a \
            class is the cosine similarity of the two embeddings. Writes the predictions file \
            (schema ovseg.scene-predictions, version 1) atomically. With --gt, the predictions are then \
            scored as `ovseg classify score` scores them and the results file goes to --results (a scene \
            vocabulary is needed for that). See docs/zero-shot-classification.md.

            Examples:
              ovseg classify run --vocab ucmerced --images UCMerced/Images --checkpoint clip/ -o predictions.json \\
                  --gt labels.csv --results run.ovseg.json
              ovseg classify run --vocab potsdam --images tiles/ --checkpoint clip/ -o predictions.json
              ovseg classify run --vocab scenes.json --images UCMerced/Images \\
                  --checkpoint RemoteCLIP-ViT-B-32.pt --hidden-act gelu \\
                  --template "a satellite photo of {}." -o predictions.json
            """)

    @Option(help: "Vocabulary (bundled key or JSON file) whose class names and synonyms are the classes.")
    var vocab: String

    @Option(help: "Folder of images (PNG, JPEG, TIFF), searched recursively; an image's id is its path relative to the folder.")
    var images: String

    @Option(help: "CLIP checkpoint: a Hugging Face folder, a safetensors file in Hugging Face key names, or a torch.save .pth/.pt/.bin (an open_clip CLIP, with --hidden-act).")
    var checkpoint: String

    @OptionGroup var conversion: PthCLIPOptions

    @Option(help: "Key prefix of the CLIP towers inside the checkpoint (e.g. frozen.).")
    var prefix: String = ""

    @Option(help: "Prompt template ('{}' = class name), repeatable; default: the vocabulary's templates, else CAT-Seg's single template.")
    var template: [String] = []

    @Option(help: "Threads for the encoders (default: the core count, or OPENBLAS_NUM_THREADS if set).")
    var threads: Int?

    @Option(help: "Matrix products: reproducible (ovseg's own kernels, the same bits on every x86-64 CPU, default) or openblas.")
    var arithmetic: GEMMArithmetic = .reproducible

    @Option(name: .shortAndLong, help: "Predictions file to write (JSON).")
    var output: String

    @Option(help: "Image labels (CSV image,label or JSON) to score the predictions against, as `ovseg classify score` does.")
    var gt: String?

    @Option(help: "With --gt: the results file to write (*.ovseg.json).")
    var results: String?

    @Option(help: "With --gt: a named seen/unseen split of the scene vocabulary.")
    var split: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if (gt == nil) != (results == nil) { throw ValidationError("--gt and --results go together: score against the labels and write the results file") }
        if split != nil && gt == nil { throw ValidationError("--split applies when scoring: give --gt and --results") }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { BLAS.threadCount = threads }
            BLAS.arithmetic = arithmetic
            // A scene vocabulary (ucmerced, aid, …) or, for tiles, a segmentation vocabulary's classes.
            let scene = try? SceneVocabulary.resolve(vocab)
            let vocabularyKey: String, vocabularyFingerprint: String, templates: [String], classes: [ZeroShotClass]
            if let scene {
                vocabularyKey = scene.key
                vocabularyFingerprint = scene.fingerprint
                templates = template.isEmpty ? scene.promptTemplates : template
                classes = scene.classes.map { ZeroShotClass(label: $0.name, synonyms: $0.synonyms) }
            } else {
                let vocabulary = try Vocabulary.resolve(vocab)
                vocabularyKey = vocabulary.key
                vocabularyFingerprint = vocabulary.fingerprint
                templates = vocabulary.classPrompts(templates: template).templates
                classes = vocabulary.classes.map { ZeroShotClass(label: $0.name, synonyms: $0.synonyms) }
            }
            if gt != nil && scene == nil {
                throw ValidationError("--gt scores against a scene vocabulary (ucmerced, aid, nwpu-resisc45, whu-rs19, patternnet or a file with \"task\": \"scene-classification\"); \(vocab) is not one")
            }
            let inputs: [OutputGuard.Input] = [
                .init(images, role: "the image folder"), .init(checkpoint, role: "the checkpoint"),
            ] + (gt.map { [OutputGuard.Input($0, role: "the labels (\($0))")] } ?? [])
            try OutputGuard.check(output: output, role: "predictions file", inputs: inputs)
            if let results { try OutputGuard.check(output: results, role: "results file", inputs: inputs) }
            // Labels are read before the model runs, so that a bad labels file fails at once.
            let labels = try gt.map { gt in try SceneLabels.read(path: gt, vocabulary: try SceneVocabulary.resolve(vocab)) }
            // Listed before the model loads, so that a wrong folder fails at once.
            let files = try ZeroShotClassifier.listImages(folder: images)
            var settings = ConversionOptions()
            conversion.apply(to: &settings)
            let opened = try ModelCheckpoint(path: checkpoint, conversion: settings)
            if !opened.isPyTorch, let flag = conversion.given.first {
                throw ValidationError("\(flag) applies to a .pth checkpoint, converted in memory; \(checkpoint) is a safetensors checkpoint, which records it")
            }
            if !quiet { Terminal.note("classify run: embedding \(classes.count) classes × \(templates.count) templates") }
            let classifier = try ZeroShotClassifier(checkpoint: opened, prefix: prefix, classes: classes, templates: templates)
            if !quiet { Terminal.note("classify run: classifying \(files.count) images") }
            var predictions: [ZeroShotPrediction] = []
            for file in files {
                predictions.append(try classifier.classify(path: file.path, id: file.id))
            }
            if !quiet { Terminal.note("classify run: hashing the checkpoint") }
            let sha256 = try ZeroShotClassifier.checkpointSHA256(opened)
            let document = Self.document(
                vocabularyKey: vocabularyKey, vocabularyFingerprint: vocabularyFingerprint, classes: classes, templates: templates, predictions: predictions,
                checkpoint: checkpoint, sha256: sha256, prefix: prefix, arithmetic: arithmetic,
                imageSize: classifier.imageSize)
            try JSONCodec.write(document, to: output)
            if !quiet { Terminal.note("classify run: wrote \(predictions.count) predictions to \(output)") }
            if let scene, let labels, let results {
                let record = try SceneScorer.score(
                    labels: labels, predictions: try ScenePredictions.read(path: output, vocabulary: scene), vocabulary: scene,
                    split: try split.map { try scene.split(named: $0) }, method: (URL(fileURLWithPath: checkpoint).lastPathComponent as NSString).deletingPathExtension,
                    command: Provenance.invocation, date: Provenance.now(), host: ProcessInfo.processInfo.hostName, seconds: 0)
                try SceneResultsFile.write(record, to: results)
                if !quiet {
                    print(SceneSummary.render(record), terminator: "")
                    print("wrote \(results)")
                }
            }
        }
    }

    /// The interchange file: schema, vocabulary key, classes in score order, one score row per
    /// image, and the provenance of the scores.
    static func document(
        vocabularyKey: String, vocabularyFingerprint: String, classes: [ZeroShotClass], templates: [String], predictions: [ZeroShotPrediction],
        checkpoint: String, sha256: String, prefix: String, arithmetic: GEMMArithmetic, imageSize: Int
    ) -> JSONValue {
        let rows = predictions.map { prediction in
            JSONValue.object(JSONObject([
                ("image", .string(prediction.image)),
                ("scores", .array(prediction.scores.map { .number($0) })),
            ]))
        }
        let provenance = JSONObject([
            ("tool", .string("ovseg classify run")),
            ("checkpoint", .string(checkpoint)),
            ("checkpoint_sha256", .string(sha256)),
            ("prefix", .string(prefix)),
            ("vocabulary_fingerprint", .string(vocabularyFingerprint)),
            ("templates", .array(templates.map { .string($0) })),
            ("prompt_names", .array(classes.map { .array($0.promptNames.map { .string($0) }) })),
            ("score", .string("cosine")),
            ("image_size", .int(Int64(imageSize))),
            ("preprocessing", .string("shortest edge resized bilinearly (no antialiasing), centre crop, CLIP mean/std")),
            ("arithmetic", .string(arithmetic.rawValue)),
        ])
        return .object(JSONObject([
            ("schema", .string("ovseg.scene-predictions")),
            ("schema_version", .int(1)),
            ("vocabulary", .string(vocabularyKey)),
            ("classes", .array(classes.map { .string($0.label) })),
            ("predictions", .array(rows)),
            ("provenance", .object(provenance)),
        ]))
    }
}
