import Metrics
import Reports

/// Human, Markdown and JUnit renderings of a check.
extension CheckResult {
    /// A short table of what moved (failures first, then the rest), the mode's own findings, and the verdict.
    public func text() -> String {
        TerminalText.sanitized(unsanitizedText())
    }

    private func unsanitizedText() -> String {
        var lines: [String] = []
        let verdict = passed ? "PASS" : "FAIL"
        lines.append("\(verdict): \(runMethod) against baseline \(baselineMethod)\(modeSuffix)")
        let moved = checks.filter { $0.status != .unchanged && $0.status != .undefined }
            .sorted { order($0) < order($1) }
        if moved.isEmpty {
            lines.append("  no metric moved")
        }
        for check in moved {
            lines.append(
                "  " + pad(check.name, 28) + pad(Percent.format(check.baseline), 8) + " → " + pad(Percent.format(check.run), 8)
                    + pad(deltaText(check), 9) + " " + label(check))
        }
        if let exactDifference {
            lines.append("  counts differ: \(exactDifference)")
        } else if exact {
            lines.append("  confusion matrices identical")
        }
        if let noise {
            lines.append("  labels: " + (noise.labels.map(labelSentence) ?? notMeasured))
            lines.append("  " + groundTruthSentence(noise))
            if let message = noiseFailureMessage { lines.append("  " + message) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown section for `GITHUB_STEP_SUMMARY`.
    public func markdown() -> String {
        var lines: [String] = []
        let failedTitle = noise == nil ? "❌ regression" : "❌ differs beyond numerical noise"
        lines.append("### ovseg check: \(passed ? "✅ pass" : failedTitle)")
        lines.append("")
        let run = MarkdownText.escape(runMethod)
        let base = MarkdownText.escape(baselineMethod)
        switch mode {
        case .tolerance:
            lines.append("Run **\(run)** against baseline **\(base)**.")
        case .exact:
            lines.append("Run **\(run)** against baseline **\(base)**, exact counts required.")
        case .numericNoise(let limits):
            lines.append(
                "Run **\(run)** against baseline **\(base)**, equal up to numerical noise required: label agreement at least "
                    + "\(number(limits.minLabelAgreement)) %, every metric within ±\(number(limits.maxMetricChange)) pp.")
        }
        lines.append("")
        let allowedHeader = noise == nil ? "allowed drop" : "allowed change"
        lines.append("| metric | baseline | run | Δ (pp) | \(allowedHeader) | status |")
        lines.append("| :--- | ---: | ---: | ---: | ---: | :--- |")
        for check in checks {
            lines.append(
                "| \(MarkdownText.escape(check.name)) | \(Percent.format(check.baseline)) | \(Percent.format(check.run)) | "
                    + "\(deltaText(check)) | \(allowedText(check)) | \(label(check)) |")
        }
        if let exactDifference {
            lines.append("")
            lines.append("Counts differ: \(MarkdownText.escape(exactDifference))")
        }
        if let noise {
            lines.append("")
            lines.append("Labels: \(MarkdownText.escape(noise.labels.map(labelSentence) ?? notMeasured)).")
            lines.append("")
            lines.append("Images: \(MarkdownText.escape(groundTruthSentence(noise))).")
            if let message = noiseFailureMessage {
                lines.append("")
                lines.append("**\(MarkdownText.escape(message.prefix(1).uppercased() + message.dropFirst()))**")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// JUnit XML: one test case per checked metric, plus one for exact counts in exact mode, or one
    /// for the label agreement and one for the images and ground truth in numeric-noise mode;
    /// failures for what failed. Metrics that moved carry their status in `system-out`.
    public func junitXML() -> String {
        let extra = exact ? 1 : (noise == nil ? 0 : 2)
        let cases = checks.count + extra
        var failures = regressions.count + (exactDifference == nil ? 0 : 1)
        if let noise {
            if noise.labels?.withinLimit != true { failures += 1 }
            if noise.groundTruthDifference != nil { failures += 1 }
        }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"ovseg check\" tests=\"\(cases)\" failures=\"\(failures)\">\n"
        xml += "  <testsuite name=\"\(xmlEscape(runMethod)) vs \(xmlEscape(baselineMethod))\" tests=\"\(cases)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for check in checks {
            let moved = check.status != .unchanged && check.status != .undefined
            xml += testCase(
                check.name, failure: check.failed ? failureMessage(check) : nil,
                output: moved ? "\(Percent.format(check.baseline)) → \(Percent.format(check.run)) (\(deltaText(check)) pp): \(label(check))" : nil)
        }
        if exact {
            xml += testCase("exact confusion matrix", failure: exactDifference, output: nil)
        }
        if let noise {
            let labelText = noise.labels.map(labelSentence) ?? notMeasured
            xml += testCase(
                "label agreement", failure: noise.labels?.withinLimit == true ? nil : labelText,
                output: noise.labels?.withinLimit == true ? labelText : nil)
            xml += testCase("same images and ground truth", failure: noise.groundTruthDifference, output: nil)
            if let message = noiseFailureMessage {
                xml += "    <system-out>\(xmlEscape(message))</system-out>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// In numeric-noise mode, when the check failed: why, with the image whose labels changed
    /// most and the metric that moved most.
    public var noiseFailureMessage: String? {
        guard let noise, !passed else { return nil }
        var reasons: [String] = []
        if let difference = noise.groundTruthDifference { reasons.append(difference) }
        if let labels = noise.labels, !labels.withinLimit {
            reasons.append(
                "at least \(labels.changedAtLeast) of \(labels.coveredPixels) pixels changed label (agreement at most "
                    + "\(agreementPercent(labels)) %, minimum \(number(noise.limits.minLabelAgreement)) %)")
        }
        let beyond = checks.filter { $0.status == .beyondNoise }
        if !beyond.isEmpty {
            reasons.append(
                "\(beyond.count) metric\(beyond.count == 1 ? "" : "s") moved by more than ±\(number(noise.limits.maxMetricChange)) pp")
        }
        var message = "not equal up to numerical noise: " + reasons.joined(separator: "; ")
        if let image = noise.labels?.mostChanged {
            message += "; most changed image: \(image.id) (at least \(image.changedAtLeast) of \(image.coveredPixels) pixels)"
        }
        if let metric = largestMetricChange {
            let delta = metric.deltaPoints.map { unroundedPoints($0) + " pp" }
                ?? "\(metric.baseline == nil ? "became defined" : "became undefined")"
            message += "; metric that moved most: \(metric.name) (\(delta), allowed ±\(number(noise.limits.maxMetricChange)) pp)"
        }
        return message
    }

    private var modeSuffix: String {
        switch mode {
        case .tolerance: ""
        case .exact: " (exact)"
        case .numericNoise(let limits):
            " (numeric noise: label agreement ≥ \(number(limits.minLabelAgreement)) %, metrics ±\(number(limits.maxMetricChange)) pp)"
        }
    }

    private var notMeasured: String { "not measured (the bound assumes identical ground truth)" }

    private func labelSentence(_ labels: LabelChanges) -> String {
        if labels.changedAtLeast == 0 {
            return "the per-image counts show no changed label among \(labels.coveredPixels) pixels "
                + "(a lower bound: changes that cancel within an image leave no trace)"
        }
        var text = "at least \(labels.changedAtLeast) of \(labels.coveredPixels) pixels changed label "
            + "(agreement at most \(agreementPercent(labels)) %, minimum \(number(labels.minimumAgreement)) %; "
            + "a lower bound from the per-image counts)"
        if let image = labels.mostChanged {
            text += "; \(labels.imagesChanged) image\(labels.imagesChanged == 1 ? "" : "s") changed, most \(image.id) "
                + "(at least \(image.changedAtLeast) of \(image.coveredPixels))"
        }
        return text
    }

    private func groundTruthSentence(_ noise: NoiseComparison) -> String {
        if let difference = noise.groundTruthDifference { return difference }
        return "same \(noise.imageCount) image\(noise.imageCount == 1 ? "" : "s") with identical ground truth"
    }

    private func failureMessage(_ check: MetricCheck) -> String {
        if check.status == .beyondNoise {
            guard let delta = check.deltaPoints else {
                return "\(check.name) is \(check.run == nil ? "undefined" : "defined") in the run and "
                    + "\(check.baseline == nil ? "undefined" : "defined") in the baseline"
            }
            return "\(check.name) moved from \(Percent.format(check.baseline)) to \(Percent.format(check.run)) "
                + "(\(unroundedPoints(delta)) pp; allowed change ±\(number(check.tolerance)) pp)"
        }
        if check.run == nil { return "\(check.name) is undefined in the run (baseline \(Percent.format(check.baseline)))" }
        return "\(check.name) fell from \(Percent.format(check.baseline)) to \(Percent.format(check.run)) "
            + "(\(signedPoints(check.deltaPoints)) pp; allowed drop \(formatTolerance(check.tolerance)) pp)"
    }

    /// The change in percentage points: two decimals, or unrounded (at least four decimals) where
    /// two decimals would hide it — a metric unchanged at two decimals, any change under 0.01 pp,
    /// and every change in numeric-noise mode.
    private func deltaText(_ check: MetricCheck) -> String {
        guard let delta = check.deltaPoints else { return "—" }
        if delta == 0 { return signedPoints(delta) }
        if noise != nil || check.status == .unchangedAtTwoDecimals || abs(delta) < 0.01 {
            return unroundedPoints(delta)
        }
        return signedPoints(delta)
    }

    private func allowedText(_ check: MetricCheck) -> String {
        noise == nil ? formatTolerance(check.tolerance) : "±" + number(check.tolerance)
    }

    private func order(_ check: MetricCheck) -> Int {
        switch check.status {
        case .regressed, .beyondNoise: 0
        case .withinTolerance, .withinNoise: 1
        case .improved: 2
        case .unchangedAtTwoDecimals: 3
        default: 4
        }
    }

    private func label(_ check: MetricCheck) -> String {
        switch check.status {
        case .regressed: "REGRESSION"
        case .beyondNoise: "BEYOND NOISE"
        case .withinTolerance: "within tolerance"
        case .withinNoise: "within noise"
        case .improved: "improved"
        case .unchanged: "unchanged"
        case .unchangedAtTwoDecimals: "unchanged at two decimals"
        case .undefined: "undefined"
        }
    }

    private func testCase(_ name: String, failure: String?, output: String?) -> String {
        var xml = "    <testcase classname=\"ovseg.check\" name=\"\(xmlEscape(name))\""
        if failure == nil && output == nil { return xml + "/>\n" }
        xml += ">\n"
        if let failure { xml += "      <failure message=\"\(xmlEscape(failure))\"/>\n" }
        if let output { xml += "      <system-out>\(xmlEscape(output))</system-out>\n" }
        return xml + "    </testcase>\n"
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

/// A signed change with at least four decimals and at least one significant digit ("+0.0004",
/// "-0.00002"); below 1e-12 in scientific notation ("+3.2e-14").
func unroundedPoints(_ value: Double) -> String {
    if value == 0 { return "0.0000" }
    let sign = value > 0 ? "+" : "-"
    let magnitude = abs(value)
    guard magnitude.isFinite else { return "\(sign)∞" }
    var decimals = 4
    var scale = 10_000.0
    while decimals < 12 && (magnitude * scale).rounded() < 1 {
        decimals += 1
        scale *= 10
    }
    let scaled = (magnitude * scale).rounded()
    if scaled < 1 {
        var mantissa = magnitude
        var exponent = 0
        while mantissa < 1 {
            mantissa *= 10
            exponent -= 1
        }
        let tenths = Int((mantissa * 10).rounded())
        return "\(sign)\(tenths / 10).\(tenths % 10)e\(exponent)"
    }
    guard scaled < 9e18 else { return "\(sign)\(magnitude)" }
    let whole = UInt64(scaled)
    let unit = UInt64(scale)
    let fraction = String(whole % unit)
    return "\(sign)\(whole / unit)." + String(repeating: "0", count: decimals - fraction.count) + fraction
}

/// The label agreement upper bound 1 − N/M in percent, rounded up (so the "at most" stays true),
/// with four decimals or more when four would round a failing figure up to the minimum.
func agreementPercent(_ labels: LabelChanges) -> String {
    guard labels.coveredPixels > 0 else { return "100" }
    let covered = UInt128(labels.coveredPixels)
    let unchanged = covered - UInt128(min(labels.changedAtLeast, labels.coveredPixels))
    var decimals = 4
    while true {
        var unit: UInt128 = 1
        for _ in 0..<decimals { unit *= 10 }
        let scaled = (unchanged * 100 * unit + covered - 1) / covered  // ceiling
        let shown = Double(scaled) / Double(unit)
        if labels.withinLimit || shown < labels.minimumAgreement || decimals >= 9 {
            let fraction = String(scaled % unit)
            return "\(scaled / unit)." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        decimals += 1
    }
}

/// A limit as the user wrote it: "99.99", "0.01", "100".
func number(_ value: Double) -> String {
    let text = "\(value)"
    return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
}

func formatTolerance(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

/// A forbidden character shown as its code point, so the report still says what was there.
private func forbiddenReplacement(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
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
            // XML 1.0 forbids most C0 controls and the noncharacters U+FFFE and U+FFFF.
            let forbidden = (scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r")
                || scalar.value == 0xFFFE || scalar.value == 0xFFFF
            if forbidden { out += forbiddenReplacement(scalar) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out
}
