import Harness
import Vocabulary

/// How the terminal summary and the reports' settings name a run's split choice and label
/// encoding: which split and where its definition comes from, and every encoding setting the
/// command line overrode, next to what the vocabulary says.
enum EncodingNotes {
    /// "dlrsd-overlap, chosen by --split, a split defined in the vocabulary", "none: no --split given
    /// and the vocabulary declares no default_split (all-class figures only)".
    static func split(_ record: RunRecord) -> String {
        guard let split = record.split else {
            let reason = record.splitOrigin.map { ": " + $0.explanation } ?? ""
            return "none\(reason) (overall metrics only)"
        }
        return split.name + (record.splitOrigin.map { ", chosen by " + $0.explanation } ?? "")
    }

    /// `yes`/`no`.
    static func yesNo(_ flag: Bool) -> String { flag ? "yes" : "no" }

    static func values(_ values: [Int]) -> String {
        values.isEmpty ? "none" : values.map(String.init).joined(separator: ", ")
    }

    static func colors(_ colors: [[UInt8]]) -> String {
        colors.isEmpty ? "none" : colors.map { "(" + $0.map(String.init).joined(separator: ",") + ")" }.joined(separator: ", ")
    }

    /// " (command line; vocabulary says X)" for a setting the command line gave, else "".
    static func origin(_ origin: EncodingOrigin?, vocabularySays: String?) -> String {
        guard origin == .commandLine else { return "" }
        return " (command line" + (vocabularySays.map { "; vocabulary says \($0)" } ?? "") + ")"
    }

    /// The encoding settings with their origins: label, value. The label format is listed only
    /// when a run fixed one.
    static func encodingLines(_ policy: EvaluationPolicy) -> [(label: String, value: String)] {
        let origins = policy.encodingOrigins
        let vocabulary = policy.vocabularyEncoding
        var lines: [(String, String)] = [
            ("Ignore values", values(policy.ignoreValues)
                + origin(origins?.ignoreValues, vocabularySays: vocabulary.map { values($0.ignoreValues) })),
        ]
        if !policy.ignoreColors.isEmpty || origins?.ignoreColors == .commandLine {
            lines.append(("Ignore colours", colors(policy.ignoreColors)
                + origin(origins?.ignoreColors, vocabularySays: vocabulary.map {
                    colors($0.ignoreColors.map { [$0.r, $0.g, $0.b] })
                })))
        }
        lines.append(("reduce_zero_label", yesNo(policy.reduceZeroLabel)
            + origin(origins?.reduceZeroLabel, vocabularySays: vocabulary.map { yesNo($0.reduceZeroLabel) })))
        if let format = policy.labelFormat {
            lines.append(("Label format", format.rawValue + origin(origins?.labelFormat, vocabularySays: "each file's colour type")))
        }
        return lines
    }

    /// The overridden settings as one terminal line, or nil when nothing was overridden.
    static func overrideLine(_ policy: EvaluationPolicy) -> String? {
        guard let origins = policy.encodingOrigins else { return nil }
        let overridden = [origins.ignoreValues, origins.ignoreColors, origins.reduceZeroLabel, origins.labelFormat]
        guard overridden.contains(.commandLine) else { return nil }
        let names = ["Ignore values": origins.ignoreValues, "Ignore colours": origins.ignoreColors,
                     "reduce_zero_label": origins.reduceZeroLabel, "Label format": origins.labelFormat]
        let parts = encodingLines(policy).filter { names[$0.label] == .commandLine }.map { "\($0.label.lowercased()): \($0.value)" }
        return "label encoding: " + parts.joined(separator: "; ")
    }
}
