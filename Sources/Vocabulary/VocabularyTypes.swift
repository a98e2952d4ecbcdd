import LabelMaps

/// One class of a dataset's vocabulary, at its evaluation id.
public struct VocabularyClass: Hashable, Sendable {
    /// Evaluation id: the value in the confusion matrix (0..K-1, in file order).
    public var id: Int
    /// The canonical name, used in reports and as the first prompt.
    public var name: String
    /// Alternative prompt names seen in public vocabularies ("road", "parking lot").
    public var synonyms: [String]
    /// The colour of this class in colour-coded label files and in overlays.
    public var color: RGB

    public init(id: Int, name: String, synonyms: [String] = [], color: RGB) {
        self.id = id
        self.name = name
        self.synonyms = synonyms
        self.color = color
    }

    /// The name followed by the synonyms: every text that may prompt this class.
    public var allNames: [String] { [name] + synonyms }
}

/// How a dataset's label files map to evaluation ids.
public struct LabelEncoding: Hashable, Sendable {
    /// For gray or palette files: raw 0 becomes ignore and raw v becomes v-1
    /// (mmseg `reduce_zero_label`). Colour-coded files are decoded by colour instead.
    public var reduceZeroLabel: Bool
    /// Evaluation-id values (after `reduceZeroLabel`) that are not scored.
    public var ignoreValues: [Int]
    /// Colours in colour-coded files that mean "no label" (e.g. eroded boundaries).
    public var ignoreColors: [RGB]
    /// How the public release stores labels: "rgb", "index" or "palette" (informational).
    public var releaseFormat: String
    /// True only when the file deliberately lets an ignore value equal a class id.
    public var allowIgnoreClassOverlap: Bool
    public var notes: String?

    public init(reduceZeroLabel: Bool, ignoreValues: [Int], ignoreColors: [RGB],
                releaseFormat: String, allowIgnoreClassOverlap: Bool = false, notes: String? = nil) {
        self.reduceZeroLabel = reduceZeroLabel
        self.ignoreValues = ignoreValues
        self.ignoreColors = ignoreColors
        self.releaseFormat = releaseFormat
        self.allowIgnoreClassOverlap = allowIgnoreClassOverlap
        self.notes = notes
    }

    /// The release formats a file may declare.
    public static let releaseFormats: Set<String> = ["rgb", "index", "palette"]
}

/// What the dataset does with background / clutter / no-data pixels; numbers are
/// only comparable under the same policy, so it is part of the vocabulary.
public struct BackgroundPolicy: Hashable, Sendable {
    public enum Treatment: String, Hashable, Sendable, CaseIterable {
        /// Background is an ordinary class and its IoU counts in the mIoU.
        case evaluated
        /// Background pixels are removed by the label encoding and not scored.
        case ignored
        /// The dataset has no background notion (every pixel is a real class).
        case none
    }

    /// The class that plays the background role, if any.
    public var className: String?
    public var treatment: Treatment
    public var notes: String?

    public init(className: String?, treatment: Treatment, notes: String? = nil) {
        self.className = className
        self.treatment = treatment
        self.notes = notes
    }
}

/// A named division of the classes into seen (trained on) and unseen ones.
///
/// Classes in neither list (e.g. background) count only in the all-class mIoU.
public struct ClassSplit: Hashable, Sendable {
    public var name: String
    /// Canonical class names, in file order.
    public var seen: [String]
    public var unseen: [String]
    /// Evaluation ids matching `seen` / `unseen` element by element.
    public var seenIDs: [Int]
    public var unseenIDs: [Int]
    /// Where the split was published; nil only for inferred splits.
    public var source: String?
    /// True when the split was deduced by us rather than read in a source.
    public var inferred: Bool
    public var notes: String?

    public init(name: String, seen: [String], unseen: [String], seenIDs: [Int], unseenIDs: [Int],
                source: String?, inferred: Bool, notes: String? = nil) {
        self.name = name
        self.seen = seen
        self.unseen = unseen
        self.seenIDs = seenIDs
        self.unseenIDs = unseenIDs
        self.source = source
        self.inferred = inferred
        self.notes = notes
    }
}
