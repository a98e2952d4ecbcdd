import Foundation
import Harness
import Metrics
import Reports
import Testing

@Suite("Report per-image CSV")
struct PerImageCSVTests {
    /// Two runs of three classes under different presence policies (so two sections, one CSV
    /// each). Image "img,0" (2×3): ground truth a×4 predicted a×3 b×1; ground truth b×2 predicted
    /// b×1 c×1. By hand: IoU a = 3/4, b = 1/(2+2−1) = 1/3, c = 0/1 = 0 (predicted, absent).
    /// union-present mIoU = (0.75 + 1/3 + 0) / 3 = 36.11 %; gt-present = (0.75 + 1/3) / 2 = 54.17 %;
    /// pixel accuracy = 4/6 = 66.67 %. Image "img1" (4×5) has no evaluated pixel: empty cells.
    @Test func valuesEqualAHandComputation() throws {
        let counts: [UInt64] = [3, 1, 0, 0, 1, 1, 0, 0, 0]
        let k = 3
        func run(_ method: String, _ presence: PresencePolicy) throws -> ReportInput {
            var record = try makeRecord(method: method, classNames: ["a", "b", "c"], matrix: counts, presence: presence)
            record.images = [
                ImageRecord(
                    id: "img,0", groundTruthSHA256: "sha256:0", predictionSHA256: "sha256:0", width: 2, height: 3,
                    counts: try ConfusionMatrix(classCount: k, counts: counts).classCounts),
                ImageRecord(
                    id: "img1", groundTruthSHA256: "sha256:0", predictionSHA256: "sha256:0", width: 4, height: 5,
                    counts: try ConfusionMatrix(classCount: k, counts: [UInt64](repeating: 0, count: k * k)).classCounts),
            ]
            return ReportInput(record: record, path: "\(method).ovseg.json")
        }
        let report = try Report(
            inputs: [try run("union \"run\"", .unionPresent), try run("gt", .gtPresent)],
            options: ReportOptions(bootstrap: nil, allowMixed: true))
        let files = Dictionary(uniqueKeysWithValues: ReportFiles.contents(of: report).map { ($0.name, $0.text) })
        #expect(files["s1-per-image.csv"] == """
            image_id,width,height,"union ""run"" mIoU (%)","union ""run"" pixel acc. (%)"
            "img,0",2,3,36.11,66.67
            img1,4,5,,

            """)
        #expect(files["s2-per-image.csv"] == """
            image_id,width,height,gt mIoU (%),gt pixel acc. (%)
            "img,0",2,3,54.17,66.67
            img1,4,5,,

            """)
        let markdown = try #require(files["report.md"])
        #expect(markdown.contains("[s1-per-image.csv](s1-per-image.csv)"))
        #expect(markdown.contains("[s2-per-image.csv](s2-per-image.csv)"))
        let html = try #require(files["report.html"])
        #expect(html.contains("<a href=\"s1-per-image.csv\">s1-per-image.csv</a>"))
        #expect(html.contains("<a href=\"s2-per-image.csv\">s2-per-image.csv</a>"))
    }

    /// The fixture report writes `per-image.csv` among its files, one row per image.
    @Test func isListedAmongTheWrittenFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-per-image-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inputs = try Fixtures.inputs()
        let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil))
        let written = try ReportFiles.write(report, to: folder)
        #expect(written.contains(folder + "/per-image.csv"))
        let text = try String(contentsOfFile: folder + "/per-image.csv", encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1 + inputs[0].record.images.count)
        #expect(lines[0].hasPrefix("image_id,width,height,\(inputs[0].record.method) mIoU (%),"))
    }
}
