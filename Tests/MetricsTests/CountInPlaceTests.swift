import Testing

@testable import Metrics

/// The counter adds to the matrix it is given in place; a value out of range anywhere in the
/// image leaves that matrix exactly as it was (docs/robustness.md §9).
@Suite("Counting in place")
struct CountInPlaceTests {
    @Test func countsAddToWhatTheMatrixHeld() throws {
        var matrix = ConfusionMatrix(classCount: 3)
        matrix[1, 2] = 5
        try PixelCounter(policy: PixelPolicy(classCount: 3)).count(
            groundTruth: [0, 1, 1, 2, 255], prediction: [0, 2, 1, 2, 1], into: &matrix)
        #expect(matrix.counts == [1, 0, 0, 0, 1, 6, 0, 0, 1])
    }

    @Test(arguments: [
        // Out-of-range ground truth, then out-of-range prediction, each after pixels already counted.
        ([0, 1, 2, 1, 7] as [UInt16], [0, 1, 2, 2, 0] as [UInt16], OutOfRangeValue(side: .groundTruth, value: 7, pixelIndex: 4)),
        ([0, 1, 2, 1, 0], [0, 1, 2, 2, 9], OutOfRangeValue(side: .prediction, value: 9, pixelIndex: 4)),
    ])
    func aFailedImageAddsNothing(groundTruth: [UInt16], prediction: [UInt16], expected: OutOfRangeValue) throws {
        var matrix = ConfusionMatrix(classCount: 3)
        matrix[0, 0] = 2
        matrix[2, 1] = 3
        let before = matrix
        #expect(throws: expected) {
            try PixelCounter(policy: PixelPolicy(classCount: 3)).count(groundTruth: groundTruth, prediction: prediction, into: &matrix)
        }
        #expect(matrix == before)
    }
}
