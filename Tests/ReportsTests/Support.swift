import Foundation
import Harness
import Metrics
import Reports
import SyntheticData
import Testing

/// Fixture results files (6 synthetic 64×64 tiles, three simulated methods) and golden outputs.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let goldenDirectory = directory + "/golden"
    static let runNames = ["boundary-drift", "class-confusion", "seen-collapse"]

    static func inputs() throws -> [ReportInput] {
        try runNames.map { name in
            let path = directory + "/\(name).ovseg.json"
            return ReportInput(record: try ResultsFile.read(path: path), path: "Fixtures/\(name).ovseg.json")
        }
    }

    /// Compares `text` with the golden file `name`, or rewrites the golden when `OVSEG_RECORD=1`.
    static func assertGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = goldenDirectory + "/" + name
        if ProcessInfo.processInfo.environment["OVSEG_RECORD"] == "1" {
            try FileManager.default.createDirectory(atPath: goldenDirectory, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("no golden file \(path); run the tests with OVSEG_RECORD=1", sourceLocation: sourceLocation)
            return
        }
        if expected != text {
            let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let actualLines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(expectedLines.count, actualLines.count)
            let expectedLine = first < expectedLines.count ? String(expectedLines[first]) : "<end>"
            let actualLine = first < actualLines.count ? String(actualLines[first]) : "<end>"
            Issue.record(
                "\(name) differs from its golden at line \(first + 1):\n expected: \(expectedLine.prefix(300))\n actual:   \(actualLine.prefix(300))\n(re-record with OVSEG_RECORD=1 if the change is intended)",
                sourceLocation: sourceLocation)
        }
    }
}

/// A run with a hand-made confusion matrix and one image holding all counts.
func makeRecord(
    method: String, classNames: [String], matrix counts: [UInt64], presence: PresencePolicy = .unionPresent,
    split: SplitInfo? = nil, vocabularyName: String = "Test vocabulary", groundTruthDirectory: String = "gt",
    predictionDirectory: String = "pred", splitSource: String? = nil, imageCount: Int = 1
) throws -> RunRecord {
    let k = classNames.count
    let matrix = try ConfusionMatrix(classCount: k, counts: counts)
    // Split the counts over `imageCount` images: image i gets the share i of each cell (last takes the rest).
    var images: [ImageRecord] = []
    var remaining = counts
    for i in 0..<imageCount {
        var part = [UInt64](repeating: 0, count: k * k)
        for cell in 0..<(k * k) {
            part[cell] = i == imageCount - 1 ? remaining[cell] : counts[cell] / UInt64(imageCount)
            remaining[cell] -= part[cell]
        }
        let imageMatrix = try ConfusionMatrix(classCount: k, counts: part)
        images.append(ImageRecord(
            id: "img\(i)", groundTruthSHA256: "sha256:0", predictionSHA256: "sha256:0", width: 1, height: 1,
            counts: imageMatrix.classCounts))
    }
    var splitInfo = split
    if let source = splitSource { splitInfo?.source = source }
    return RunRecord(
        method: method,
        vocabulary: VocabularyInfo(
            key: "test", name: vocabularyName, fingerprint: "fnv1a64:test", classNames: classNames,
            colors: (0..<k).map { [UInt8(40 * $0), 100, 200] }),
        split: splitInfo,
        policy: EvaluationPolicy(
            presence: presence, ignoreValues: [255], ignoreColors: [], reduceZeroLabel: false,
            outOfRangeGroundTruth: .error, outOfRangePrediction: .error),
        dataset: DatasetInfo(
            groundTruthDirectory: groundTruthDirectory, predictionDirectory: predictionDirectory, fingerprint: "sha256:data"),
        shard: nil, matrix: matrix, images: images,
        provenance: Provenance(version: "0.1.0", command: ["ovseg"], date: "2026-01-01T00:00:00Z", host: "test", seconds: 0, threads: 1))
}

/// The rows of the HTML table with `id`, each cell's text with tags removed and entities decoded.
func htmlTableRows(_ html: String, id: String) -> [[String]] {
    guard let start = html.range(of: "<table id=\"\(id)\">") else { return [] }
    guard let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex) else { return [] }
    let body = String(html[start.upperBound..<end.lowerBound])
    var rows: [[String]] = []
    for rowChunk in body.components(separatedBy: "<tr>").dropFirst() {
        let row = rowChunk.components(separatedBy: "</tr>")[0]
        var cells: [String] = []
        for piece in row.components(separatedBy: "<t").dropFirst() {
            guard let open = piece.firstIndex(of: ">") else { continue }
            var content = String(piece[piece.index(after: open)...])
            if let close = content.range(of: "</t") { content = String(content[..<close.lowerBound]) }
            cells.append(decodeEntities(stripTags(content)))
        }
        rows.append(cells)
    }
    return rows
}

func stripTags(_ text: String) -> String {
    var out = ""
    var inTag = false
    for character in text {
        if character == "<" { inTag = true } else if character == ">" { inTag = false } else if !inTag { out.append(character) }
    }
    return out
}

func decodeEntities(_ text: String) -> String {
    text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
        .replacingOccurrences(of: "&amp;", with: "&")
}

/// The fixture runs' dataset written into a fresh temporary folder, removed when the value is
/// dropped: the tiles, ground truth and `methods`' predictions of 6 synthetic 64×64 images.
final class PanelDataset {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-panel-\(UUID().uuidString)").path
    let dataset = SampleDataset(imageCount: 6, width: 64, height: 64, seed: 2025)

    init(methods: [SimulatedMethod]) throws {
        try dataset.write(to: root, methods: methods, jobs: 1)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var imageDirectory: String { dataset.imageDirectory(in: root) }
    var groundTruthDirectory: String { dataset.groundTruthDirectory(in: root) }
    func predictionDirectory(_ method: SimulatedMethod) -> String { dataset.predictionDirectory(in: root, method: method) }

    /// Images, ground truth and the boundary-drift predictions, two images, thumbnails of 32.
    func boundaryDriftSources() -> QualitativeSources {
        QualitativeSources(
            imageDirectory: imageDirectory, groundTruthDirectory: groundTruthDirectory,
            predictionDirectories: [("boundary-drift", predictionDirectory(.boundaryDrift))], count: 2, thumbnailSize: 32)
    }
}
