import Testing

@testable import Metrics

@Suite("Prediction encodings and their diagnostics")
struct PredictionEncodingTests {
    static let groundTruth: [UInt16] = [0, 0, 1, 1, 2, 255, 2]
    /// Class ids of a prediction with one miss (pixel 1 predicted as 1).
    static let ids: [UInt16] = [0, 1, 1, 1, 2, 0, 2]

    func count(_ prediction: [UInt16], _ policy: PixelPolicy) throws(OutOfRangeValue) -> ConfusionMatrix {
        var matrix = ConfusionMatrix(classCount: policy.classCount)
        try PixelCounter(policy: policy).count(groundTruth: Self.groundTruth, prediction: prediction, into: &matrix)
        return matrix
    }

    @Test func mmsegIDsPlusOneCountLikeTheIDs() throws {
        let expected = try count(Self.ids, PixelPolicy(classCount: 3))
        let plusOne = Self.ids.map { $0 + 1 }
        #expect(try count(plusOne, PixelPolicy(classCount: 3, predictionEncoding: .reduceZeroLabel)) == expected)
        #expect(try count(plusOne, PixelPolicy(classCount: 3, predictionEncoding: .offset(1))) == expected)
        let plusFour = Self.ids.map { $0 + 4 }
        #expect(try count(plusFour, PixelPolicy(classCount: 3, predictionEncoding: .offset(4))) == expected)
        #expect(try count(Self.ids, PixelPolicy(classCount: 3, predictionEncoding: .offset(0))) == expected)
    }

    @Test func valuesThatStandForNoClassAreOutOfRangeWithTheirRawValue() throws {
        // Under reduce_zero_label, 0 stands for no class; the error names the raw value in the file.
        #expect(throws: OutOfRangeValue(side: .prediction, value: 0, pixelIndex: 2)) {
            try count([1, 1, 0, 2, 3, 1, 3], PixelPolicy(classCount: 3, predictionEncoding: .reduceZeroLabel))
        }
        // 255 too, even when 255 − 1 would be a class of a large vocabulary.
        #expect(PredictionEncoding.reduceZeroLabel.classID(ofRaw: 255) == nil)
        #expect(PredictionEncoding.offset(1).classID(ofRaw: 255) == 254)
        // One past the last class after the shift.
        #expect(throws: OutOfRangeValue(side: .prediction, value: 4, pixelIndex: 0)) {
            try count([4, 1, 2, 2, 3, 1, 3], PixelPolicy(classCount: 3, predictionEncoding: .reduceZeroLabel))
        }
        // Below the offset.
        #expect(throws: OutOfRangeValue(side: .prediction, value: 1, pixelIndex: 0)) {
            try count([1, 2, 2, 2, 3, 1, 3], PixelPolicy(classCount: 3, predictionEncoding: .offset(2)))
        }
        // With void they are misses of their ground-truth class.
        let voided = try count(
            [1, 0, 2, 2, 3, 1, 3], PixelPolicy(classCount: 3, outOfRangePrediction: .void, predictionEncoding: .reduceZeroLabel))
        #expect(voided.voidPredictions == [1, 0, 0])
        #expect(voided.evaluatedPixels == 6)
    }

    @Test func namesRoundTripAndOffsetZeroIsIDs() {
        for encoding in [PredictionEncoding.classIDs, .reduceZeroLabel, .offset(3)] {
            #expect(PredictionEncoding(name: encoding.name) == encoding)
        }
        #expect(PredictionEncoding.offset(0).name == "ids")
        #expect(PredictionEncoding.offset(0).isClassIDs)
        #expect(PredictionEncoding(name: "offset-0") == nil)
        #expect(PredictionEncoding(name: "offset--2") == nil)
        #expect(PredictionEncoding(name: "plus-one") == nil)
        #expect(PredictionEncoding.reduceZeroLabel.option == "--pred-reduce-zero-label")
        #expect(PredictionEncoding.offset(2).option == "--pred-offset 2")
    }

    /// A 4-class matrix from rows.
    func matrix(_ rows: [[UInt64]], void: [UInt64]? = nil) throws -> ConfusionMatrix {
        try ConfusionMatrix(classCount: rows.count, counts: rows.flatMap { $0 }, voidPredictions: void)
    }

    @Test func idsPlusOneReadAsIDsLookShifted() throws {
        // A good model's ids + 1 read as ids: class g lands in column g + 1, the last class is void.
        let shifted = try matrix(
            [[2, 80, 5, 0], [0, 3, 90, 4], [1, 0, 2, 70], [0, 0, 0, 1]], void: [0, 0, 0, 60])
        let diagnostics = PredictionReadingDiagnostics(matrix: shifted)
        #expect(diagnostics.shiftedByOnePixels == 80 + 90 + 70 + 60)
        #expect(diagnostics.matchingPixels == 2 + 3 + 2 + 1)
        #expect(diagnostics.looksShiftedByOne)
        #expect(diagnostics.voidShareIsLarge)
        #expect(diagnostics.voidShare == 60.0 / 318)
    }

    @Test func collapseOntoNeighboursIsNotCalledAShift() throws {
        // ovseg's simulated seen-collapse on the demo: 61 % one class up, 31 % right (factor 2).
        let collapse = try matrix([[31, 61, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [4, 0, 0, 4]])
        #expect(!PredictionReadingDiagnostics(matrix: collapse).looksShiftedByOne)
        // A good model read correctly.
        let good = try matrix([[80, 5, 0, 0], [3, 90, 4, 0], [0, 2, 70, 1], [0, 0, 1, 60]])
        let diagnostics = PredictionReadingDiagnostics(matrix: good)
        #expect(!diagnostics.looksShiftedByOne)
        #expect(!diagnostics.voidShareIsLarge)
        #expect(diagnostics.voidShare == 0)
        // One voided pixel in a hundred is within the limit, two are not.
        let one = try matrix([[99]], void: [1])
        let two = try matrix([[98]], void: [2])
        #expect(!PredictionReadingDiagnostics(matrix: one).voidShareIsLarge)
        #expect(PredictionReadingDiagnostics(matrix: two).voidShareIsLarge)
        #expect(PredictionReadingDiagnostics(matrix: ConfusionMatrix(classCount: 2)).voidShare == nil)
    }

    @Test func shiftEvidenceComparesPixelsThenHistograms() {
        let gt: [Int32] = [0, 0, 1, 2, -1, 2]
        let plusOne: [UInt16] = [1, 1, 2, 3, 9, 3]
        let asIDs = ShiftEvidence(groundTruthIDs: gt, raw: plusOne, classCount: 3, shift: 0)
        let shifted = ShiftEvidence(groundTruthIDs: gt, raw: plusOne, classCount: 3, shift: 1)
        #expect(asIDs.evaluatedPixels == 5)
        #expect(asIDs.matchingPixels == 0)
        #expect(shifted.matchingPixels == 5)
        #expect(shifted.histogramDistance == 0)
        // as ids: gt histogram [2, 1, 2], predicted [0, 2, 1] plus two values (3) outside.
        #expect(asIDs.histogramDistance == 2 + 1 + 1 + 2)
        #expect(shifted.fitsBetter(than: asIDs))
        #expect(!asIDs.fitsBetter(than: shifted))
        // No pixel agrees either way: the closer histogram decides.
        let rolled: [UInt16] = [2, 2, 3, 1, 0, 1]
        let rolledAsIDs = ShiftEvidence(groundTruthIDs: gt, raw: rolled, classCount: 3, shift: 0)
        let rolledShifted = ShiftEvidence(groundTruthIDs: [0, 0, 1, 2, -1, 2], raw: rolled, classCount: 3, shift: 1)
        #expect(rolledAsIDs.matchingPixels == 0 && rolledShifted.matchingPixels == 0)
        #expect(rolledAsIDs.histogramDistance == 4)  // [2, 1, 2] vs [0, 2, 2] and the value 3
        #expect(rolledShifted.histogramDistance == 2)  // [2, 1, 2] vs [2, 2, 1]
        #expect(rolledShifted.fitsBetter(than: rolledAsIDs))
        #expect(!rolledAsIDs.fitsBetter(than: rolledShifted))
        // Nothing evaluated: no evidence either way.
        let none = ShiftEvidence(groundTruthIDs: [-1, -1], raw: [3, 3], classCount: 3, shift: 1)
        #expect(!none.fitsBetter(than: ShiftEvidence(groundTruthIDs: [-1, -1], raw: [3, 3], classCount: 3, shift: 0)))
    }
    @Test func weakModelsPlusOneFilesLookShiftedByTheirHistogram() throws {
        // A weak model read as it was written: little agreement, and its histogram is no shift.
        let weak = try matrix(
            [[30, 25, 25, 20], [25, 20, 30, 25], [20, 25, 20, 35], [0, 0, 0, 0]], void: [0, 0, 0, 0])
        let diagnostics = PredictionReadingDiagnostics(matrix: weak)
        #expect(!diagnostics.looksShiftedByOne)
        #expect(!diagnostics.histogramLooksShiftedByOne)
        // Column sums are the rows moved one class up, though only 20 % sit right of the diagonal.
        let shifted = try matrix([[0, 20, 40, 40], [0, 40, 20, 40], [0, 40, 40, 20], [0, 0, 0, 0]])
        #expect(!PredictionReadingDiagnostics(matrix: shifted).looksShiftedByOne)
        #expect(PredictionReadingDiagnostics(matrix: shifted).histogramLooksShiftedByOne)
        // The demo's seen-collapse pattern is no histogram shift either.
        let collapse = try matrix([[31, 61, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [4, 0, 0, 4]])
        #expect(!PredictionReadingDiagnostics(matrix: collapse).histogramLooksShiftedByOne)
    }

    @Test func dominantAndAbsentClasses() throws {
        let constant = try matrix([[0, 50, 0], [0, 30, 0], [0, 20, 0]])
        #expect(PredictionReadingDiagnostics(matrix: constant).dominantClass == 1)
        let nearlyAll = try matrix([[1, 59, 0], [0, 20, 0], [1, 19, 0]])
        #expect(PredictionReadingDiagnostics(matrix: nearlyAll).dominantClass == 1)
        // A class that holds most of the ground truth may take most predictions.
        let majority = try matrix([[0, 10, 0], [0, 80, 0], [0, 10, 0]])
        #expect(PredictionReadingDiagnostics(matrix: majority).dominantClass == nil)
        let good = try matrix([[50, 0, 0], [0, 30, 0], [0, 0, 20]])
        #expect(PredictionReadingDiagnostics(matrix: good).dominantClass == nil)
        #expect(!PredictionReadingDiagnostics(matrix: good).absentClassesHoldMost)
        let absent = try matrix([[10, 0, 60], [0, 30, 0], [0, 0, 0]])
        #expect(PredictionReadingDiagnostics(matrix: absent).absentClassPixels == 60)
        #expect(PredictionReadingDiagnostics(matrix: absent).absentClassesHoldMost)
    }
}
