import COCOMasks
import Foundation
import Harness
import JSON
import Referring
import Testing

/// pycocotools' decodes, encodes, areas and polygon rasterisations
/// (scripts/fixtures/make_coco_masks.py → Fixtures/coco_masks.json) must be reproduced exactly.
@Suite struct COCOMaskTests {
    static func expectMatches(_ mask: BinaryMask, _ entry: JSONValue, _ name: String) {
        #expect(mask.area == entry["area"]?.intValue, "\(name): area")
        #expect(MaskBytes.sha256(mask) == entry["sha256"]?.stringValue, "\(name): mask bytes")
        if let rows = entry["rows"]?.arrayValue {
            let ours = (0..<mask.height).map { y in (0..<mask.width).map { mask[x: $0, y: y] ? "1" : "0" }.joined() }
            #expect(ours == rows.compactMap(\.stringValue), "\(name): pixels")
        }
    }

    @Test func masksDecodeAndEncodeAsPycocotools() throws {
        let masks = try #require(try Fixture.json("coco_masks.json")["masks"]?.arrayValue)
        #expect(masks.count >= 30)
        for (index, entry) in masks.enumerated() {
            let h = try #require(entry["height"]?.intValue)
            let w = try #require(entry["width"]?.intValue)
            let text = try #require(entry["compressed"]?.stringValue)
            let counts = try #require(entry["counts"]?.arrayValue).compactMap { $0.uint64Value.map { UInt32($0) } }
            let fromString = try RunLengthMask(height: h, width: w, compressed: text)
            #expect(fromString.counts == counts, "mask \(index): counts of the compressed string")
            let fromCounts = try RunLengthMask(height: h, width: w, counts: counts)
            #expect(fromCounts.compressedString == text, "mask \(index): compressed string of the counts")
            #expect(fromString.area == entry["area"]?.intValue, "mask \(index): RLE area")
            let decoded = fromString.decoded()
            Self.expectMatches(decoded, entry, "mask \(index)")
            #expect(RunLengthMask(encoding: decoded) == fromCounts, "mask \(index): re-encoding")
        }
    }

    @Test func polygonsRasteriseAsPycocotools() throws {
        let cases = try #require(try Fixture.json("coco_masks.json")["polygons"]?.arrayValue)
        #expect(cases.count >= 70)
        for entry in cases {
            let name = try #require(entry["name"]?.stringValue)
            let h = try #require(entry["height"]?.intValue)
            let w = try #require(entry["width"]?.intValue)
            let polygons = try #require(entry["polygons"]?.arrayValue).map { polygon in
                (polygon.arrayValue ?? []).compactMap(\.doubleValue)
            }
            let rle = try PolygonRasterizer.rasterize(polygons: polygons, height: h, width: w)
            if polygons.count == 1 {
                // A single polygon: pycocotools' counts string itself, not just the same pixels.
                #expect(rle.compressedString == entry["compressed"]?.stringValue, "\(name): compressed string")
            }
            #expect(rle.area == entry["area"]?.intValue, "\(name): RLE area")
            Self.expectMatches(rle.decoded(), entry, name)
        }
    }

    @Test func handComputedColumnMajorCounts() throws {
        // 2×3 mask with rows "011" and "001". Column-major: x0 → 0 0, x1 → 1 0, x2 → 1 1, so the
        // runs are 2 outside, 1 inside, 1 outside, 2 inside.
        let mask = BinaryMask(height: 2, width: 3, rowMajor: [0, 1, 1, 0, 0, 1])
        let rle = RunLengthMask(encoding: mask)
        #expect(rle.counts == [2, 1, 1, 2])
        #expect(rle.area == 3)
        #expect(rle.decoded() == mask)
        // A mask whose first pixel is inside starts with a zero-length outside run.
        #expect(RunLengthMask(encoding: BinaryMask(height: 1, width: 2, rowMajor: [1, 0])).counts == [0, 1, 1])
        // Compressed: 2 → "2", 1 → "1"; from the fourth count on the difference with two before
        // is written: 2 − 1 = 1 → "1".
        #expect(rle.compressedString == "2111")
        // A negative difference: counts [5, 1, 1, 2] → 5, 1, 1, then 2 − 1 = 1; [1, 5, 2, 1] → last 1 − 5 = −4 → 28 + 48 = "L".
        #expect(try RunLengthMask(height: 3, width: 3, counts: [1, 5, 2, 1]).compressedString == "152L")
    }

    @Test func badRLEIsRefused() throws {
        #expect(throws: COCOMaskError.self) { try RunLengthMask(height: 2, width: 2, counts: [1, 2]) }
        #expect(throws: COCOMaskError.self) { try RunLengthMask(height: 2, width: 2, compressed: "0 1") }
        #expect(throws: COCOMaskError.self) { try RunLengthMask(height: 2, width: 2, compressed: "3") }  // 3 of 4 pixels
        #expect(try RunLengthMask(height: 2, width: 2, compressed: "4").counts == [4])
        #expect(throws: COCOMaskError.self) { try RunLengthMask(height: 2, width: 2, compressed: "P") }  // continuation, then nothing
        #expect(throws: COCOMaskError.self) { try RunLengthMask(height: 2, width: 2, compressed: "0L") }  // a negative count
        #expect(throws: COCOMaskError.self) { try RunLengthMask(height: 40000, width: 40000, counts: [1_600_000_000]) }
        #expect(throws: COCOMaskError.self) { try PolygonRasterizer.rasterize([0, 0, 1, 1], height: 4, width: 4) }
        #expect(throws: COCOMaskError.self) { try PolygonRasterizer.rasterize([0, 0, 1, 1, 2], height: 4, width: 4) }
        #expect(throws: COCOMaskError.self) { try PolygonRasterizer.rasterize([0, 0, 1, .nan, 2, 2], height: 4, width: 4) }
    }
}

/// The row-major mask hash the fixtures store: SHA-256 of one byte (0/1) per pixel.
enum MaskBytes {
    static func sha256(_ mask: BinaryMask) -> String {
        Fingerprint.sha256(mask.pixels)
    }
}
