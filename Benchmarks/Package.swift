// swift-tools-version: 6.1
// Benchmarks live in their own package so `swift build` / `swift test` of ovseg never pay for them.
// Run from the repository root: swift package --package-path Benchmarks benchmark
import PackageDescription

let package = Package(
    name: "ovseg-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ovseg", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ScoringBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OVSegHarness", package: "ovseg"),
                .product(name: "OVSegMetrics", package: "ovseg"),
                .product(name: "OVSegVocabulary", package: "ovseg"),
                .product(name: "OVSegSyntheticData", package: "ovseg"),
            ],
            path: "Benchmarks/ScoringBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OVSegReports", package: "ovseg"),
                .product(name: "OVSegSyntheticData", package: "ovseg"),
                .product(name: "OVSegMetrics", package: "ovseg"),
            ],
            path: "Benchmarks/ReportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TensorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OVSegTensor", package: "ovseg"),
            ],
            path: "Benchmarks/TensorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
