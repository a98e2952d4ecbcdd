import Harness
import Metrics

/// Results of imaginary methods built directly as counts, without label maps: a workload of any
/// size for report benchmarks (e.g. 10 methods × 20 classes × 500 images).
public enum SyntheticRuns {
    /// `methods` runs on the same `images` images of `classes` classes; method m finds a share of
    /// each class that falls with m, so the runs differ. Deterministic in `seed`.
    public static func records(methods: Int, classes: Int, images: Int, seed: UInt64 = 1) throws -> [RunRecord] {
        precondition(methods > 0 && classes > 1 && images > 0, "need at least one method, two classes and one image")
        let names = (0..<classes).map { "class \($0)" }
        let seen = Array(stride(from: 0, to: classes, by: 2))
        let unseen = Array(stride(from: 1, to: classes, by: 2))
        var records: [RunRecord] = []
        for m in 0..<methods {
            var random = SeededGenerator(seed: seed &* 1_000_003 &+ UInt64(m))
            var total = ConfusionMatrix(classCount: classes)
            var imageRecords: [ImageRecord] = []
            for i in 0..<images {
                var matrix = ConfusionMatrix(classCount: classes)
                // Ground truth is the same for every method: drawn from a generator seeded by the image only.
                var truth = SeededGenerator(seed: seed ^ UInt64(i) &* 0x9E37_79B9)
                for g in 0..<classes {
                    let area = truth.chance(0.8) ? UInt64(truth.int(0...2000)) : 0
                    guard area > 0 else { continue }
                    let hitRate = max(0.05, 0.9 - 0.04 * Double(m) - 0.3 * random.unit())
                    let hits = UInt64(Double(area) * hitRate)
                    matrix[g, g] = hits
                    let wrong = (g + 1 + random.int(0...(classes - 2))) % classes
                    matrix[g, wrong] += area - hits
                }
                try total.add(matrix)
                imageRecords.append(ImageRecord(
                    id: "image_\(i)", groundTruthSHA256: "sha256:synthetic", predictionSHA256: "sha256:synthetic",
                    width: 64, height: 64, counts: matrix.classCounts))
            }
            records.append(RunRecord(
                method: "method \(m)",
                vocabulary: VocabularyInfo(
                    key: "synthetic", name: "Synthetic", fingerprint: "fnv1a64:synthetic", classNames: names,
                    colors: (0..<classes).map { [UInt8(truncatingIfNeeded: $0 * 53), UInt8(truncatingIfNeeded: $0 * 97), 128] }),
                split: SplitInfo(name: "alternate", seenIDs: seen, unseenIDs: unseen, source: "synthetic", inferred: false),
                policy: EvaluationPolicy(
                    presence: .unionPresent, ignoreValues: [255], ignoreColors: [], reduceZeroLabel: false,
                    outOfRangeGroundTruth: .error, outOfRangePrediction: .error),
                dataset: DatasetInfo(groundTruthDirectory: "gt", predictionDirectory: "pred/\(m)", fingerprint: "sha256:synthetic"),
                shard: nil, matrix: total, images: imageRecords,
                provenance: Provenance(version: OVSegVersion.current, command: ["synthetic"], date: "2026-01-01T00:00:00Z",
                                       host: "synthetic", seconds: 0, threads: 1)))
        }
        return records
    }
}
