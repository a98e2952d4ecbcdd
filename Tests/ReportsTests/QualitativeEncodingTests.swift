import Foundation
import LabelMaps
import Metrics
import Testing

@testable import Reports

@Suite("Qualitative tiles read predictions as the run did")
struct QualitativeEncodingTests {
    @Test func idsPlusOneAreColouredAsTheirClasses() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-tile-\(UUID().uuidString).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // mmseg's ids + 1 for the classes 0, 1, 2, and a 0 (no class).
        try LabelMapWriter.writeGray8(LabelMap(width: 4, height: 1, values: [1, 2, 3, 0]), to: path)
        let colors = [RGB(10, 0, 0), RGB(0, 20, 0), RGB(0, 0, 30)]
        func pixels(_ encoding: PredictionEncoding) throws -> [UInt8] {
            let png = try #require(try QualitativePanel.tile(path: path, role: .prediction(encoding), colors: colors, size: 8))
            let decoded = try DecodedPNG.decode(bytes: png, name: "tile")
            guard case .uint8(let samples) = decoded.samples else { return [] }
            return samples
        }
        #expect(try pixels(.reduceZeroLabel) == [10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0])
        #expect(try pixels(.classIDs) == [0, 20, 0, 0, 0, 30, 0, 0, 0, 10, 0, 0])
    }

    @Test func groundTruthTilesFollowTheRunsLabelFormat() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-tiles-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let colors = [RGB(10, 0, 0), RGB(0, 20, 0), RGB(0, 0, 30)]
        func pixels(_ path: String, _ format: LabelFormat?) throws -> [UInt8] {
            let png = try #require(try QualitativePanel.tile(
                path: path, role: .groundTruth(reduceZeroLabel: false, labelFormat: format), colors: colors, size: 8))
            let decoded = try DecodedPNG.decode(bytes: png, name: "tile")
            guard case .uint8(let samples) = decoded.samples else { return [] }
            return samples
        }
        // Ids 2, 0, 1 saved as RGB with equal channels: drawn as they are, or (index) as their classes.
        let rgb = folder + "/rgb.png"
        try LabelMapWriter.writeRGB(width: 3, height: 1, pixels: [2, 2, 2, 0, 0, 0, 1, 1, 1], to: rgb)
        #expect(try pixels(rgb, nil) == [2, 2, 2, 0, 0, 0, 1, 1, 1])
        #expect(try pixels(rgb, .index) == [0, 0, 30, 10, 0, 0, 0, 20, 0])
        // A palette file: its indices as classes, or (color) its entries' colours.
        let palette = folder + "/palette.png"
        try LabelMapWriter.writePalette(
            LabelMap(width: 2, height: 1, values: [0, 1]), palette: [RGB(0, 0, 30), RGB(10, 0, 0)], to: palette)
        #expect(try pixels(palette, nil) == [10, 0, 0, 0, 20, 0])
        #expect(try pixels(palette, .color) == [0, 0, 30, 10, 0, 0])
    }
}
