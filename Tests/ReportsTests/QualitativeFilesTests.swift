import Foundation
import Harness
import LabelMaps
import SyntheticData
import Testing

@testable import Reports

/// The panel's thumbnails link to full-resolution PNGs written beside the report.
@Suite("Qualitative full-resolution files")
struct QualitativeFilesTests {
    /// 64 × 64 tiles, thumbnails of 32: the HTML inlines only the thumbnail and links the file,
    /// whose pixels are the ground truth in the vocabulary colours at full size.
    @Test func thumbnailsLinkToFullResolutionFilesBesideTheReport() throws {
        let panelData = try PanelDataset(methods: [.boundaryDrift])
        let inputs = try Fixtures.inputs()
        let sources = panelData.boundaryDriftSources()
        let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil, qualitative: sources))
        let panel = try #require(report.sections[0].qualitative)
        let out = panelData.root + "/report"
        let written = try ReportFiles.write(report, to: out)
        let html = HTMLReport.render(report)
        let markdown = MarkdownReport.render(report)
        for row in panel.rows {
            #expect(row.tiles.map(\.caption) == ["image", "ground truth", "boundary-drift"])
            #expect(row.tiles.map(\.fileName) == [
                "qualitative/\(row.imageID)-image.png", "qualitative/\(row.imageID)-ground-truth.png",
                "qualitative/\(row.imageID)-1-boundary-drift.png",
            ])
            for tile in row.tiles {
                #expect(tile.width == 64 && tile.height == 64 && tile.thumbnailWidth == 32 && tile.thumbnailHeight == 32)
                let path = out + "/" + tile.fileName
                #expect(written.contains(path))
                let bytes = try FileBytes.read(path: path)
                #expect(bytes == tile.fullResolution)
                let decoded = try DecodedPNG.read(path: path)
                #expect(decoded.width == 64 && decoded.height == 64)
                // The thumbnail is inline and linked to the file; the full image is not inline.
                let thumbnail = Data(tile.thumbnail).base64EncodedString()
                let linked = html.contains("<a href=\"\(tile.fileName)\"")
                    && html.contains("src=\"data:image/png;base64,\(thumbnail)\" width=\"32\" height=\"32\"")
                #expect(linked, "\(tile.fileName) is not linked from its thumbnail")
                let inlined = html.contains(Data(tile.fullResolution).base64EncodedString())
                #expect(!inlined, "\(tile.fileName) is inlined")
                #expect(markdown.contains("](\(tile.fileName))"))
            }
            // The full-size ground truth (RGB-coded in the synthetic data) is the source, pixel for pixel.
            let source = try DecodedPNG.read(path: panelData.groundTruthDirectory + "/\(row.imageID).png")
            let file = try DecodedPNG.read(path: out + "/" + row.tiles[1].fileName)
            guard case .uint8(let expected) = source.samples, case .uint8(let samples) = file.samples else {
                Issue.record("expected 8-bit samples")
                continue
            }
            let channels = source.layout.channels
            #expect(channels >= 3 && file.layout.channels == 3)
            var mismatches = 0
            for i in 0..<(64 * 64) where Array(samples[(i * 3)..<(i * 3 + 3)]) != Array(expected[(i * channels)..<(i * channels + 3)]) {
                mismatches += 1
            }
            #expect(mismatches == 0)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/qualitative")
        #expect(files.count == 2 * 3)
    }

    /// Ids from subfolders and with unsafe characters become safe, distinct file names.
    @Test func fileNamesAreSafeAndUnique() {
        #expect(QualitativePanel.safeStem("area 1/tile_0003") == "area_1__tile_0003")
        #expect(QualitativePanel.safeStem("../x") == "_.__x")
        #expect(QualitativePanel.safeStem(".hidden") == "_hidden")
        #expect(QualitativePanel.safeStem("tuile-é.v2") == "tuile-_.v2")
        #expect(QualitativePanel.safeStem("") == "image")
        #expect(QualitativePanel.safeStem(String(repeating: "a", count: 200)).count == 80)
        var used = Set<String>()
        let stems = ["a/b", "a__b", "A__B", "a/b"].map { QualitativePanel.uniqueStem(QualitativePanel.safeStem($0), used: &used) }
        #expect(stems == ["a__b", "a__b-2", "A__B-3", "a__b-4"])
    }

    /// Image ids with folders: the tiles are read from the subfolders and named safely.
    @Test func idsWithFoldersAreWrittenFlat() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-qualnested-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dataset = SampleDataset(imageCount: 6, width: 64, height: 64, seed: 2025)
        try dataset.write(to: root, methods: [], jobs: 1)
        let manager = FileManager.default
        for folder in [dataset.groundTruthDirectory(in: root), dataset.imageDirectory(in: root)] {
            try manager.createDirectory(atPath: folder + "/area 1/x", withIntermediateDirectories: true)
            for name in try manager.contentsOfDirectory(atPath: folder) where name.hasSuffix(".png") {
                try manager.moveItem(atPath: folder + "/" + name, toPath: folder + "/area 1/x/" + name)
            }
        }
        var inputs = try Fixtures.inputs()
        for index in inputs.indices {
            for image in inputs[index].record.images.indices {
                inputs[index].record.images[image].id = "area 1/x/" + inputs[index].record.images[image].id
            }
        }
        let sources = QualitativeSources(
            imageDirectory: dataset.imageDirectory(in: root), groundTruthDirectory: dataset.groundTruthDirectory(in: root),
            predictionDirectories: [], count: 1)
        let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil, qualitative: sources))
        let row = try #require(report.sections[0].qualitative?.rows.first)
        #expect(row.imageID.hasPrefix("area 1/x/"))
        let stem = "area_1__x__" + row.imageID.dropFirst("area 1/x/".count)
        #expect(row.tiles.map(\.fileName) == ["qualitative/\(stem)-image.png", "qualitative/\(stem)-ground-truth.png"])
        let out = root + "/report"
        try ReportFiles.write(report, to: out)
        #expect(try manager.contentsOfDirectory(atPath: out + "/qualitative").sorted() == ["\(stem)-ground-truth.png", "\(stem)-image.png"])
    }
}
