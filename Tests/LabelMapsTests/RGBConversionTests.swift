@testable import LabelMaps
import Testing

/// `DecodedPNG.rgbPixels` on hand-made 2×1 images of every layout; expected bytes worked out by hand.
struct RGBConversionTests {
    func image(_ layout: PNGLayout, _ samples: PNGSamples) -> DecodedPNG {
        DecodedPNG(width: 2, height: 1, layout: layout, samples: samples)
    }

    @Test func rgbIsKeptAndAlphaDropped() throws {
        #expect(try image(.rgb(bitDepth: 8), .uint8([1, 2, 3, 4, 5, 6])).rgbPixels(name: "a") == [1, 2, 3, 4, 5, 6])
        #expect(try image(.rgba(bitDepth: 8), .uint8([1, 2, 3, 9, 4, 5, 6, 9])).rgbPixels(name: "a") == [1, 2, 3, 4, 5, 6])
        #expect(image(.rgba(bitDepth: 8), .uint8([])).isEightBitColor)
        #expect(!image(.rgb(bitDepth: 16), .uint16([])).isEightBitColor)
        #expect(!image(.gray(bitDepth: 8), .uint8([])).isEightBitColor)
    }

    @Test func sixteenBitSamplesKeepTheirHighByte() throws {
        // 0x1234 → 0x12, 0xfffe → 0xff.
        let png = image(.rgb(bitDepth: 16), .uint16([0x1234, 0, 0xfffe, 0x0100, 0x00ff, 0x8000]))
        #expect(try png.rgbPixels(name: "a") == [0x12, 0, 0xff, 0x01, 0, 0x80])
    }

    @Test func grayIsRepeatedAndSubByteGrayStretched() throws {
        #expect(try image(.gray(bitDepth: 8), .uint8([7, 200])).rgbPixels(name: "a") == [7, 7, 7, 200, 200, 200])
        // 2-bit gray: 0…3 stretched by 255 / 3 = 85.
        #expect(try image(.gray(bitDepth: 2), .uint8([1, 3])).rgbPixels(name: "a") == [85, 85, 85, 255, 255, 255])
        #expect(try image(.grayAlpha(bitDepth: 8), .uint8([10, 0, 20, 255])).rgbPixels(name: "a") == [10, 10, 10, 20, 20, 20])
    }

    @Test func paletteIndicesAreLookedUpAndOutsideIndicesNamed() throws {
        let entries = [RGB(255, 0, 0), RGB(0, 0, 255)]
        #expect(try image(.palette(bitDepth: 8, entries: entries), .uint8([1, 0])).rgbPixels(name: "a") == [0, 0, 255, 255, 0, 0])
        #expect(throws: LabelMapError(
            .valueOutOfRange, file: "tile.png", detail: "palette index 5 at pixel (1, 0) lies outside its 2 entries")
        ) {
            try image(.palette(bitDepth: 8, entries: entries), .uint8([0, 5])).rgbPixels(name: "tile.png")
        }
    }
}
