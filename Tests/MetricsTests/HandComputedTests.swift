import Testing

@testable import Metrics

/// The worked example of docs/metrics.md §8, computed by hand: K = 6, ignore 255, 11 pixels.
@Suite("Hand-computed cases")
struct HandComputedTests {
    static let groundTruth: [UInt16] = [0, 0, 1, 1, 2, 255, 3, 3, 3, 1, 1]
    static let prediction: [UInt16] = [0, 1, 1, 1, 3, 0, 3, 2, 3, 1, 4]

    func goldenMatrix() throws -> ConfusionMatrix {
        var matrix = ConfusionMatrix(classCount: 6)
        try PixelCounter(policy: PixelPolicy(classCount: 6)).count(
            groundTruth: Self.groundTruth, prediction: Self.prediction, into: &matrix)
        return matrix
    }

    @Test func perClassCounts() throws {
        let counts = try goldenMatrix().classCounts
        #expect(counts.map(\.truePositives) == [1, 3, 0, 2, 0, 0])
        #expect(counts.map(\.groundTruth) == [2, 4, 1, 3, 0, 0])
        #expect(counts.map(\.predicted) == [1, 4, 1, 3, 1, 0])
        #expect(counts.map(\.union) == [2, 5, 2, 4, 1, 0])
        #expect(try goldenMatrix().evaluatedPixels == 10)
    }

    @Test func presencePolicies() throws {
        let matrix = try goldenMatrix()
        #expect(Scores(matrix: matrix, policy: .unionPresent).meanIoU == 1.6 / 5)
        #expect(Scores(matrix: matrix, policy: .gtPresent).meanIoU == 1.6 / 4)
        #expect(Scores(matrix: matrix, policy: .allZero).meanIoU == 1.6 / 6)
        let scores = Scores(matrix: matrix)
        #expect(scores.classIoU[4] == 0)
        #expect(scores.classIoU[5] == nil)
        #expect(scores.pixelAccuracy == 0.6)
        #expect(abs((scores.meanAccuracy ?? -1) - (0.5 + 0.75 + 0 + 2.0 / 3) / 4) < 1e-15)
        #expect(abs((scores.frequencyWeightedIoU ?? -1) - 0.49) < 1e-15)
        #expect(abs((scores.meanDice ?? -1) - 0.41666666666666667) < 1e-12)
        #expect(Percent.format(scores.meanIoU) == "32.00")
    }

    @Test func seenUnseenUnderEachPolicy() throws {
        let matrix = try goldenMatrix()
        let seen = [0, 1]
        let unseen = [2, 3, 4, 5]
        let union = Scores(matrix: matrix).split(seen: seen, unseen: unseen)
        #expect(union.seen == 0.55)
        #expect(abs((union.unseen ?? -1) - 0.5 / 3) < 1e-15)
        #expect(abs((union.harmonic ?? -1) - 0.2558139534883721) < 1e-15)
        let gt = Scores(matrix: matrix, policy: .gtPresent).split(seen: seen, unseen: unseen)
        #expect(gt.unseen == 0.25)
        #expect(abs((gt.harmonic ?? -1) - 0.34375) < 1e-15)
        let zero = Scores(matrix: matrix, policy: .allZero).split(seen: seen, unseen: unseen)
        #expect(zero.unseen == 0.125)
        #expect(abs((zero.harmonic ?? -1) - 2 * 0.55 * 0.125 / 0.675) < 1e-15)
    }

    @Test func harmonicEdgeCases() {
        #expect(SplitScores(seen: 0, unseen: 0.5).harmonic == 0)
        #expect(SplitScores(seen: 0.5, unseen: 0).harmonic == 0)
        #expect(SplitScores(seen: 0, unseen: 0).harmonic == 0)
        #expect(SplitScores(seen: nil, unseen: 0.5).harmonic == nil)
        #expect(SplitScores(seen: 0.5, unseen: nil).harmonic == nil)
        #expect(SplitScores(seen: 0.6, unseen: 0.6).harmonic == 0.6)
        // Computed on unrounded fractions: 91.9 / 77.8 (ZegCLIP README) gives 84.26…, not from rounded inputs.
        let h = SplitScores(seen: 0.919, unseen: 0.778).harmonic ?? 0
        #expect(Percent.format(h) == "84.26")
    }

    @Test func emptySideIsUndefined() throws {
        // Only class 0 occurs: the unseen side has no class that enters the mean.
        var matrix = ConfusionMatrix(classCount: 3)
        try PixelCounter(policy: PixelPolicy(classCount: 3)).count(
            groundTruth: [0, 0, 255], prediction: [0, 0, 2], into: &matrix)
        let split = Scores(matrix: matrix).split(seen: [0], unseen: [1])
        #expect(split.seen == 1)
        #expect(split.unseen == nil)
        #expect(split.harmonic == nil)
        #expect(Percent.format(split.unseen) == "—")
    }

    @Test func allIgnoredIsUndefinedEverywhere() throws {
        var matrix = ConfusionMatrix(classCount: 2)
        try PixelCounter(policy: PixelPolicy(classCount: 2)).count(
            groundTruth: [255, 255], prediction: [0, 1], into: &matrix)
        let scores = Scores(matrix: matrix)
        #expect(scores.meanIoU == nil)
        #expect(scores.pixelAccuracy == nil)
        #expect(matrix.evaluatedPixels == 0)
    }

    @Test func outOfRangeGroundTruthIsAnErrorByDefault() {
        var matrix = ConfusionMatrix(classCount: 3)
        #expect(throws: OutOfRangeValue(side: .groundTruth, value: 7, pixelIndex: 2)) {
            try PixelCounter(policy: PixelPolicy(classCount: 3)).count(
                groundTruth: [0, 1, 7, 9], prediction: [0, 1, 2, 2], into: &matrix)
        }
        #expect(matrix == ConfusionMatrix(classCount: 3), "nothing is added on error")
    }

    @Test func outOfRangePredictionIsAnErrorByDefault() {
        var matrix = ConfusionMatrix(classCount: 3)
        #expect(throws: OutOfRangeValue(side: .prediction, value: 3, pixelIndex: 1)) {
            try PixelCounter(policy: PixelPolicy(classCount: 3)).count(
                groundTruth: [0, 1], prediction: [0, 3], into: &matrix)
        }
    }

    @Test func optInOutOfRangePolicies() throws {
        // GT 7 is out of range, prediction 9 is out of range.
        let gt: [UInt16] = [0, 7, 1, 1]
        let pred: [UInt16] = [0, 2, 9, 1]
        var ignored = ConfusionMatrix(classCount: 3)
        try PixelCounter(policy: PixelPolicy(classCount: 3, outOfRangeGroundTruth: .ignore, outOfRangePrediction: .void))
            .count(groundTruth: gt, prediction: pred, into: &ignored)
        let ignoredCounts = ignored.classCounts
        #expect(ignoredCounts.map(\.groundTruth) == [1, 2, 0])
        #expect(ignoredCounts.map(\.predicted) == [1, 1, 0])
        #expect(ignoredCounts[1].falseNegatives == 1)

        var mmseg = ConfusionMatrix(classCount: 3)
        try PixelCounter(policy: PixelPolicy(
            classCount: 3, outOfRangeGroundTruth: .mmsegCompatible, outOfRangePrediction: .void))
            .count(groundTruth: gt, prediction: pred, into: &mmseg)
        let mmsegCounts = mmseg.classCounts
        // The prediction 2 on the unlabeled pixel becomes a false positive of class 2.
        #expect(mmsegCounts.map(\.predicted) == [1, 1, 1])
        #expect(mmsegCounts.map(\.groundTruth) == [1, 2, 0])
        #expect(Scores(matrix: mmseg).classIoU[2] == 0)
        #expect(mmseg.evaluatedPixels == 3)
    }

    @Test func reduceZeroLabelFollowsMmseg() throws {
        // raw 0 and 255 are ignored, raw v is class v - 1.
        var matrix = ConfusionMatrix(classCount: 2)
        try PixelCounter(policy: PixelPolicy(classCount: 2, reduceZeroLabel: true)).count(
            groundTruth: [0, 1, 2, 255, 2], prediction: [1, 0, 1, 0, 0], into: &matrix)
        #expect(matrix.counts == [1, 0, 1, 1])
    }

    @Test func matricesOfDifferentSizesDoNotAdd() {
        var a = ConfusionMatrix(classCount: 2)
        #expect(throws: MetricsError.self) { try a.add(ConfusionMatrix(classCount: 3)) }
        #expect(throws: MetricsError.self) { _ = try ConfusionMatrix(classCount: 2, counts: [1, 2, 3]) }
    }
}
