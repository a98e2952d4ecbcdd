import Foundation

/// A new method name for one run of a report (`--label RUN=NAME`): the default name of a run is
/// its prediction folder's name, so runs scored from `exp1/pred` and `exp2/pred` both arrive as
/// `pred`, and a report needs them told apart.
public struct RunLabel: Sendable, Equatable {
    /// The results file path as given to the report, or the run's current method name.
    public var run: String
    /// The method name the report shows for that run.
    public var name: String

    public init(run: String, name: String) {
        self.run = run
        self.name = name
    }

    /// Parses `RUN=NAME`, split at the last `=` (paths may hold one, method names rarely do).
    public init(parsing text: String) throws(ReportError) {
        guard let equals = text.lastIndex(of: "=") else {
            throw ReportError(.label, "\(setting: .label(text)): expected RUN=NAME (RUN: a results file or its method name)")
        }
        let run = String(text[..<equals])
        let name = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        guard !run.isEmpty, !name.isEmpty else {
            throw ReportError(.label, "\(setting: .label(text)): expected RUN=NAME with neither side empty")
        }
        self.init(run: run, name: name)
    }

    /// `inputs` with the labels applied. A label's RUN is matched first as a results file path
    /// (as given, or the same file by its standardized path), then as a method name (labels apply
    /// in order, so a name means the run's name after the labels before it); a RUN that
    /// matches no run, or a method name that several runs share, is an error saying what to give.
    public static func apply(_ labels: [RunLabel], to inputs: [ReportInput]) throws(ReportError) -> [ReportInput] {
        var result = inputs
        for label in labels {
            let standardized = URL(fileURLWithPath: label.run).standardizedFileURL.path
            var matches = inputs.indices.filter {
                inputs[$0].path == label.run || URL(fileURLWithPath: inputs[$0].path).standardizedFileURL.path == standardized
            }
            if matches.isEmpty {
                // Labels apply in order, so after one `pred` is renamed, `pred` names the other.
                matches = result.indices.filter { result[$0].record.method == label.run }
                if matches.count > 1 {
                    let files = matches.map { inputs[$0].path }.joined(separator: ", ")
                    let given = ReportSetting.label(label.run + "=" + label.name)
                    let instead = ReportSetting.label(inputs[matches[0]].path + "=" + label.name)
                    let problem = "\(matches.count) runs have the method name '\(label.run)' (\(files))"
                    throw ReportError(.label, "\(setting: given): \(problem); give the results file instead, e.g. \(setting: instead)")
                }
            }
            guard let index = matches.first else {
                let runs = result.map { "\($0.path) (\($0.record.method))" }.joined(separator: ", ")
                let given = ReportSetting.label(label.run + "=" + label.name)
                throw ReportError(.label, "\(setting: given): no results file or method name '\(label.run)' among the runs: \(runs)")
            }
            result[index].record.method = label.name
        }
        return result
    }
}
