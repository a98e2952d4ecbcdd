import Foundation
import Metrics
import Testing

/// Per-class IoU intervals of the bootstrap, against hand-computed cases and against
/// scripts/fixtures/make_bootstrap_fixtures.py (its own generator, numpy sums and np.percentile).
@Suite("Bootstrap per-class intervals")
struct BootstrapClassIntervalTests {
    /// Two images: every resample is (2, 0), (1, 1) or (0, 2) draws, each of the extremes with
    /// probability 1/4, so with 400 resamples the 2.5 % and 97.5 % order statistics are the smallest
    /// and the largest of the three possible IoUs.
    @Test func twoImagesGiveTheExtremesOfTheThreePossibleResamples() throws {
        let rows: [[ClassCounts]] = [
            [
                ClassCounts(truePositives: 1, groundTruth: 2, predicted: 2),  // IoU 1/3
                ClassCounts(truePositives: 1, groundTruth: 1, predicted: 2),  // IoU 1/2
                ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0),
            ],
            [
                ClassCounts(truePositives: 3, groundTruth: 3, predicted: 3),  // IoU 1
                ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0),  // absent
                ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0),
            ],
        ]
        let result = try Bootstrap.run(
            methods: [try ImageCountTable(images: rows, classCount: 3)], baseline: 0, seen: nil, unseen: nil,
            policy: .unionPresent, configuration: BootstrapConfiguration(resamples: 400, level: 0.95, seed: 3))
        let method = result.methods[0]
        // Class 0: image 0 alone 1/3, both (4 / 6) 2/3, image 1 alone 1.
        #expect(method.interval(ofClass: 0) == ConfidenceInterval(lower: 1.0 / 3.0, upper: 1))
        // Class 1: 1/2 alone and doubled (2 / 4); undefined when only image 1 is drawn.
        #expect(method.interval(ofClass: 1) == ConfidenceInterval(lower: 0.5, upper: 0.5))
        // Class 2 never occurs: no interval, undefined in every resample.
        #expect(method.interval(ofClass: 2) == nil)
        #expect(method.undefinedClassResamples[2] == 400)
        // Only-image-1 resamples: about 1/4 of 400.
        #expect(method.undefinedClassResamples[1] > 60 && method.undefinedClassResamples[1] < 140)
    }

    /// One image: every resample draws it once, so each interval is the image's own IoU.
    @Test func oneImageGivesPointIntervals() throws {
        let rows: [[ClassCounts]] = [[
            ClassCounts(truePositives: 2, groundTruth: 5, predicted: 4),  // 2 / 7
            ClassCounts(truePositives: 0, groundTruth: 0, predicted: 9),  // 0
        ]]
        let result = try Bootstrap.run(
            methods: [try ImageCountTable(images: rows, classCount: 2)], baseline: 0, seen: nil, unseen: nil,
            policy: .unionPresent, configuration: BootstrapConfiguration(resamples: 20, seed: 1))
        #expect(result.methods[0].classIntervals == [
            ConfidenceInterval(lower: 2.0 / 7.0, upper: 2.0 / 7.0), ConfidenceInterval(lower: 0, upper: 0),
        ])
    }

    /// Every per-class interval, every metric interval and every undefined count of the oracle.
    @Test func matchesTheNumpyOracle() throws {
        let url = try #require(Bundle.module.url(forResource: "bootstrap_cases", withExtension: "json", subdirectory: "Fixtures"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        #expect(cases.count == 4)
        for raw in cases {
            let name = try #require(raw["name"] as? String)
            let methods = try #require(raw["methods"] as? [[[[Int]]]])
            let tables = try methods.map { images in
                try ImageCountTable(
                    images: images.map { classes in
                        classes.map { ClassCounts(truePositives: UInt64($0[0]), groundTruth: UInt64($0[1]), predicted: UInt64($0[2])) }
                    },
                    classCount: images[0].count)
            }
            let configuration = BootstrapConfiguration(
                resamples: try #require(raw["resamples"] as? Int), level: try #require(raw["level"] as? Double),
                seed: UInt64(try #require(raw["seed"] as? Int)))
            // The oracle's generator drew the same first resample.
            var generator = Xoshiro256StarStar(seed: configuration.seed)
            var weights = [Int](repeating: 0, count: tables[0].imageCount)
            for _ in 0..<tables[0].imageCount { weights[Int(generator.next(below: UInt64(tables[0].imageCount)))] += 1 }
            #expect(weights == raw["first_weights"] as? [Int], "\(name)")

            let result = try Bootstrap.run(
                methods: tables, baseline: 0, seen: raw["seen"] as? [Int], unseen: raw["unseen"] as? [Int],
                policy: .unionPresent, configuration: configuration)
            let expected = try #require(raw["expected"] as? [[String: Any]])
            for (m, oracle) in expected.enumerated() {
                let method = result.methods[m]
                #expect(method.undefinedClassResamples == oracle["undefined_class_resamples"] as? [Int], "\(name) method \(m)")
                let classIntervals = try #require(oracle["class_intervals"] as? [Any])
                #expect(method.classIntervals.count == classIntervals.count)
                for (c, value) in classIntervals.enumerated() {
                    expectInterval(method.interval(ofClass: c), value, "\(name) method \(m) class \(c)")
                }
                let metricIntervals = try #require(oracle["metric_intervals"] as? [Any])
                for metric in BootstrapMetric.allCases {
                    expectInterval(method.interval(metric), metricIntervals[metric.rawValue], "\(name) method \(m) \(metric.label)")
                }
            }
        }
    }

    private func expectInterval(
        _ actual: ConfidenceInterval?, _ expected: Any, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let bounds = expected as? [Double], bounds.count == 2 else {
            #expect(actual == nil, "\(what): expected no interval, got \(String(describing: actual))", sourceLocation: sourceLocation)
            return
        }
        guard let actual else {
            Issue.record("\(what): expected \(bounds), got no interval", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(actual.lower - bounds[0]) <= 1e-12, "\(what) lower: \(actual.lower) vs \(bounds[0])", sourceLocation: sourceLocation)
        #expect(abs(actual.upper - bounds[1]) <= 1e-12, "\(what) upper: \(actual.upper) vs \(bounds[1])", sourceLocation: sourceLocation)
    }
}
