import Vocabulary

/// Questions about how a run's split and label encoding were chosen, answered for modules that
/// show runs (`Reports`) without depending on `Vocabulary`'s types.
extension EvaluationPolicy {
    /// A label-encoding setting a run may take from the command line instead of its vocabulary.
    public enum EncodingSetting: Sendable, CaseIterable {
        case reduceZeroLabel, ignoreValues, ignoreColors, labelFormat
    }

    /// True when `setting` was given on the command line (false for files that do not say).
    public func isFromCommandLine(_ setting: EncodingSetting) -> Bool {
        guard let origins = encodingOrigins else { return false }
        let origin: EncodingOrigin
        switch setting {
        case .reduceZeroLabel: origin = origins.reduceZeroLabel
        case .ignoreValues: origin = origins.ignoreValues
        case .ignoreColors: origin = origins.ignoreColors
        case .labelFormat: origin = origins.labelFormat
        }
        return origin == .commandLine
    }

    /// The vocabulary's own value of `setting` in words ("yes", "255", "(0,0,0)"), or nil when the
    /// file does not record it. The label format is never the vocabulary's: each file's colour type.
    public func vocabularyValue(of setting: EncodingSetting) -> String? {
        if setting == .labelFormat { return "each file's colour type" }
        guard let settings = vocabularyEncoding else { return nil }
        switch setting {
        case .reduceZeroLabel: return settings.reduceZeroLabel ? "yes" : "no"
        case .ignoreValues: return Self.describe(values: settings.ignoreValues)
        case .ignoreColors: return Self.describe(colors: settings.ignoreColors.map { [$0.r, $0.g, $0.b] })
        case .labelFormat: return nil
        }
    }

    /// "none" or "255, 7".
    public static func describe(values: [Int]) -> String {
        values.isEmpty ? "none" : values.map(String.init).joined(separator: ", ")
    }

    /// "none" or "(0,0,0), (1,2,3)".
    public static func describe(colors: [[UInt8]]) -> String {
        colors.isEmpty ? "none" : colors.map { "(" + $0.map(String.init).joined(separator: ",") + ")" }.joined(separator: ", ")
    }
}

extension RunRecord {
    /// How the run's split (or its absence) was chosen, in words; nil for files that do not say.
    public var splitChoice: String? { splitOrigin?.explanation }
}
