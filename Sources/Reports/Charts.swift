import Harness
import Metrics

/// Inline SVG charts: per-class IoU bars, seen/unseen/hIoU bars and row-normalised confusion
/// heatmaps. Plain SVG 1.1 with fixed coordinates (one decimal), no scripts, no external fonts,
/// so the files are deterministic and render in browsers, GitHub and print.
enum Charts {
    /// Colours of the methods, in run order (cycled beyond ten).
    static let methodColors = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]

    /// All charts of a section. With `bootstrap`, the bar charts get whiskers: per-class IoU
    /// intervals on the per-class chart, the seen / unseen / hIoU intervals on the split chart.
    static func all(records: [RunRecord], scores: [Scores], prefix: String, bootstrap: BootstrapResult? = nil) -> [Chart] {
        let methods = records.map(\.method)
        let classNames = records[0].classNames
        let split = records[0].split
        var charts: [Chart] = []
        let level = bootstrap.map { ReportSection.percentLabel($0.configuration.level) } ?? ""
        let whiskers = bootstrap.map { result in
            "whiskers: \(level) bootstrap interval over images (\(result.configuration.resamples) resamples)"
        }
        let perClass = (0..<classNames.count).map { c in scores.map { $0.classIoU[c] } }
        let classIntervals = bootstrap.map { result in
            (0..<classNames.count).map { c in result.methods.map { $0.interval(ofClass: c) } }
        }
        let unseen = Set(split?.unseenIDs ?? [])
        var perClassTitle = "Per-class IoU (%)"
        if let whiskers { perClassTitle += "; " + whiskers }
        if !unseen.isEmpty { perClassTitle += "; shaded, italic: unseen classes" }
        charts.append(Chart(
            fileName: "\(prefix)iou-per-class.svg", title: perClassTitle,
            svg: groupedBars(
                title: "Per-class IoU (%)", groups: classNames, series: methods, values: perClass,
                intervals: classIntervals.map { BarIntervals(values: $0, level: level, note: whiskers ?? "") },
                unseenGroups: unseen)))
        if let split {
            let values = [
                records.map { $0.scores.meanIoU(over: split.seenIDs) },
                records.map { $0.scores.meanIoU(over: split.unseenIDs) },
                records.map { $0.splitScores?.harmonic },
            ]
            let intervals = bootstrap.map { result in
                [BootstrapMetric.seen, .unseen, .harmonic].map { metric in result.methods.map { $0.interval(metric) } }
            }
            charts.append(Chart(
                fileName: "\(prefix)seen-unseen.svg",
                title: "Seen vs unseen mIoU and hIoU (%)" + (whiskers.map { "; " + $0 } ?? ""),
                svg: groupedBars(
                    title: "Seen vs unseen mIoU and hIoU (%)", groups: ["mIoU seen", "mIoU unseen", "hIoU"],
                    series: methods, values: values,
                    intervals: intervals.map { BarIntervals(values: $0, level: level, note: whiskers ?? "") })))
        }
        for (index, record) in records.enumerated() {
            charts.append(Chart(
                fileName: "\(prefix)confusion-\(index + 1)-\(slug(record.method)).svg",
                title: "Confusion matrix, row-normalised: \(record.method)",
                svg: heatmap(title: "Confusion (row-normalised %): \(record.method)", matrix: record.matrix, classNames: classNames),
                compact: true))
        }
        return charts
    }

    /// Whiskers of a bar chart: `values[group][series]` (nil: no whisker) and the sentence naming them.
    struct BarIntervals {
        var values: [[ConfidenceInterval?]]
        /// The level, e.g. "95 %", for the tooltips.
        var level: String
        var note: String
    }

    /// Fill of the band behind unseen classes, and the colour of their labels.
    static let unseenBand = "#fbeee2"
    static let unseenText = "#a3521b"

    /// Bars of `values[group][series]` (fractions), one cluster per group, one colour per series;
    /// optional interval whiskers, and a light band with an italic label behind `unseenGroups`.
    static func groupedBars(
        title: String, groups: [String], series: [String], values: [[Double?]], intervals: BarIntervals? = nil,
        unseenGroups: Set<Int> = []
    ) -> String {
        let barWidth = max(4.0, min(18.0, 120.0 / Double(max(series.count, 1))))
        let groupWidth = Double(series.count) * barWidth + 18
        let longest = groups.map(\.count).max() ?? 0
        let rotate = Double(longest) * 6.2 > groupWidth - 4
        // Room on the left for the first rotated label, which reaches about 5 px per character left of its group's centre.
        let firstReach = rotate ? Double(groups.first?.count ?? 0) * 5.1 - 9 - Double(series.count) * barWidth / 2 : 0
        let left = max(44.0, firstReach + 8)
        let width = max(480, left + Double(groups.count) * groupWidth + 16)
        let marksUnseen = groups.indices.contains { unseenGroups.contains($0) }
        let legendNames = series + (marksUnseen ? ["unseen class"] : [])
        let legend = legendLayout(legendNames, width: width - left)
        let noteHeight = intervals == nil ? 0.0 : 16.0
        let top = 34.0 + legend.height + noteHeight
        let plotHeight = 200.0
        let bottom = rotate ? min(170, 18 + Double(longest) * 4.6) : 26
        let height = top + plotHeight + bottom
        var svg = SVG(width: width, height: height, title: title)
        svg.text(title, x: 8, y: 18, attributes: "font-size=\"14\" font-weight=\"600\"")
        for (index, item) in legend.items.enumerated() {
            if index < series.count {
                svg.raw("<rect x=\"\(f(left + item.x))\" y=\"\(f(26 + item.y))\" width=\"10\" height=\"10\" fill=\"\(color(index))\"/>")
                svg.text(series[index], x: left + item.x + 14, y: 35 + item.y, attributes: "font-size=\"11\"")
            } else {
                svg.raw("<rect x=\"\(f(left + item.x))\" y=\"\(f(26 + item.y))\" width=\"10\" height=\"10\" fill=\"\(unseenBand)\" stroke=\"\(unseenText)\" stroke-width=\"0.5\"/>")
                svg.text(legendNames[index], x: left + item.x + 14, y: 35 + item.y, attributes: "font-size=\"11\" font-style=\"italic\" fill=\"\(unseenText)\"")
            }
        }
        if let intervals {
            svg.text(intervals.note, x: left, y: 26 + legend.height + 9, attributes: "font-size=\"10\" fill=\"#555\"")
        }
        for g in groups.indices where unseenGroups.contains(g) {
            let x = left + Double(g) * groupWidth + 2
            svg.raw("<rect x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(groupWidth - 4))\" height=\"\(f(plotHeight))\" fill=\"\(unseenBand)\"/>")
        }
        for tick in stride(from: 0, through: 100, by: 20) {
            let y = top + plotHeight * (1 - Double(tick) / 100)
            svg.raw("<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - 8))\" y2=\"\(f(y))\" stroke=\"#ddd\" stroke-width=\"1\"/>")
            svg.text("\(tick)", x: left - 6, y: y + 4, attributes: "font-size=\"10\" text-anchor=\"end\" fill=\"#555\"")
        }
        func y(_ fraction: Double) -> Double { top + plotHeight * (1 - min(max(fraction, 0), 1)) }
        for (g, group) in groups.enumerated() {
            let x0 = left + Double(g) * groupWidth + 9
            let unseen = unseenGroups.contains(g)
            for (s, name) in series.enumerated() {
                let x = x0 + Double(s) * barWidth
                guard let value = values[g][s] else {
                    svg.text("·", x: x + barWidth / 2, y: top + plotHeight - 2, attributes: "font-size=\"10\" text-anchor=\"middle\" fill=\"#999\"")
                    continue
                }
                var tooltip = "\(name) — \(group)\(unseen ? " (unseen)" : ""): \(Percent.format(value))"
                if let intervals {
                    tooltip += intervals.values[g][s].map {
                        "; \(intervals.level) interval [\(Percent.format($0.lower)), \(Percent.format($0.upper))]"
                    } ?? "; no interval"
                }
                let h = plotHeight * min(max(value, 0), 1)
                svg.raw("<rect x=\"\(f(x))\" y=\"\(f(top + plotHeight - h))\" width=\"\(f(barWidth - 1))\" height=\"\(f(h))\" fill=\"\(color(s))\">")
                svg.raw("<title>\(HTMLText.escape(tooltip))</title></rect>")
                if let interval = intervals?.values[g][s] {
                    let cx = x + (barWidth - 1) / 2
                    let cap = max(1.5, min(3.5, (barWidth - 1) / 2 - 0.5))
                    let low = y(interval.lower)
                    let high = y(interval.upper)
                    svg.raw(
                        "<path d=\"M\(f(cx)) \(f(low))V\(f(high))M\(f(cx - cap)) \(f(low))H\(f(cx + cap))M\(f(cx - cap)) \(f(high))H\(f(cx + cap))\" "
                            + "stroke=\"#222\" stroke-width=\"1\" fill=\"none\"><title>\(HTMLText.escape(tooltip))</title></path>")
                }
            }
            let cx = x0 + Double(series.count) * barWidth / 2
            let ly = top + plotHeight + 14
            let style = unseen ? " font-style=\"italic\" fill=\"\(unseenText)\"" : ""
            if rotate {
                svg.text(group, x: cx, y: ly, attributes: "font-size=\"11\" text-anchor=\"end\"\(style) transform=\"rotate(-35 \(f(cx)) \(f(ly)))\"")
            } else {
                svg.text(group, x: cx, y: ly, attributes: "font-size=\"11\" text-anchor=\"middle\"\(style)")
            }
        }
        svg.raw("<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(width - 8))\" y2=\"\(f(top + plotHeight))\" stroke=\"#333\" stroke-width=\"1\"/>")
        return svg.finish()
    }

    /// A K×K heatmap of the confusion matrix, each ground-truth row divided by its total.
    static func heatmap(title: String, matrix: ConfusionMatrix, classNames: [String]) -> String {
        let k = matrix.classCount
        let cell = k <= 10 ? 34.0 : (k <= 20 ? 24.0 : 14.0)
        let longest = Double(classNames.map(\.count).max() ?? 1)
        let left = min(220, 16 + longest * 6.4)
        let top = 40 + min(180, 10 + longest * 4.6)
        // Room on the right for the last rotated column label, and for the note under the grid.
        let width = max(500, left + Double(k) * cell + min(130, longest * 4.6) + 12)
        let height = top + Double(k) * cell + 34
        var svg = SVG(width: width, height: height, title: title)
        svg.text(title, x: 8, y: 18, attributes: "font-size=\"14\" font-weight=\"600\"")
        for c in 0..<k {
            let x = left + (Double(c) + 0.5) * cell
            svg.text(classNames[c], x: x, y: top - 6, attributes: "font-size=\"11\" text-anchor=\"start\" transform=\"rotate(-45 \(f(x)) \(f(top - 6)))\"")
            svg.text(classNames[c], x: left - 6, y: top + (Double(c) + 0.5) * cell + 4, attributes: "font-size=\"11\" text-anchor=\"end\"")
        }
        for g in 0..<k {
            var total: UInt64 = 0
            for p in 0..<k { total += matrix[g, p] }
            for p in 0..<k {
                let x = left + Double(p) * cell
                let y = top + Double(g) * cell
                guard total > 0 else {
                    svg.raw("<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"#f3f3f3\" stroke=\"#fff\"/>")
                    continue
                }
                let share = Double(matrix[g, p]) / Double(total)
                svg.raw("<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(blue(share))\" stroke=\"#fff\">")
                svg.raw("<title>\(HTMLText.escape("\(classNames[g]) → \(classNames[p]): \(Percent.format(share))"))</title></rect>")
                if cell >= 20 {
                    let label = "\(Int((share * 100).rounded()))"
                    svg.text(label, x: x + cell / 2, y: y + cell / 2 + 4, attributes: "font-size=\"10\" text-anchor=\"middle\" fill=\"\(share > 0.5 ? "#fff" : "#222")\"")
                }
            }
        }
        svg.text("rows: ground truth · columns: prediction · grey: class absent from the ground truth", x: 8, y: height - 10, attributes: "font-size=\"10\" fill=\"#555\"")
        return svg.finish()
    }

    /// White → dark blue.
    static func blue(_ share: Double) -> String {
        let t = min(max(share, 0), 1)
        func channel(_ from: Double, _ to: Double) -> String {
            let value = Int((from + (to - from) * t).rounded())
            let hex = String(value, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }
        return "#" + channel(255, 8) + channel(255, 48) + channel(255, 107)
    }

    static func color(_ index: Int) -> String { methodColors[index % methodColors.count] }

    /// Legend entries placed left to right, wrapping at `width`.
    static func legendLayout(_ names: [String], width: Double) -> (items: [(x: Double, y: Double)], height: Double) {
        var items: [(Double, Double)] = []
        var x = 0.0
        var y = 0.0
        for name in names {
            let itemWidth = 22 + Double(min(name.count, 40)) * 6.4
            if x > 0 && x + itemWidth > width {
                x = 0
                y += 16
            }
            items.append((x, y))
            x += itemWidth
        }
        return (items, y + 16)
    }

    /// A file-name-safe form of a method name: lowercase letters, digits and dashes.
    static func slug(_ name: String) -> String {
        var out = ""
        for scalar in name.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        let trimmed = out.split(separator: "-").joined(separator: "-")
        return trimmed.isEmpty ? "method" : String(trimmed.prefix(40))
    }

    /// One decimal, fixed: coordinates are deterministic text.
    static func f(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = abs(tenths)
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }
}

/// Accumulates one SVG document; text always goes through escaping.
struct SVG {
    private var output: String

    init(width: Double, height: Double, title: String) {
        let w = Charts.f(width)
        let h = Charts.f(height)
        output = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" "
            + "role=\"img\" font-family=\"Helvetica, Arial, sans-serif\">"
        output += "<title>\(HTMLText.escape(title))</title>"
        output += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
    }

    mutating func raw(_ markup: String) { output += markup }

    mutating func text(_ text: String, x: Double, y: Double, attributes: String) {
        output += "<text x=\"\(Charts.f(x))\" y=\"\(Charts.f(y))\" \(attributes)>\(HTMLText.escape(text))</text>"
    }

    func finish() -> String { output + "</svg>\n" }
}
