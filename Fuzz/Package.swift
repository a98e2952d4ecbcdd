// swift-tools-version: 6.1
// libFuzzer harnesses, in their own package so `swift build` / `swift test` of ovseg and CI never
// build them. Each harness's main.swift hands its input function to libFuzzer's driver. Build and run
// through scripts/fuzz.sh, which passes -sanitize=fuzzer,address to every module.
import PackageDescription

let package = Package(
    name: "ovseg-fuzz",
    dependencies: [
        .package(name: "ovseg", path: ".."),
    ],
    targets: [
        // Declares LLVMFuzzerRunDriver for the harnesses' main.swift.
        .target(name: "FuzzerDriver", path: "Harnesses/FuzzerDriver"),
        // LabelMapReader.decode: PNG and TIFF label files (and the JPEG refusal) through format sniffing.
        .executableTarget(
            name: "FuzzLabelMap",
            dependencies: ["FuzzerDriver", .product(name: "OVSegLabelMaps", package: "ovseg")],
            path: "Harnesses/FuzzLabelMap"),
        // RasterImage.decode: PNG, JPEG and TIFF photos.
        .executableTarget(
            name: "FuzzRasterImage",
            dependencies: ["FuzzerDriver", .product(name: "OVSegLabelMaps", package: "ovseg")],
            path: "Harnesses/FuzzRasterImage"),
        // SafeTensorsFile(bytes:) header parsing, then every tensor read.
        .executableTarget(
            name: "FuzzSafeTensors",
            dependencies: ["FuzzerDriver", .product(name: "OVSegSafeTensors", package: "ovseg")],
            path: "Harnesses/FuzzSafeTensors"),
        // TorchCheckpoint(bytes:): zip container and pickle, state dict, every tensor's bytes.
        .executableTarget(
            name: "FuzzTorchCheckpoint",
            dependencies: ["FuzzerDriver", .product(name: "OVSegTorchCheckpoint", package: "ovseg")],
            path: "Harnesses/FuzzTorchCheckpoint"),
        // JSONCodec.parse, then ResultsFile.decode and Vocabulary.parse on the same bytes.
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [
                "FuzzerDriver",
                .product(name: "OVSegJSON", package: "ovseg"),
                .product(name: "OVSegHarness", package: "ovseg"),
                .product(name: "OVSegVocabulary", package: "ovseg"),
            ],
            path: "Harnesses/FuzzJSON"),
    ],
    swiftLanguageModes: [.v6]
)
