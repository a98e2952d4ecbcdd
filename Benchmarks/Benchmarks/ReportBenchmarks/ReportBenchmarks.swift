import Benchmark
import Metrics
import Reports
import SyntheticData

/// Report generation for 10 methods × 20 classes × 500 images, 1000 bootstrap resamples:
/// the figure issue 4 bounds at one second. Measures building the report (tables, paired
/// bootstrap, charts) and rendering Markdown, HTML and SVG, not file writing.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 10
    )
    let inputs: [ReportInput]
    do {
        inputs = try SyntheticRuns.records(methods: 10, classes: 20, images: 500, seed: 1).enumerated().map {
            ReportInput(record: $0.element, path: "run\($0.offset).ovseg.json")
        }
    } catch {
        fatalError("cannot build the synthetic workload: \(error)")
    }
    let options = ReportOptions(title: "benchmark", bootstrap: BootstrapConfiguration(resamples: 1000, seed: 0))

    Benchmark("report 10 methods × 20 classes × 500 images, B=1000") { benchmark in
        for _ in benchmark.scaledIterations {
            do {
                let report = try Report(inputs: inputs, options: options)
                blackHole(ReportFiles.contents(of: report))
            } catch {
                fatalError("report failed: \(error)")
            }
        }
    }
}
