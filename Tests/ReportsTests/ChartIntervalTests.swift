import Foundation
import Harness
import Metrics
import Reports
import Testing

/// Whiskers of the bar charts and the unseen marks of the per-class chart.
@Suite("Chart intervals and split marks")
struct ChartIntervalTests {
    static let configuration = BootstrapConfiguration(resamples: 200, level: 0.9, seed: 7)

    func chart(_ report: Report, _ name: String) throws -> (title: String, svg: String) {
        let chart = try #require(report.sections[0].charts.first { $0.fileName == name })
        return (chart.title, decodeEntities(chart.svg))
    }

    /// One whisker per bar with an interval; its tooltip and its ends are the bootstrap's per-class interval.
    @Test func perClassWhiskersAreTheBootstrapsClassIntervals() throws {
        let inputs = try Fixtures.inputs()
        let records = inputs.map(\.record)
        let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: Self.configuration))
        // The bootstrap the section runs, computed here from the same per-image counts.
        let tables = try records.map { try ImageCountTable(images: $0.images.map(\.counts), classCount: $0.matrix.classCount) }
        let split = try #require(records[0].split)
        let result = try Bootstrap.run(
            methods: tables, baseline: 0, seen: split.seenIDs, unseen: split.unseenIDs, policy: records[0].policy.presence,
            configuration: Self.configuration)
        let (title, svg) = try chart(report, "iou-per-class.svg")
        #expect(title.contains("whiskers: 90 % bootstrap interval over images (200 resamples)"))
        #expect(svg.contains("whiskers: 90 % bootstrap interval over images (200 resamples)"))
        var expectedWhiskers: [(low: Double, high: Double)] = []
        for (c, className) in records[0].classNames.enumerated() {
            let unseen = split.unseenIDs.contains(c) ? " (unseen)" : ""
            for (m, record) in records.enumerated() {
                guard let value = record.scores.classIoU[c] else { continue }
                let interval = try #require(result.methods[m].interval(ofClass: c))
                let tooltip = "\(record.method) — \(className)\(unseen): \(Percent.format(value)); 90 % interval "
                    + "[\(Percent.format(interval.lower)), \(Percent.format(interval.upper))]"
                let onBar = svg.contains("<title>\(tooltip)</title></rect>")
                let onWhisker = svg.contains("<title>\(tooltip)</title></path>")
                #expect(onBar && onWhisker, "no bar and whisker with the tooltip \(tooltip)")
                expectedWhiskers.append((interval.lower, interval.upper))
            }
        }
        // Whisker ends on the 200-px value axis: the spans agree with the intervals to the coordinate rounding.
        let whiskers = Self.whiskers(svg)
        #expect(whiskers.count == expectedWhiskers.count)
        for (drawn, interval) in zip(whiskers, expectedWhiskers) {
            #expect(abs((drawn.low - drawn.high) - 200 * (interval.high - interval.low)) <= 0.11, "\(drawn) vs \(interval)")
        }
    }

    @Test func seenUnseenWhiskersAreTheMetricIntervals() throws {
        let inputs = try Fixtures.inputs()
        let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: Self.configuration))
        let (title, svg) = try chart(report, "seen-unseen.svg")
        #expect(title.contains("whiskers: 90 % bootstrap interval"))
        // The interval table of the same section holds the same intervals.
        let rows = htmlTableRows(HTMLReport.render(report), id: "intervals-1")
        #expect(rows.first == ["Method", "mIoU 90 % CI", "mIoU seen 90 % CI", "mIoU unseen 90 % CI", "hIoU 90 % CI"])
        for (row, input) in zip(rows.dropFirst(), inputs) {
            let values = [
                input.record.scores.meanIoU(over: input.record.split?.seenIDs), input.record.scores.meanIoU(over: input.record.split?.unseenIDs),
                input.record.splitScores?.harmonic,
            ]
            for (column, (group, value)) in zip(["mIoU seen", "mIoU unseen", "hIoU"], values).enumerated() {
                let value = try #require(value)
                let tooltip = "\(input.record.method) — \(group): \(Percent.format(value)); 90 % interval \(row[column + 2])"
                let onWhisker = svg.contains("<title>\(tooltip)</title></path>")
                #expect(onWhisker, "no whisker with the tooltip \(tooltip)")
            }
        }
    }

    /// Without a bootstrap (off, or impossible) the charts draw no whiskers and name none.
    @Test func noBootstrapNoWhiskers() throws {
        var withoutImages = try Fixtures.inputs()
        withoutImages[1].record.images = []
        for (inputs, bootstrap) in [(try Fixtures.inputs(), nil), (withoutImages, Self.configuration)] {
            let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: bootstrap))
            for name in ["iou-per-class.svg", "seen-unseen.svg"] {
                let (title, svg) = try chart(report, name)
                #expect(!svg.contains("<path"), "\(name)")
                #expect(!svg.contains("whisker") && !svg.contains("interval"), "\(name)")
                #expect(!title.contains("whisker"), "\(name)")
            }
        }
    }

    /// Unseen classes: a band behind their group, an italic coloured label, "(unseen)" in the
    /// tooltips, and a legend entry; none of it without a split.
    @Test func unseenClassesAreMarkedOnlyWithASplit() throws {
        let inputs = try Fixtures.inputs()
        let split = try #require(inputs[0].record.split)
        let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil))
        let (title, svg) = try chart(report, "iou-per-class.svg")
        #expect(title.contains("shaded, italic: unseen classes"))
        #expect(svg.contains(">unseen class</text>"))
        let bands = svg.components(separatedBy: "fill=\"#fbeee2\"/>").count - 1
        #expect(bands == split.unseenIDs.count)  // the legend swatch has a stroke as well
        for (c, name) in inputs[0].record.classNames.enumerated() {
            #expect(Self.labelIsItalic(svg, name) == split.unseenIDs.contains(c), "\(name)")
        }

        let plain = try makeRecord(method: "a", classNames: ["x", "y"], matrix: [5, 1, 2, 7], imageCount: 3)
        let other = try makeRecord(method: "b", classNames: ["x", "y"], matrix: [6, 0, 1, 8], imageCount: 3)
        let noSplit = try Report(
            inputs: [ReportInput(record: plain, path: "a.json"), ReportInput(record: other, path: "b.json")],
            options: ReportOptions(bootstrap: Self.configuration))
        let (plainTitle, plainSVG) = try chart(noSplit, "iou-per-class.svg")
        #expect(!plainSVG.contains("unseen") && !plainSVG.contains("#fbeee2") && !plainSVG.contains("italic"))
        #expect(!plainTitle.contains("unseen"))
        #expect(plainSVG.contains("<path"))
        #expect(noSplit.sections[0].charts.allSatisfy { $0.fileName != "seen-unseen.svg" })
    }

    /// The ends (y of the lower bound, y of the upper bound) of every whisker path, in order.
    static func whiskers(_ svg: String) -> [(low: Double, high: Double)] {
        let pattern = /<path d="M[0-9.]+ ([0-9.]+)V([0-9.]+)M/
        return svg.matches(of: pattern).compactMap { match in
            guard let low = Double(match.output.1), let high = Double(match.output.2) else { return nil }
            return (low, high)
        }
    }

    static func labelIsItalic(_ svg: String, _ name: String) -> Bool {
        guard let end = svg.range(of: ">\(name)</text>") else { return false }
        let start = svg[..<end.lowerBound].range(of: "<text", options: .backwards)?.lowerBound ?? end.lowerBound
        return svg[start..<end.lowerBound].contains("font-style=\"italic\"")
    }
}
