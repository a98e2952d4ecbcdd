import JSON

extension InspectionReport {
    /// The `ovseg score` command the verdict recommends, with placeholders for the folders.
    public func scoreCommand(groundTruth: String, predictions: String?) -> String {
        (["ovseg score --vocab \(vocabArgument) --gt \(groundTruth)"] + (predictions.map { ["--pred \($0)"] } ?? ["--pred PRED"])
            + scoreOptions + ["-o run.ovseg.json"]).joined(separator: " ")
    }

    /// The report for people.
    public var text: String {
        var lines: [String] = ["vocabulary: \(vocabularyKey) (\(classCount) classes)"]
        for folder in [groundTruth] + (predictions.map { [$0] } ?? []) {
            lines.append("")
            lines.append("\(folder.role): \(folder.directory) — \(folder.fileCount) files")
            lines.append("  formats: " + folder.formats.map { "\($0.format) (\($0.files))" }.joined(separator: ", "))
            let total = (folder.valueHistogram + folder.colorHistogram).reduce(0) { $0 + $1.pixels }
            if !folder.valueHistogram.isEmpty {
                lines.append("  values: " + Self.histogramText(folder.valueHistogram, total: total, color: false))
            }
            if !folder.colorHistogram.isEmpty {
                lines.append("  colours: " + Self.histogramText(folder.colorHistogram, total: total, color: true))
            }
            for fit in folder.encodings {
                let state = fit.consistent ? "consistent" : "\(percent(fit.outsidePixels, of: total)) of pixels outside"
                let ignored = fit.ignoredPixels > 0 ? ", \(percent(fit.ignoredPixels, of: total)) ignored" : ""
                lines.append("  as \(fit.name): \(state)\(ignored)\(fit.name == folder.chosenEncoding ? "  ← read this way" : "")")
            }
            if !folder.filesOutside.isEmpty {
                lines.append("  files with values outside (\(folder.filesOutside.count)): "
                    + Diagnosis.listFiles(folder.filesOutside, limit: 3))
            }
        }
        lines.append("")
        lines.append("verdict: " + (isConsistent ? "consistent" : "likely misconfiguration"))
        for finding in findings {
            lines.append("  \(finding.severity == .problem ? "problem" : "note"): \(finding.message)")
        }
        lines.append("score with:")
        if let vocabExportCommand { lines.append("  " + vocabExportCommand) }
        lines.append("  " + scoreCommand(groundTruth: groundTruth.directory, predictions: predictions?.directory))
        return lines.joined(separator: "\n") + "\n"
    }

    static func histogramText(_ histogram: [ValueCount], total: UInt64, color: Bool, limit: Int = 24) -> String {
        let top = histogram.count > limit ? Array(histogram.sorted { $0.pixels > $1.pixels }.prefix(limit)).sorted { $0.value < $1.value } : histogram
        let shown = top.map { "\(color ? colorName($0.value) : "\($0.value)") \(percent($0.pixels, of: total))" }
        return shown.joined(separator: ", ") + (histogram.count > limit ? ", … (\(histogram.count) distinct)" : "")
    }

    /// The report for tools (schema `ovseg-inspect/1`).
    public var json: JSONValue {
        func folder(_ f: FolderReport) -> JSONValue {
            .object(JSONObject([
                ("directory", .string(f.directory)),
                ("files", .int(Int64(f.fileCount))),
                ("formats", .object(JSONObject(f.formats.map { ($0.format, JSONValue.int(Int64($0.files))) }))),
                ("values", .array(f.valueHistogram.map { JSONValue.array([.int(Int64($0.value)), .count($0.pixels)]) })),
                ("colours", .array(f.colorHistogram.map {
                    JSONValue.array([.int(Int64($0.value >> 16 & 255)), .int(Int64($0.value >> 8 & 255)), .int(Int64($0.value & 255)), .count($0.pixels)])
                })),
                ("encodings", .array(f.encodings.map {
                    JSONValue.object(JSONObject([
                        ("name", .string($0.name)), ("consistent", .bool($0.consistent)),
                        ("outside_pixels", .count($0.outsidePixels)), ("ignored_pixels", .count($0.ignoredPixels)),
                    ]))
                })),
                ("read_as", .string(f.chosenEncoding)),
                ("files_outside", .array(f.filesOutside.map { JSONValue.string($0.path) })),
            ]))
        }
        return .object(JSONObject([
            ("schema", .string("ovseg-inspect/1")),
            ("vocabulary", .string(vocabularyKey)),
            ("classes", .int(Int64(classCount))),
            ("ground_truth", folder(groundTruth)),
            ("predictions", predictions.map(folder) ?? .null),
            ("verdict", .string(isConsistent ? "consistent" : "misconfiguration")),
            ("findings", .array(findings.map {
                JSONValue.object(JSONObject([
                    ("severity", .string($0.severity.rawValue)), ("code", .string($0.code)),
                    ("message", .string($0.message)), ("options", .array($0.options.map { JSONValue.string($0) })),
                ]))
            })),
            ("vocab", .string(vocabArgument)),
            ("vocab_export", vocabExportCommand.map { .string($0) } ?? .null),
            ("score_options", .array(scoreOptions.map { JSONValue.string($0) })),
        ]))
    }
}
