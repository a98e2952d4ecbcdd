/// One line of a report's table of contents: a heading and the anchor it links to.
public struct ContentsEntry: Sendable, Equatable {
    /// 0 for a section or a top-level heading, 1 below it, and so on.
    public var depth: Int
    public var title: String
    /// The `id` of the linked element: a table's id for tables ("summary-1"), else the heading's
    /// name and the section number ("charts-1"), so anchors are stable and unique in a report.
    public var anchor: String
}

extension ReportSection {
    /// Anchors of the headings that are not tables' captions.
    var sectionAnchor: String { "section-\(number)" }
    var intervalsAnchor: String { "confidence-intervals-\(number)" }
    var chartsAnchor: String { "charts-\(number)" }
    var qualitativeAnchor: String { "qualitative-\(number)" }
    var policyAnchor: String { "policy-\(number)" }

    /// Whether the section has a confidence-intervals heading.
    var hasIntervals: Bool { bootstrapNote != nil || deltas != nil }
    var hasQualitative: Bool { !(qualitative?.rows.isEmpty ?? true) }
}

extension Report {
    /// The headings of the report in order, as both renderers write them.
    public var contents: [ContentsEntry] {
        var entries = foldSummaries.map { ContentsEntry(depth: 0, title: $0.caption, anchor: $0.id) }
        for section in sections {
            var depth = 0
            if let heading = section.heading {
                entries.append(ContentsEntry(depth: 0, title: heading, anchor: section.sectionAnchor))
                depth = 1
            }
            for table in [section.summary, section.perClass, section.collapse, section.featureDrift].compactMap({ $0 }) {
                entries.append(ContentsEntry(depth: depth, title: table.caption, anchor: table.id))
            }
            if section.hasIntervals {
                entries.append(ContentsEntry(depth: depth, title: "Confidence intervals", anchor: section.intervalsAnchor))
                for table in [section.deltas, section.intervals, section.undefinedClasses].compactMap({ $0 }) {
                    entries.append(ContentsEntry(depth: depth + 1, title: table.caption, anchor: table.id))
                }
            }
            entries.append(ContentsEntry(depth: depth, title: "Charts", anchor: section.chartsAnchor))
            if section.hasQualitative {
                entries.append(ContentsEntry(depth: depth, title: "Qualitative examples", anchor: section.qualitativeAnchor))
            }
            entries.append(ContentsEntry(depth: depth, title: "Policy and provenance", anchor: section.policyAnchor))
            entries.append(ContentsEntry(depth: depth + 1, title: section.provenance.caption, anchor: section.provenance.id))
        }
        return entries
    }
}
