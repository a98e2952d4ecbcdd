import Harness
import Metrics

/// The per-image table of a section, written beside the report as CSV (`per-image.csv`, or
/// `s<n>-per-image.csv` when the report has several sections): image id, width, height, then per
/// run the image's mIoU under the run's presence policy and its pixel accuracy, both from the
/// per-image counts in the results files. Percentages rounded as numpy does
/// (`np.round(x * 100, 2)`), like every other number of the report; an empty cell means
/// undefined (no class entered the mean, no ground-truth pixel) or an image the run did not score.
public struct PerImageTable: Sendable, Equatable {
    public var fileName: String
    public var header: [String]
    public var rows: [[String]]

    /// Nil when no run of the section holds per-image counts.
    init?(records: [RunRecord], prefix: String) {
        guard records.contains(where: { !$0.images.isEmpty }) else { return nil }
        fileName = prefix + "per-image.csv"
        header = ["image_id", "width", "height"]
            + records.flatMap { ["\($0.method) mIoU (%)", "\($0.method) pixel acc. (%)"] }
        // Images in the first run's order, then any only later runs scored, in their order.
        var order: [String] = []
        var size: [String: (Int, Int)] = [:]
        var byRun: [[String: ImageRecord]] = []
        for record in records {
            var images: [String: ImageRecord] = [:]
            for image in record.images where images[image.id] == nil {
                images[image.id] = image
                if size[image.id] == nil {
                    size[image.id] = (image.width, image.height)
                    order.append(image.id)
                }
            }
            byRun.append(images)
        }
        rows = order.map { id in
            let (width, height) = size[id] ?? (0, 0)
            var row = [id, String(width), String(height)]
            for (record, images) in zip(records, byRun) {
                guard let image = images[id] else {
                    row += ["", ""]
                    continue
                }
                let scores = Scores(classCounts: image.counts, policy: record.policy.presence)
                row += [Percent.format(scores.meanIoU(), undefined: ""), Percent.format(scores.pixelAccuracy, undefined: "")]
            }
            return row
        }
    }

    /// CSV as RFC 4180 has it, but with "\n" line ends: a field holding a comma, a quote or a line break
    /// is quoted, with quotes doubled.
    public var csv: String {
        ([header] + rows).map { $0.map(Self.field).joined(separator: ",") + "\n" }.joined()
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
