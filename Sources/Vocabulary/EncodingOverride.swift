import LabelMaps

/// Label-encoding settings given for one run instead of the vocabulary's (`--reduce-zero-label`,
/// `--ignore`, `--ignore-color`, `--label-format`); nil fields keep the vocabulary's setting.
/// Replaces copying a vocabulary file with `ovseg vocab export` to read, say, 0-based ids.
public struct EncodingOverride: Sendable, Hashable {
    public var reduceZeroLabel: Bool?
    /// Replaces the ignore values (not added to them).
    public var ignoreValues: [Int]?
    /// Replaces the ignore colours.
    public var ignoreColors: [RGB]?
    /// How ground-truth files are read; the vocabulary fixes none (each file's colour type decides).
    public var labelFormat: LabelFormat?

    public init(reduceZeroLabel: Bool? = nil, ignoreValues: [Int]? = nil, ignoreColors: [RGB]? = nil,
                labelFormat: LabelFormat? = nil) {
        self.reduceZeroLabel = reduceZeroLabel
        self.ignoreValues = ignoreValues
        self.ignoreColors = ignoreColors
        self.labelFormat = labelFormat
    }

    /// True when every setting is the vocabulary's.
    public var isEmpty: Bool { self == EncodingOverride() }
}

/// Where a run's encoding setting came from.
public enum EncodingOrigin: String, Sendable, Hashable, CaseIterable {
    case vocabulary
    case commandLine = "command line"
}

/// A vocabulary file's own reduce_zero_label, ignore values and ignore colours, kept with a
/// run's encoding so a summary can say what an override replaced.
public struct VocabularyEncodingSettings: Sendable, Hashable {
    public var reduceZeroLabel: Bool
    public var ignoreValues: [Int]
    public var ignoreColors: [RGB]

    public init(reduceZeroLabel: Bool, ignoreValues: [Int], ignoreColors: [RGB]) {
        self.reduceZeroLabel = reduceZeroLabel
        self.ignoreValues = ignoreValues
        self.ignoreColors = ignoreColors
    }
}

/// The encoding a run actually reads its ground truth with, and per setting where it came from.
public struct EffectiveEncoding: Sendable, Hashable {
    public var reduceZeroLabel: Bool
    public var ignoreValues: [Int]
    public var ignoreColors: [RGB]
    /// nil: each file's colour type decides (gray/palette = values, RGB = colours).
    public var labelFormat: LabelFormat?
    public var origins: Origins
    /// The vocabulary's own settings (equal to the above where the origin is `vocabulary`).
    public var vocabularySettings: VocabularyEncodingSettings

    /// Per setting, `vocabulary` or `command line`.
    public struct Origins: Sendable, Hashable {
        public var reduceZeroLabel: EncodingOrigin
        public var ignoreValues: EncodingOrigin
        public var ignoreColors: EncodingOrigin
        public var labelFormat: EncodingOrigin

        public init(reduceZeroLabel: EncodingOrigin = .vocabulary, ignoreValues: EncodingOrigin = .vocabulary,
                    ignoreColors: EncodingOrigin = .vocabulary, labelFormat: EncodingOrigin = .vocabulary) {
            self.reduceZeroLabel = reduceZeroLabel
            self.ignoreValues = ignoreValues
            self.ignoreColors = ignoreColors
            self.labelFormat = labelFormat
        }
    }

    public init(reduceZeroLabel: Bool, ignoreValues: [Int], ignoreColors: [RGB], labelFormat: LabelFormat?,
                origins: Origins = Origins()) {
        self.reduceZeroLabel = reduceZeroLabel
        self.ignoreValues = ignoreValues
        self.ignoreColors = ignoreColors
        self.labelFormat = labelFormat
        self.origins = origins
        vocabularySettings = VocabularyEncodingSettings(
            reduceZeroLabel: reduceZeroLabel, ignoreValues: ignoreValues, ignoreColors: ignoreColors)
    }

    /// True when some setting came from the command line.
    public var isOverridden: Bool {
        [origins.reduceZeroLabel, origins.ignoreValues, origins.ignoreColors, origins.labelFormat].contains(.commandLine)
    }
}

extension LabelEncoding {
    /// Why `value` cannot be an ignore value of `classes` (out of 0…65535, or a class id without
    /// `allowOverlap`), or nil when it can. Shared by vocabulary files and `--ignore`.
    public static func ignoreValueProblem(_ value: Int, classes: [VocabularyClass], allowOverlap: Bool)
        -> (kind: VocabularyError.Kind, text: String)?
    {
        if !(0...65_535).contains(value) {
            return (.invalidValue, "ignore value \(value) is outside 0…65535 (label values are 16-bit)")
        }
        if value < classes.count && !allowOverlap {
            return (.ignoreOverlap, "ignore value \(value) is the id of class '\(classes[value].name)'")
        }
        return nil
    }

    /// Why `color` cannot be an ignore colour of `classes` (it is a class's colour), or nil.
    public static func ignoreColorProblem(_ color: RGB, classes: [VocabularyClass]) -> String? {
        guard let owner = classes.first(where: { $0.color == color }) else { return nil }
        return "ignore colour \(color) is the colour of class '\(owner.name)'"
    }
}

extension Vocabulary {
    /// The encoding a run reads with when nothing is overridden.
    public var vocabularyEncoding: EffectiveEncoding {
        EffectiveEncoding(
            reduceZeroLabel: encoding.reduceZeroLabel, ignoreValues: encoding.ignoreValues,
            ignoreColors: encoding.ignoreColors, labelFormat: nil)
    }

    /// The encoding `override` gives, each setting validated as the vocabulary file's own
    /// (ignore values in 0…65535 and not class ids unless the vocabulary allows the overlap,
    /// ignore colours not class colours). Errors name the option (`entry`) and the value.
    public func effectiveEncoding(_ override: EncodingOverride) throws(VocabularyError) -> EffectiveEncoding {
        var result = vocabularyEncoding
        if let reduce = override.reduceZeroLabel {
            result.reduceZeroLabel = reduce
            result.origins.reduceZeroLabel = .commandLine
        }
        if let values = override.ignoreValues {
            for value in values {
                if let problem = LabelEncoding.ignoreValueProblem(
                    value, classes: classes, allowOverlap: encoding.allowIgnoreClassOverlap)
                {
                    throw VocabularyError(problem.kind, file: file, entry: "--ignore",
                        problem.text + (problem.kind == .ignoreOverlap ? " (\(key) does not allow ignore values that are class ids)" : ""))
                }
            }
            var unique: [Int] = []
            for value in values where !unique.contains(value) { unique.append(value) }
            result.ignoreValues = unique
            result.origins.ignoreValues = .commandLine
        }
        if let colors = override.ignoreColors {
            for color in colors {
                if let problem = LabelEncoding.ignoreColorProblem(color, classes: classes) {
                    throw VocabularyError(.ignoreOverlap, file: file, entry: "--ignore-color", problem)
                }
            }
            var unique: [RGB] = []
            for color in colors where !unique.contains(color) { unique.append(color) }
            result.ignoreColors = unique
            result.origins.ignoreColors = .commandLine
        }
        if let format = override.labelFormat {
            result.labelFormat = format
            result.origins.labelFormat = .commandLine
        }
        return result
    }

    /// This vocabulary reading labels with `effective`'s reduce_zero_label, ignore values and
    /// ignore colours. The fingerprint stays the file's: a run records the encoding it used
    /// separately (results file `policy`), so the vocabulary is still recognised as the same one.
    public func withEncoding(_ effective: EffectiveEncoding) -> Vocabulary {
        var copy = self
        copy.encoding.reduceZeroLabel = effective.reduceZeroLabel
        copy.encoding.ignoreValues = effective.ignoreValues
        copy.encoding.ignoreColors = effective.ignoreColors
        return copy
    }
}
