/// How far a tuned encoder's dense features moved from a frozen encoder's, per image: the
/// compensation distance of SGSeg's training loss (see `CompensationDistance` in Segmenter),
/// over the whole image and restricted to the cells whose majority class is seen or unseen.
///
/// Unlike the metrics, these values cannot be recomputed from the counts; they are stored.
public struct FeatureDrift: Sendable, Equatable {
    public struct Image: Sendable, Equatable {
        public var id: String
        public var whole: Double
        /// `nil` when no feature cell of the image is mostly a seen class.
        public var seen: Double?
        public var unseen: Double?

        public init(id: String, whole: Double, seen: Double?, unseen: Double?) {
            self.id = id
            self.whole = whole
            self.seen = seen
            self.unseen = unseen
        }
    }

    /// The frozen checkpoint and its SHA-256.
    public var frozenCheckpoint: String
    public var frozenSHA256: String
    /// What was measured, in words (stored with the values).
    public var definition: String
    /// Sorted by id.
    public var images: [Image]

    public init(frozenCheckpoint: String, frozenSHA256: String, definition: String, images: [Image]) {
        self.frozenCheckpoint = frozenCheckpoint
        self.frozenSHA256 = frozenSHA256
        self.definition = definition
        self.images = images.sorted { $0.id < $1.id }
    }

    /// Mean over images of the whole-image distance.
    public var meanWhole: Double? { Self.mean(images.map(\.whole)) }
    /// Mean over the images that have seen-class cells.
    public var meanSeen: Double? { Self.mean(images.compactMap(\.seen)) }
    /// Mean over the images that have unseen-class cells.
    public var meanUnseen: Double? { Self.mean(images.compactMap(\.unseen)) }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
