import Benchmark
import Foundation
import Harness
import Metrics
import SyntheticData
import Vocabulary

/// The scoring path: pixel counting alone, and decode + count of a generated dataset on disk.
/// Throughput is reported in images; wall clock on a shared 2-core machine is noisy, so CI does
/// not gate on these numbers (scripts/bench/score_vs_python.sh compares with Python in one run).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident, .throughput],
        warmupIterations: 1,
        maxDuration: .seconds(5),
        maxIterations: 50
    )

    // Pixel counting on one 512×512 pair, 6 classes.
    let generator = SceneGenerator(width: 512, height: 512)
    let scene = generator.scene(index: 0, seed: 1)
    let prediction = SimulatedMethod.classConfusion.predict(scene, seed: 1)
    let counter = PixelCounter(policy: PixelPolicy(classCount: 6))
    Benchmark("count 512×512 pair") { benchmark in
        for _ in benchmark.scaledIterations {
            var matrix = ConfusionMatrix(classCount: 6)
            try counter.count(groundTruth: scene.labels.values, prediction: prediction.values, into: &matrix)
            blackHole(matrix)
        }
    }

    // Decode + count + hash of 32 generated 512×512 pairs from disk, all cores.
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-bench-\(getpid())").path
    let dataset = SampleDataset(imageCount: 32, width: 512, height: 512, seed: 3)
    Benchmark(
        "score 32 images 512×512",
        configuration: .init(scalingFactor: .one, setup: { try dataset.write(to: root, methods: [.classConfusion]) },
                             teardown: { try? FileManager.default.removeItem(atPath: root) })
    ) { benchmark in
        let vocabulary = try Vocabulary.load(key: SampleDataset.vocabularyKey)
        for _ in benchmark.scaledIterations {
            let record = try Scorer.score(
                groundTruthDirectory: dataset.groundTruthDirectory(in: root),
                predictionDirectory: dataset.predictionDirectory(in: root, method: .classConfusion),
                options: ScoreOptions(vocabulary: vocabulary, method: "bench"))
            blackHole(record)
        }
    }
}
