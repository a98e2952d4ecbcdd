import Foundation
import LabelMaps
import Testing

/// Inputs the fuzz harnesses (Fuzz/, scripts/fuzz.sh) found to crash or exhaust memory, fed to the
/// same entry points: each must now be refused with a `LabelMapError`.
@Suite struct FuzzRegressionTests {
    /// A 372-byte gray TIFF (40×37, 238 samples per pixel) declaring 16×655 376 tiles: the reader
    /// sized its buffers by the tile (6 GB for the decoded block, 2.5 GB for the raw tile) and ran
    /// out of memory. Found by FuzzLabelMap.
    @Test func tallTilesOverASmallImageAreRefused() throws {
        let bytes = try bytes(of: fixture("fuzz/labelmap-oom-tall-tiles.tif"))
        for maxPixels in [1 << 20, LabelMapReader.defaultMaxPixels] {
            #expect(throws: LabelMapError.self) {
                try LabelMapReader.decode(bytes: bytes, name: "tiles.tif", colors: nil, maxPixels: maxPixels)
            }
            #expect(throws: LabelMapError.self) {
                try RasterImage.decode(bytes: bytes, name: "tiles.tif", maxPixels: maxPixels)
            }
        }
        do {
            _ = try LabelMapReader.decode(bytes: bytes, name: "tiles.tif", colors: nil)
        } catch let error as LabelMapError {
            #expect("\(error)".contains("tiles of 16×655376"))
        }
    }
}
