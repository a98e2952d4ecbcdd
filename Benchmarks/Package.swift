// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so `swift build` / `swift test` of ovseg never resolve
// or compile package-benchmark. Run: swift package --package-path Benchmarks benchmark
let package = Package(
    name: "ovseg-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ovseg", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
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
    ],
    swiftLanguageModes: [.v6]
)
