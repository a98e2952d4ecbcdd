import Metrics
import Testing

/// Per-image counts where every class of every image has `groundTruth` pixels, `truePositive`
/// of them found and `extra` false positives.
private func table(images: Int, classes: Int, truePositive: (Int, Int) -> UInt64, groundTruth: UInt64 = 100) throws -> ImageCountTable {
    let rows = (0..<images).map { i in
        (0..<classes).map { c in
            let tp = truePositive(i, c)
            return ClassCounts(truePositives: tp, groundTruth: groundTruth, predicted: tp + (groundTruth - tp) / 2)
        }
    }
    return try ImageCountTable(images: rows, classCount: classes)
}

@Suite("Bootstrap")
struct BootstrapTests {
    @Test func seededRunIsDeterministic() throws {
        let a = try table(images: 20, classes: 4) { i, c in UInt64(40 + (i * 7 + c * 13) % 50) }
        let b = try table(images: 20, classes: 4) { i, c in UInt64(35 + (i * 11 + c * 5) % 60) }
        let configuration = BootstrapConfiguration(resamples: 200, level: 0.95, seed: 42)
        let first = try Bootstrap.run(methods: [a, b], baseline: 0, seen: [0, 1], unseen: [2, 3], policy: .unionPresent, configuration: configuration)
        let second = try Bootstrap.run(methods: [a, b], baseline: 0, seen: [0, 1], unseen: [2, 3], policy: .unionPresent, configuration: configuration)
        #expect(first == second)
        var other = configuration
        other.seed = 43
        let third = try Bootstrap.run(methods: [a, b], baseline: 0, seen: [0, 1], unseen: [2, 3], policy: .unionPresent, configuration: other)
        #expect(first != third)
    }

    @Test func generatorSequenceIsPinned() {
        // Checked against an independent Python implementation of SplitMix64 + xoshiro256** (seed 0);
        // a change here would move every published interval.
        var generator = Xoshiro256StarStar(seed: 0)
        let values: [UInt64] = (0..<3).map { _ in generator.next() }
        var again = Xoshiro256StarStar(seed: 0)
        let repeated: [UInt64] = (0..<3).map { _ in again.next() }
        #expect(values == repeated)
        #expect(values == BootstrapTests.pinnedSeedZero)
        var bounded = Xoshiro256StarStar(seed: 7)
        let draws: [UInt64] = (0..<1000).map { _ in bounded.next(below: 10) }
        #expect(draws.allSatisfy { $0 < 10 })
        #expect(Set(draws).count == 10)
    }

    static let pinnedSeedZero: [UInt64] = [11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768]

    @Test func betterOnEveryImageExcludesZero() throws {
        let baseline = try table(images: 30, classes: 3) { i, c in UInt64(40 + (i + c) % 10) }
        let better = try table(images: 30, classes: 3) { i, c in UInt64(70 + (i * 3 + c) % 20) }
        let result = try Bootstrap.run(
            methods: [baseline, better], baseline: 0, seen: [0, 1], unseen: [2], policy: .unionPresent,
            configuration: BootstrapConfiguration(resamples: 300, seed: 1))
        for metric in BootstrapMetric.allCases {
            let difference = result.difference(method: 1, metric)
            let interval = try #require(difference.interval)
            #expect(interval.lower > 0, "\(metric.label)")
            #expect(difference.isSignificant)
            #expect(difference.shareAtMostZero == 0)
            #expect(difference.definedResamples == 300)
        }
    }

    @Test func identicalMethodsGiveExactlyZero() throws {
        let method = try table(images: 25, classes: 3) { i, c in UInt64(30 + (i * 5 + c * 3) % 60) }
        let result = try Bootstrap.run(
            methods: [method, method], baseline: 0, seen: [0], unseen: [1, 2], policy: .unionPresent,
            configuration: BootstrapConfiguration(resamples: 200, seed: 9))
        for metric in BootstrapMetric.allCases {
            let difference = result.difference(method: 1, metric)
            let interval = try #require(difference.interval)
            #expect(interval == ConfidenceInterval(lower: 0, upper: 0))
            #expect(interval.contains(0))
            #expect(!difference.isSignificant)
            #expect(difference.shareAtMostZero == 1)
        }
    }

    @Test func observedValueLiesInsideItsInterval() throws {
        let rows: [[ClassCounts]] = (0..<40).map { i in
            (0..<5).map { c in
                let tp = UInt64(20 + (i * 13 + c * 7) % 75)
                return ClassCounts(truePositives: tp, groundTruth: 100, predicted: tp + 10)
            }
        }
        let totals: [ClassCounts] = (0..<5).map { c in
            rows.reduce(ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0)) { sum, row in
                ClassCounts(
                    truePositives: sum.truePositives + row[c].truePositives, groundTruth: sum.groundTruth + row[c].groundTruth,
                    predicted: sum.predicted + row[c].predicted)
            }
        }
        let observed = try #require(Scores(classCounts: totals).meanIoU)
        let result = try Bootstrap.run(
            methods: [try ImageCountTable(images: rows, classCount: 5)], baseline: 0, seen: nil, unseen: nil,
            policy: .unionPresent, configuration: BootstrapConfiguration(resamples: 500, seed: 3))
        let interval = try #require(result.methods[0].interval(.meanIoU))
        #expect(interval.lower < observed && observed < interval.upper)
        #expect(result.methods[0].interval(.seen) == nil)
    }

    @Test func countsResamplesWithAnUndefinedClass() throws {
        // Class 1 occurs in image 0 only: it is undefined whenever image 0 is not drawn.
        var rows: [[ClassCounts]] = (0..<10).map { _ in
            [ClassCounts(truePositives: 50, groundTruth: 60, predicted: 55), ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0)]
        }
        rows[0][1] = ClassCounts(truePositives: 5, groundTruth: 10, predicted: 6)
        let method = try ImageCountTable(images: rows, classCount: 2)
        let result = try Bootstrap.run(
            methods: [method], baseline: 0, seen: nil, unseen: nil, policy: .unionPresent,
            configuration: BootstrapConfiguration(resamples: 1000, seed: 5))
        let undefined = result.methods[0].undefinedClassResamples
        #expect(undefined[0] == 0)
        // P(image 0 never drawn in 10 draws) = 0.9^10 ≈ 0.349.
        #expect(undefined[1] > 280 && undefined[1] < 420)
    }

    @Test func percentileIntervalInterpolatesLikeNumpy() throws {
        let interval = try #require(Bootstrap.percentileInterval([5, 1, 4, 2, 3], level: 0.5))
        #expect(interval == ConfidenceInterval(lower: 2, upper: 4))
        let wide = try #require(Bootstrap.percentileInterval([0, 10], level: 0.9))
        #expect(abs(wide.lower - 0.5) < 1e-12 && abs(wide.upper - 9.5) < 1e-12)
        #expect(Bootstrap.percentileInterval([], level: 0.95) == nil)
    }

    @Test func rejectsMismatchedMethods() throws {
        let a = try table(images: 5, classes: 2) { _, _ in 50 }
        let b = try table(images: 6, classes: 2) { _, _ in 50 }
        #expect(throws: MetricsError.self) {
            try Bootstrap.run(methods: [a, b], baseline: 0, seen: nil, unseen: nil, policy: .unionPresent)
        }
        #expect(throws: MetricsError.self) {
            try Bootstrap.run(methods: [a], baseline: 0, seen: nil, unseen: nil, policy: .unionPresent,
                              configuration: BootstrapConfiguration(resamples: 10, level: 1.5))
        }
    }
}
