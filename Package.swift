// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ovseg",
    products: [
        .executable(name: "ovseg", targets: ["ovseg"]),
        .library(name: "OVSegHarness", targets: ["Harness"]),
        .library(name: "OVSegMetrics", targets: ["Metrics"]),
        .library(name: "OVSegVocabulary", targets: ["Vocabulary"]),
        .library(name: "OVSegLabelMaps", targets: ["LabelMaps"]),
        .library(name: "OVSegReports", targets: ["Reports"]),
        .library(name: "OVSegInspection", targets: ["Inspection"]),
        .library(name: "OVSegSyntheticData", targets: ["SyntheticData"]),
        .library(name: "OVSegTensor", targets: ["Tensor"]),
        // Exposed for the fuzz harnesses (Fuzz/Package.swift), which live in their own package.
        .library(name: "OVSegJSON", targets: ["JSON"]),
        .library(name: "OVSegSafeTensors", targets: ["SafeTensors"]),
        .library(name: "OVSegTorchCheckpoint", targets: ["TorchCheckpoint"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // JPEG imagery (eval/embed inputs, report photos) through libjpeg-turbo's TurboJPEG API.
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        // libpng's classic API reports errors by longjmp, which Swift cannot host; this keeps setjmp in C.
        .target(name: "CPNGRaw", dependencies: ["CPNG"]),
        // libtiff reports errors through va_list callbacks and reads tags with a variadic call:
        // this keeps both in C (per-handle error buffer, warnings dropped).
        .target(name: "CTIFFShim", dependencies: ["CTIFF"]),

        .target(name: "FileOutput"),
        .target(name: "Hashing", dependencies: ["COpenSSL"]),
        .target(name: "JSON", dependencies: ["CJSONC", "FileOutput"]),
        .target(name: "LabelMaps", dependencies: ["CPNGRaw", "CTurboJPEG", "CTIFFShim", "FileOutput"]),
        .target(name: "Vocabulary", dependencies: ["JSON", "LabelMaps"], resources: [.copy("../../Vocabularies")]),
        .target(name: "Metrics"),
        .target(name: "CHeap"),
        // The reproducible GEMM: its micro-kernels are written for the optimiser, so they are
        // compiled optimised in every configuration (a debug build would otherwise run them at -O0).
        .target(name: "CGEMM", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Tensor", dependencies: ["CBLAS", "CHeap", "CGEMM"]),
        .target(name: "SafeTensors", dependencies: ["Tensor"]),
        // torch.save zip checkpoints read without Python (a safe pickle subset).
        .target(name: "TorchCheckpoint"),
        // .pth → ovseg's safetensors layout (the reference exporter's key mapping).
        .target(name: "CheckpointConversion", dependencies: ["TorchCheckpoint", "SafeTensors", "FileOutput", "Hashing"]),
        .target(name: "CLIP", dependencies: ["Tensor", "SafeTensors", "CLIPTokenizer"]),
        .target(name: "CostAggregation", dependencies: ["Tensor", "SafeTensors"]),
        .target(
            name: "Segmenter",
            dependencies: ["Tensor", "SafeTensors", "CLIP", "CLIPTokenizer", "EVA02", "CostAggregation", "LabelMaps"]),
        .target(name: "EVA02", dependencies: ["Tensor", "SafeTensors", "CLIP"]),
        // Timing harness driven by scripts/bench/eva02_vs_torch.py.
        .executableTarget(name: "EVA02Bench", dependencies: ["EVA02", "SafeTensors", "Tensor"]),
        // Stage timing of the whole core, driven by scripts/bench/core_vs_torch.py.
        .executableTarget(name: "SegmenterBench", dependencies: ["Segmenter", "Tensor"]),
        // Load time and peak memory of .pth against safetensors, driven by scripts/bench/pth_vs_safetensors.py.
        .executableTarget(name: "CheckpointLoadBench", dependencies: ["TorchCheckpoint", "SafeTensors", "Tensor"]),
        .target(name: "TrainingFree", dependencies: ["CLIP", "Tensor", "SafeTensors", "CLIPTokenizer"]),
        .target(name: "CLIPTokenizer", resources: [.copy("Resources/bpe_merges_48894.txt.gz"), .copy("Resources/LICENSE-bpe-vocabulary.txt")]),
        .target(
            name: "SyntheticData", dependencies: ["LabelMaps", "FileOutput", "Harness", "Metrics", "COCOMasks", "JSON"],
            resources: [.copy("../../Demo")]),
        .target(
            name: "Harness",
            dependencies: [
                "LabelMaps", "Vocabulary", "Metrics", "JSON", "FileOutput", "Hashing",
            ]
        ),
        // Running a checkpoint over a dataset: the library behind `ovseg eval` and the demo's model run.
        .target(
            name: "Evaluation",
            dependencies: [
                "Harness", "Segmenter", "TrainingFree", "CLIP", "CLIPTokenizer", "SafeTensors", "Tensor", "LabelMaps",
                "Vocabulary", "CheckpointConversion", "TorchCheckpoint",
            ]),
        // What label files hold and how they fit a vocabulary (`ovseg inspect`).
        .target(name: "Inspection", dependencies: ["Harness", "LabelMaps", "Vocabulary", "Metrics", "JSON"]),
        .target(name: "Reports", dependencies: ["Harness", "Metrics", "FileOutput", "LabelMaps", "Referring", "VQAScoring", "SceneClassification"]),
        .target(name: "Gate", dependencies: ["Harness", "Metrics", "Reports", "Referring", "VQAScoring", "SceneClassification"]),
        // COCO masks (RLE strings and counts, polygons) decoded exactly as pycocotools does.
        .target(name: "COCOMasks"),
        // Referring / instance mask scoring (`ovseg refer score`): annotations, predictions, cIoU/gIoU/Prec@τ.
        .target(name: "Referring", dependencies: ["COCOMasks", "Harness", "JSON", "LabelMaps", "FileOutput", "Hashing", "Metrics"]),
        // The cross-dataset grid of a suite run (`ovseg suite report`) and the published baselines (bundles `Baselines/`).
        .target(
            name: "SuiteReports", dependencies: ["Harness", "Metrics", "Reports", "JSON", "FileOutput"],
            resources: [.copy("../../Baselines")]),
        // Benchmark suites: suite files, seen/unseen by vocabulary overlap, running every cell (`ovseg suite`).
        .target(name: "Suites", dependencies: ["Harness", "Vocabulary", "Metrics", "JSON", "FileOutput", "LabelMaps"]),
        // RSVQA-style visual question answering scoring (`ovseg vqa score`): answers normalised, accuracy per question type.
        .target(name: "VQAScoring", dependencies: ["Harness", "JSON", "Hashing", "Metrics", "FileOutput"]),
        // Scene classification scoring (`ovseg classify score`): labels, predictions, accuracy/top-5/P/R/F1, results files.
        .target(name: "SceneClassification", dependencies: ["Vocabulary", "Harness", "Metrics", "JSON", "FileOutput", "Hashing"]),
        .executableTarget(
            name: "ovseg",
            dependencies: [
                "Harness", "Inspection", "Reports", "Gate", "SyntheticData", "Vocabulary", "Metrics", "LabelMaps", "JSON",
                "CLIP", "CLIPTokenizer", "SafeTensors", "Tensor", "FileOutput", "Segmenter", "TrainingFree", "Evaluation",
                "TorchCheckpoint", "CheckpointConversion", "SuiteReports", "Referring", "Suites", "VQAScoring", "SceneClassification",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Parity helpers shared by the test targets below (not part of any product).
        .target(name: "ParityTestSupport", dependencies: ["SafeTensors", "Tensor"], path: "Tests/ParityTestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HashingTests", dependencies: ["Hashing"]),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "Harness", "SafeTensors", "Vocabulary", "SyntheticData", "CheckpointConversion", "ParityTestSupport", "Segmenter", "CLIP", "Tensor", "LabelMaps"],
            exclude: ["Fixtures"]),
        .testTarget(name: "LabelMapsTests", dependencies: ["LabelMaps"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VocabularyTests", dependencies: ["Vocabulary", "LabelMaps"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "SyntheticData"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "Harness", "LabelMaps", "Vocabulary"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Harness", "Metrics", "SyntheticData", "LabelMaps"], exclude: ["Fixtures"]),
        .testTarget(name: "GateTests", dependencies: ["Gate", "Harness", "Metrics"], exclude: ["Snapshots"]),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "ovseg", "CLIP", "CLIPTokenizer", "LabelMaps", "SafeTensors", "Segmenter", "Tensor", "TrainingFree", "Vocabulary",
                "ParityTestSupport", "CheckpointConversion",
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorTests", dependencies: ["ParityTestSupport", "Tensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TorchCheckpointTests", dependencies: ["TorchCheckpoint"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CheckpointConversionTests",
            dependencies: ["CheckpointConversion", "TorchCheckpoint", "SafeTensors", "Hashing", "CLIP", "Tensor"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "CLIPTests", dependencies: ["ParityTestSupport", "CLIP", "SafeTensors", "Tensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EVA02Tests", dependencies: ["ParityTestSupport", "EVA02", "CLIP", "SafeTensors", "Tensor"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CostAggregationTests", dependencies: ["ParityTestSupport", "CostAggregation", "SafeTensors", "Tensor"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "SegmenterTests", dependencies: ["ParityTestSupport", "Segmenter", "SafeTensors", "Tensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FileOutputTests", dependencies: ["FileOutput"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TrainingFreeTests", dependencies: ["ParityTestSupport", "TrainingFree", "CLIP", "SafeTensors", "Tensor", "Vocabulary"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "CLIPTokenizerTests", dependencies: ["CLIPTokenizer"], resources: [.copy("Fixtures")]),
        // Checks that every *.md the sources, scripts, reference, README and docs name exists.
        .testTarget(name: "DocumentationTests"),
        .testTarget(
            name: "SuiteReportsTests", dependencies: ["SuiteReports", "Harness", "Metrics", "Reports", "JSON"], exclude: ["Fixtures"]),
        .testTarget(name: "ReferringTests", dependencies: ["Referring", "COCOMasks", "JSON", "Harness"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SuitesTests", dependencies: ["Suites", "Harness", "Vocabulary", "Metrics", "JSON", "SyntheticData"]),
        .testTarget(name: "VQAScoringTests", dependencies: ["VQAScoring", "Harness", "JSON", "Gate", "Reports"]),
        .testTarget(
            name: "SceneClassificationTests", dependencies: ["SceneClassification", "Vocabulary", "Metrics", "JSON", "Gate", "Reports"],
            resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
