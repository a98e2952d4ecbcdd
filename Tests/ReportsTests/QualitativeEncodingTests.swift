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
}
