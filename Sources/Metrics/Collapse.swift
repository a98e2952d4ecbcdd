/// How much of the unseen classes' area a model hands to seen classes.
///
/// Open-vocabulary segmenters fine-tuned on seen classes tend to "collapse":
/// pixels of a class never seen in training are labelled as the closest seen
/// class. This is the failure the soft-guided model's frozen-encoder
/// compensation is meant to prevent, so every run with a split reports it.
///
/// All figures come from the confusion matrix rows of the unseen classes
/// (evaluated pixels only). A pixel whose prediction was kept as void counts
/// in its class's area but in none of the three destinations.
public struct CollapseDiagnostics: Sendable, Equatable {
    /// One unseen class's row of the confusion matrix, summarised.
    public struct UnseenClass: Sendable, Equatable {
        /// Class id (row of the confusion matrix).
        public let id: Int
        /// Evaluated pixels whose ground truth is this class.
        public let groundTruth: UInt64
        /// Of those, predicted as some seen class.
        public let predictedSeen: UInt64
        /// Of those, predicted as another unseen class.
        public let predictedOtherUnseen: UInt64
        /// Of those, predicted correctly.
        public let correct: UInt64
        /// The seen class receiving most of this class's pixels, with its count; `nil` if none receives any.
        public let topSeenTarget: (id: Int, pixels: UInt64)?

        /// predictedSeen / groundTruth; `nil` when the class is absent from the ground truth.
        public var collapseRate: Double? {
            groundTruth == 0 ? nil : Double(predictedSeen) / Double(groundTruth)
        }

        public static func == (lhs: UnseenClass, rhs: UnseenClass) -> Bool {
            lhs.id == rhs.id && lhs.groundTruth == rhs.groundTruth && lhs.predictedSeen == rhs.predictedSeen
                && lhs.predictedOtherUnseen == rhs.predictedOtherUnseen && lhs.correct == rhs.correct
                && lhs.topSeenTarget?.id == rhs.topSeenTarget?.id && lhs.topSeenTarget?.pixels == rhs.topSeenTarget?.pixels
        }
    }

    /// The unseen classes in the order of the split.
    public let classes: [UnseenClass]

    /// Summarises the unseen rows of `matrix`. Ids outside the matrix are ignored
    /// (the split was validated against the vocabulary when the run was made).
    public init(matrix: ConfusionMatrix, seen: [Int], unseen: [Int]) {
        let k = matrix.classCount
        let seenIDs = seen.filter { $0 >= 0 && $0 < k }
        let unseenSet = Set(unseen.filter { $0 >= 0 && $0 < k })
        let counts = matrix.classCounts
        classes = unseen.filter { $0 >= 0 && $0 < k }.map { u in
            var toSeen: UInt64 = 0
            var top: (id: Int, pixels: UInt64)?
            for s in seenIDs where s != u {
                let pixels = matrix[u, s]
                toSeen += pixels
                if pixels > 0, pixels > (top?.pixels ?? 0) { top = (s, pixels) }
            }
            var toOtherUnseen: UInt64 = 0
            for v in unseenSet where v != u { toOtherUnseen += matrix[u, v] }
            return UnseenClass(
                id: u, groundTruth: counts[u].groundTruth, predictedSeen: toSeen,
                predictedOtherUnseen: toOtherUnseen, correct: matrix[u, u], topSeenTarget: top)
        }
    }

    /// Evaluated pixels of all unseen classes.
    public var unseenPixels: UInt64 { classes.reduce(0) { $0 + $1.groundTruth } }

    /// Unseen pixels predicted as a seen class.
    public var unseenPredictedSeen: UInt64 { classes.reduce(0) { $0 + $1.predictedSeen } }

    /// Share of unseen-class pixels predicted as some seen class (pixel-weighted over unseen classes);
    /// `nil` when no unseen class appears in the ground truth.
    public var collapseRate: Double? {
        let total = unseenPixels
        return total == 0 ? nil : Double(unseenPredictedSeen) / Double(total)
    }
}
