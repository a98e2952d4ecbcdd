/// What to do with a ground-truth value that is neither a class id nor ignored.
public enum OutOfRangeGroundTruth: String, Sendable, CaseIterable, Codable {
    /// Stop with an error naming the value (default: each tool does something different, docs/metrics.md §2.3).
    case error
    /// Drop the pixel as if it were ignored (SPNet / ZS3 behaviour).
    case ignore
    /// Drop it from the ground-truth area but keep its prediction in the predicted area (mmseg's histc behaviour).
    case mmsegCompatible = "mmseg-compatible"
}

/// What to do with a predicted value that is not a class id.
public enum OutOfRangePrediction: String, Sendable, CaseIterable, Codable {
    /// Stop with an error naming the value (default).
    case error
    /// Keep the pixel as a miss of its ground-truth class, predicted as no class (mmseg's behaviour).
    case void
}

/// How raw label values become evaluated pixels.
public struct PixelPolicy: Sendable, Equatable, Codable {
    /// Number of classes K; class ids are 0..<K.
    public var classCount: Int
    /// Ground-truth values whose pixels are not evaluated (after any label reduction).
    public var ignoreValues: [Int]
    /// mmseg's `reduce_zero_label`: raw 0 and raw 255 become 255 (ignored when 255 is an ignore
    /// value), every other raw value v becomes v − 1. Applied to ground truth only.
    public var reduceZeroLabel: Bool
    public var outOfRangeGroundTruth: OutOfRangeGroundTruth
    public var outOfRangePrediction: OutOfRangePrediction
    /// How raw prediction values stand for class ids; a value that stands for no class, or for
    /// an id ≥ K, is an out-of-range prediction.
    public var predictionEncoding: PredictionEncoding

    public init(
        classCount: Int, ignoreValues: [Int] = [255], reduceZeroLabel: Bool = false,
        outOfRangeGroundTruth: OutOfRangeGroundTruth = .error,
        outOfRangePrediction: OutOfRangePrediction = .error,
        predictionEncoding: PredictionEncoding = .classIDs
    ) {
        self.classCount = classCount
        self.ignoreValues = ignoreValues.sorted()
        self.reduceZeroLabel = reduceZeroLabel
        self.outOfRangeGroundTruth = outOfRangeGroundTruth
        self.outOfRangePrediction = outOfRangePrediction
        self.predictionEncoding = predictionEncoding
    }
}

/// A value that the policy does not allow, with its flat pixel index.
public struct OutOfRangeValue: Error, Sendable, Equatable {
    public enum Side: String, Sendable { case groundTruth = "ground truth", prediction }
    public let side: Side
    /// The raw value in the file (before any reduction or prediction encoding).
    public let value: Int
    /// Row-major index of the first offending pixel.
    public let pixelIndex: Int
}

/// Turns pairs of label maps into confusion-matrix counts.
///
/// Built once per policy: two 65,536-entry lookup tables classify every possible 16-bit
/// ground-truth and prediction value, so the per-pixel loop is two table loads, a compare and
/// an increment.
public struct PixelCounter: Sendable {
    public let policy: PixelPolicy
    // For each raw ground-truth value: a class id (>= 0), or one of the codes below.
    private let groundTruthTable: [Int32]
    // For each raw prediction value: its class id under the prediction encoding, or −1 when it
    // stands for no class of the vocabulary.
    private let predictionTable: [Int32]
    private static let ignoredCode: Int32 = -1
    private static let outOfRangeCode: Int32 = -2
    private static let unlabeledCode: Int32 = -3

    public init(policy: PixelPolicy) {
        self.policy = policy
        var table = [Int32](repeating: 0, count: 65_536)
        let ignored = Set(policy.ignoreValues)
        for raw in 0..<65_536 {
            let value = policy.reduceZeroLabel ? ((raw == 0 || raw == 255) ? 255 : raw - 1) : raw
            if ignored.contains(value) {
                table[raw] = Self.ignoredCode
            } else if value < policy.classCount {
                table[raw] = Int32(value)
            } else {
                switch policy.outOfRangeGroundTruth {
                case .error: table[raw] = Self.outOfRangeCode
                case .ignore: table[raw] = Self.ignoredCode
                case .mmsegCompatible: table[raw] = Self.unlabeledCode
                }
            }
        }
        groundTruthTable = table
        predictionTable = (0..<65_536).map { raw in
            guard let id = policy.predictionEncoding.classID(ofRaw: raw), id >= 0, id < policy.classCount else { return -1 }
            return Int32(id)
        }
    }

    /// The class id each raw prediction value stands for under the policy's encoding, −1 where
    /// it stands for none (out of range): the classification `count` uses.
    public func predictionClasses(of values: [UInt16]) -> [Int32] {
        predictionTable.withUnsafeBufferPointer { table in values.map { table[Int($0)] } }
    }

    /// The evaluation class of each ground-truth value under the policy, −1 where the pixel is
    /// not evaluated (ignored, reduced zero, out of range): the classification `count` uses.
    public func evaluationClasses(ofGroundTruth values: [UInt16]) -> [Int32] {
        groundTruthTable.withUnsafeBufferPointer { table in
            values.map { raw in max(table[Int(raw)], -1) }
        }
    }

    /// The evaluation label of a ground-truth pixel that is not evaluated (ignore value, ignore
    /// colour, reduce_zero_label's 0 and 255, out-of-range value under `--out-of-range-gt ignore`).
    public static let ignoredLabel: UInt16 = 0xFFFF
    /// The evaluation label of an out-of-range ground-truth pixel kept under
    /// `--out-of-range-gt mmseg-compatible` (not evaluated, but its prediction is counted).
    public static let unlabeledLabel: UInt16 = 0xFFFE

    /// Streams the evaluation labels of a ground-truth map to `body`, in row-major order and in
    /// chunks of at most 65,536 pixels: the class id, `ignoredLabel` or `unlabeledLabel` of each
    /// pixel, exactly as `count` classifies it.
    ///
    /// Why: two files that decode to the same labels (RGB or index PNG, any compression) yield
    /// the same sequence, so hashing it fingerprints the data rather than its encoding. Call it
    /// after `count` succeeded: an out-of-range value that `count` rejects is passed on here as
    /// `unlabeledLabel`.
    public func forEachEvaluationLabelChunk(
        ofGroundTruth values: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void
    ) {
        let chunkSize = 65_536
        var chunk = [UInt16](repeating: 0, count: min(chunkSize, values.count))
        groundTruthTable.withUnsafeBufferPointer { table in
            chunk.withUnsafeMutableBufferPointer { chunk in
                var start = 0
                while start < values.count {
                    let end = min(start + chunkSize, values.count)
                    for i in start..<end {
                        let code = table[Int(values[i])]
                        chunk[i - start] = code >= 0
                            ? UInt16(code) : (code == Self.ignoredCode ? Self.ignoredLabel : Self.unlabeledLabel)
                    }
                    body(UnsafeBufferPointer(rebasing: chunk[0..<(end - start)]))
                    start = end
                }
            }
        }
    }

    /// Counts one image pair into `matrix`. Both buffers hold the same number of pixels.
    /// On an out-of-range value nothing is added to `matrix`.
    public func count(
        groundTruth: UnsafeBufferPointer<UInt16>, prediction: UnsafeBufferPointer<UInt16>,
        into matrix: inout ConfusionMatrix
    ) throws(OutOfRangeValue) {
        precondition(groundTruth.count == prediction.count, "label maps must have the same number of pixels")
        precondition(matrix.classCount == policy.classCount, "matrix and policy disagree on the class count")
        let k = policy.classCount
        // Counted straight into `matrix` (a K×K scratch copy would cost 800 MB per band at
        // K = 10 000, docs/robustness.md §3); on an out-of-range value the pixels already counted
        // are taken out again, so nothing is added.
        var void = [UInt64](repeating: 0, count: k)
        var unlabeled = [UInt64](repeating: 0, count: k)
        let keepVoid = policy.outOfRangePrediction == .void
        var outOfRangeOnIgnored: UInt64 = 0
        var failure: OutOfRangeValue?
        groundTruthTable.withUnsafeBufferPointer { table in
            predictionTable.withUnsafeBufferPointer { predictionTable in
                matrix.withUnsafeMutableCells { cells in
                    var counted = groundTruth.count
                    for i in 0..<groundTruth.count {
                        let g = table[Int(groundTruth[i])]
                        let p = Int(predictionTable[Int(prediction[i])])
                        if g >= 0 {
                            if p >= 0 {
                                cells[Int(g) * k + p] &+= 1
                            } else if keepVoid {
                                void[Int(g)] &+= 1
                            } else {
                                failure = OutOfRangeValue(side: .prediction, value: Int(prediction[i]), pixelIndex: i)
                                counted = i
                                break
                            }
                        } else if g == Self.ignoredCode {
                            if p < 0 { outOfRangeOnIgnored &+= 1 }
                        } else if g == Self.unlabeledCode {
                            if p >= 0 {
                                unlabeled[p] &+= 1
                            } else if !keepVoid {
                                failure = OutOfRangeValue(side: .prediction, value: Int(prediction[i]), pixelIndex: i)
                                counted = i
                                break
                            }
                        } else {
                            failure = OutOfRangeValue(side: .groundTruth, value: Int(groundTruth[i]), pixelIndex: i)
                            counted = i
                            break
                        }
                    }
                    guard failure != nil else { return }
                    for i in 0..<counted {
                        let g = table[Int(groundTruth[i])]
                        let p = Int(predictionTable[Int(prediction[i])])
                        if g >= 0 && p >= 0 { cells[Int(g) * k + p] &-= 1 }
                    }
                }
            }
        }
        if let failure { throw failure }
        for c in 0..<k {
            if void[c] != 0 { matrix.addVoidPrediction(groundTruth: c, count: void[c]) }
            if unlabeled[c] != 0 { matrix.addPredictionOnUnlabeled(predicted: c, count: unlabeled[c]) }
        }
        matrix.outOfRangePredictionsOnIgnored += outOfRangeOnIgnored
    }

    /// Convenience for arrays.
    public func count(
        groundTruth: [UInt16], prediction: [UInt16], into matrix: inout ConfusionMatrix
    ) throws(OutOfRangeValue) {
        var result: Result<Void, OutOfRangeValue> = .success(())
        groundTruth.withUnsafeBufferPointer { gt in
            prediction.withUnsafeBufferPointer { pred in
                do throws(OutOfRangeValue) {
                    try count(groundTruth: gt, prediction: pred, into: &matrix)
                } catch {
                    result = .failure(error)
                }
            }
        }
        try result.get()
    }
}
