import Metrics
import Reports

/// Human, Markdown and JUnit renderings of a check.
extension CheckResult {
    /// A short table of what moved (regressions first, then improvements), and the verdict.
    public func text() -> String {
        var lines: [String] = []
        let verdict = passed ? "PASS" : "FAIL"
        lines.append("\(verdict): \(runMethod) against baseline \(baselineMethod)\(exact ? " (exact)" : "")")
        let moved = checks.filter { $0.status != .unchanged && $0.status != .undefined }
            .sorted { order($0) < order($1) }
        if moved.isEmpty {
            lines.append("  no metric moved")
        }
        for check in moved {
            lines.append(
                "  " + pad(check.name, 28) + pad(Percent.format(check.baseline), 8) + " → " + pad(Percent.format(check.run), 8)
                    + pad(signedPoints(check.deltaPoints), 9) + " " + label(check))
        }
        if let exactDifference {
            lines.append("  counts differ: \(exactDifference)")
        } else if exact {
            lines.append("  confusion matrices identical")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown section for `GITHUB_STEP_SUMMARY`.
    public func markdown() -> String {
        var lines: [String] = []
        lines.append("### ovseg check: \(passed ? "✅ pass" : "❌ regression")")
        lines.append("")
        lines.append("Run **\(MarkdownText.escape(runMethod))** against baseline **\(MarkdownText.escape(baselineMethod))**\(exact ? ", exact counts required" : "").")
        lines.append("")
        lines.append("| metric | baseline | run | Δ (pp) | allowed drop | status |")
        lines.append("| :--- | ---: | ---: | ---: | ---: | :--- |")
        for check in checks {
            lines.append(
                "| \(MarkdownText.escape(check.name)) | \(Percent.format(check.baseline)) | \(Percent.format(check.run)) | "
                    + "\(signedPoints(check.deltaPoints)) | \(formatTolerance(check.tolerance)) | \(label(check)) |")
        }
        if let exactDifference {
            lines.append("")
            lines.append("Counts differ: \(MarkdownText.escape(exactDifference))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// JUnit XML: one test case per checked metric (plus one for exact counts), failures for regressions.
    public func junitXML() -> String {
        let cases = checks.count + (exact ? 1 : 0)
        let failures = regressions.count + (exactDifference == nil ? 0 : 1)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"ovseg check\" tests=\"\(cases)\" failures=\"\(failures)\">\n"
        xml += "  <testsuite name=\"\(xmlEscape(runMethod)) vs \(xmlEscape(baselineMethod))\" tests=\"\(cases)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for check in checks {
            xml += "    <testcase classname=\"ovseg.check\" name=\"\(xmlEscape(check.name))\""
            if check.failed {
                xml += ">\n      <failure message=\"\(xmlEscape(failureMessage(check)))\"/>\n    </testcase>\n"
            } else {
                xml += "/>\n"
            }
        }
        if exact {
            xml += "    <testcase classname=\"ovseg.check\" name=\"exact confusion matrix\""
            if let exactDifference {
                xml += ">\n      <failure message=\"\(xmlEscape(exactDifference))\"/>\n    </testcase>\n"
            } else {
                xml += "/>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    private func failureMessage(_ check: MetricCheck) -> String {
        if check.run == nil { return "\(check.name) is undefined in the run (baseline \(Percent.format(check.baseline)))" }
        return "\(check.name) fell from \(Percent.format(check.baseline)) to \(Percent.format(check.run)) "
            + "(\(signedPoints(check.deltaPoints)) pp; allowed drop \(formatTolerance(check.tolerance)) pp)"
    }

    private func order(_ check: MetricCheck) -> Int {
        switch check.status {
        case .regressed: 0
        case .withinTolerance: 1
        case .improved: 2
        default: 3
        }
    }

    private func label(_ check: MetricCheck) -> String {
        switch check.status {
        case .regressed: "REGRESSION"
        case .withinTolerance: "within tolerance"
        case .improved: "improved"
        case .unchanged: "unchanged"
        case .undefined: "undefined"
        }
    }
}

func signedPoints(_ value: Double?) -> String {
    guard let value else { return "—" }
    let hundredths = Int((value * 100).rounded(.toNearestOrEven))
    if hundredths == 0 { return "0.00" }
    let sign = hundredths > 0 ? "+" : "-"
    let magnitude = abs(hundredths)
    return "\(sign)\(magnitude / 100).\(magnitude % 100 < 10 ? "0" : "")\(magnitude % 100)"
}

func formatTolerance(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func xmlEscape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // XML 1.0 forbids most control characters.
            if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" { out += " " } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out
}
