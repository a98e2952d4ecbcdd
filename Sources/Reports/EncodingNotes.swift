import Harness

/// How the terminal summary and the reports' settings name a run's split choice and label
/// encoding: which split and how it was chosen, and every encoding setting the command line
/// overrode, next to what the vocabulary says (docs/label-encoding.md §2, §3).
enum EncodingNotes {
    /// "dlrsd-overlap, chosen by --split, a split defined in the vocabulary", "none: no --split given
    /// and the vocabulary declares no default_split (overall metrics only)".
    static func split(_ record: RunRecord) -> String {
        guard let split = record.split else {
            return "none\(record.splitChoice.map { ": " + $0 } ?? "") (overall metrics only)"
        }
        return split.name + (record.splitChoice.map { ", chosen by " + $0 } ?? "")
    }

    /// " (command line; vocabulary says X)" for a setting the command line gave, else "".
    static func origin(_ policy: EvaluationPolicy, _ setting: EvaluationPolicy.EncodingSetting) -> String {
        guard policy.isFromCommandLine(setting) else { return "" }
        return " (command line" + (policy.vocabularyValue(of: setting).map { "; vocabulary says \($0)" } ?? "") + ")"
    }

    /// The encoding settings with their origins: label, value. Ignore colours are listed when there
    /// are some or the command line set them; the label format only when a run fixed one.
    static func encodingLines(_ policy: EvaluationPolicy) -> [(label: String, value: String)] {
        var lines: [(String, String)] = [
            ("Ignore values", EvaluationPolicy.describe(values: policy.ignoreValues) + origin(policy, .ignoreValues))
        ]
        if !policy.ignoreColors.isEmpty || policy.isFromCommandLine(.ignoreColors) {
            lines.append(("Ignore colours", EvaluationPolicy.describe(colors: policy.ignoreColors) + origin(policy, .ignoreColors)))
        }
        lines.append(("reduce_zero_label", (policy.reduceZeroLabel ? "yes" : "no") + origin(policy, .reduceZeroLabel)))
        if let format = policy.labelFormat {
            lines.append(("Label format", format.rawValue + origin(policy, .labelFormat)))
        }
        return lines
    }

    /// The overridden settings as one terminal line, or nil when nothing was overridden.
    static func overrideLine(_ policy: EvaluationPolicy) -> String? {
        let settings: [(label: String, setting: EvaluationPolicy.EncodingSetting)] = [
            ("Ignore values", .ignoreValues), ("Ignore colours", .ignoreColors),
            ("reduce_zero_label", .reduceZeroLabel), ("Label format", .labelFormat),
        ]
        let overridden = Set(settings.filter { policy.isFromCommandLine($0.setting) }.map(\.label))
        guard !overridden.isEmpty else { return nil }
        let parts = encodingLines(policy).filter { overridden.contains($0.label) }.map { "\($0.label.lowercased()): \($0.value)" }
        return "label encoding: " + parts.joined(separator: "; ")
    }
}
