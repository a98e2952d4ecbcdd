import Testing

@testable import Metrics

/// Collapse diagnostics on hand-built matrices: K = 4, seen {0, 1}, unseen {2, 3}.
@Suite("Collapse onto seen classes")
struct CollapseTests {
    /// Row 2 = [5, 3, 10, 2]: 20 pixels, 8 to seen classes (5 to class 0), 2 to unseen class 3, 10 correct.
    func matrix(row3: [UInt64] = [0, 0, 0, 0]) throws -> ConfusionMatrix {
        var counts = [UInt64](repeating: 0, count: 16)
        counts[0] = 7
        counts[5] = 9
        for (p, value) in [UInt64(5), 3, 10, 2].enumerated() { counts[2 * 4 + p] = value }
        for (p, value) in row3.enumerated() { counts[3 * 4 + p] = value }
        return try ConfusionMatrix(classCount: 4, counts: counts)
    }

    @Test func perClassAndOverallRates() throws {
        let diagnostics = CollapseDiagnostics(matrix: try matrix(), seen: [0, 1], unseen: [2, 3])
        #expect(diagnostics.classes.map(\.id) == [2, 3])
        let car = diagnostics.classes[0]
        #expect(car.groundTruth == 20)
        #expect(car.predictedSeen == 8)
        #expect(car.predictedOtherUnseen == 2)
        #expect(car.correct == 10)
        #expect(car.topSeenTarget?.id == 0)
        #expect(car.topSeenTarget?.pixels == 5)
        #expect(car.collapseRate == 0.4)
        // Class 3 is absent from the ground truth: undefined, and it adds nothing to the totals.
        #expect(diagnostics.classes[1].collapseRate == nil)
        #expect(diagnostics.classes[1].topSeenTarget == nil)
        #expect(diagnostics.unseenPixels == 20)
        #expect(diagnostics.unseenPredictedSeen == 8)
        #expect(diagnostics.collapseRate == 0.4)
    }

    @Test func overallRateIsPixelWeighted() throws {
        // Row 3 = [30, 0, 0, 10]: 40 pixels, 30 to seen. Overall (8 + 30) / (20 + 40), not the mean of 0.4 and 0.75.
        let diagnostics = CollapseDiagnostics(matrix: try matrix(row3: [30, 0, 0, 10]), seen: [0, 1], unseen: [2, 3])
        #expect(diagnostics.classes[1].collapseRate == 0.75)
        #expect(diagnostics.collapseRate == 38.0 / 60.0)
    }

    @Test func voidPredictionsCountInTheAreaOnly() throws {
        var m = try matrix()
        m.addVoidPrediction(groundTruth: 2, count: 5)
        let diagnostics = CollapseDiagnostics(matrix: m, seen: [0, 1], unseen: [2, 3])
        #expect(diagnostics.classes[0].groundTruth == 25)
        #expect(diagnostics.classes[0].predictedSeen == 8)
        #expect(diagnostics.collapseRate == 8.0 / 25.0)
    }

    @Test func tiesGoToTheLowerSeenId() throws {
        let diagnostics = CollapseDiagnostics(matrix: try matrix(row3: [4, 4, 0, 1]), seen: [0, 1], unseen: [2, 3])
        #expect(diagnostics.classes[1].topSeenTarget?.id == 0)
    }

    @Test func noUnseenPixelsIsUndefined() throws {
        let diagnostics = CollapseDiagnostics(matrix: try matrix(), seen: [0, 1, 2], unseen: [3])
        #expect(diagnostics.collapseRate == nil)
        #expect(CollapseDiagnostics(matrix: try matrix(), seen: [0, 1, 2, 3], unseen: []).classes.isEmpty)
    }
}
