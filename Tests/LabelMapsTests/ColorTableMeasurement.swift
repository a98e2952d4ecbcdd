import Foundation
import LabelMaps
import Testing

/// Hand-run throughput measurement, not a timed test: it only prints.
///     OVSEG_MEASURE=1 swift test -c release --filter ColorTableMeasurement
/// Compares the flat colour table with a sorted-array binary search and a
/// `Dictionary`, each with the same last-colour cache, on a 1024×1024 map.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["OVSEG_MEASURE"] != nil))
struct ColorTableMeasurement {
    static let side = 1024

    /// A colour-coded map: blocky regions (typical) or per-pixel noise (worst case for the cache).
    static func pixels(noisy: Bool, colors: [RGB]) -> [UInt8] {
        var generator = SplitMix(seed: 7)
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            for x in 0..<side {
                let label = noisy ? Int(generator.next() % UInt64(colors.count)) : ((x / 37) * 7 + (y / 23) * 3) % colors.count
                let color = colors[label]
                let offset = (y * side + x) * 3
                pixels[offset] = color.r
                pixels[offset + 1] = color.g
                pixels[offset + 2] = color.b
            }
        }
        return pixels
    }

    static func milliseconds(_ repeats: Int = 5, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            best = min(best, ms)
        }
        return best
    }

    @Test func decodeAndMapThroughput() throws {
        let directory = try TemporaryDirectory()
        for colorCount in [6, 24, 150] {
            let colors: [RGB] = (0..<colorCount).map { rgb($0 * 53, $0 * 97, $0) }
            var mapping: [RGB: UInt16] = [:]
            for (label, color) in colors.enumerated() { mapping[color] = UInt16(label) }
            let table = ColorTable(mapping)
            for noisy in [false, true] {
                let pixels = Self.pixels(noisy: noisy, colors: colors)
                let path = directory.file("map.png")
                try LabelMapWriter.writeRGB(width: Self.side, height: Self.side, pixels: pixels, to: path)
                let fileBytes = try bytes(of: path)
                let rawMB = Double(pixels.count) / 1e6

                let decodeOnly = try Self.milliseconds { _ = try DecodedPNG.decode(bytes: fileBytes, name: "m") }
                let decodeAndMap = try Self.milliseconds {
                    _ = try LabelMapReader.decode(bytes: fileBytes, name: "m", colors: table)
                }
                // Lookup strategies on the already decoded samples.
                let flat = Self.milliseconds { _ = Self.mapFlat(pixels, table) }
                let sorted = Self.milliseconds { _ = Self.mapSorted(pixels, mapping) }
                let dictionary = Self.milliseconds { _ = Self.mapDictionary(pixels, mapping) }
                print(String(format: "%3d colours %@ file %7.1f kB | decode %6.2f ms | decode+map %6.2f ms (%5.0f MB/s raw RGB) | lookup only: flat %5.2f ms, sorted %5.2f ms, Dictionary %5.2f ms",
                             colorCount, noisy ? "noise " : "blocky", Double(fileBytes.count) / 1e3,
                             decodeOnly, decodeAndMap, rawMB / (decodeAndMap / 1000), flat, sorted, dictionary))
            }
        }
    }

    static func mapFlat(_ pixels: [UInt8], _ table: ColorTable) -> Int {
        var sum = 0
        var lastKey = UInt32.max
        var lastValue: UInt16 = 0
        for index in stride(from: 0, to: pixels.count, by: 3) {
            let key = UInt32(pixels[index]) << 16 | UInt32(pixels[index + 1]) << 8 | UInt32(pixels[index + 2])
            if key != lastKey {
                lastValue = table.label(for: RGB(pixels[index], pixels[index + 1], pixels[index + 2])) ?? 0
                lastKey = key
            }
            sum &+= Int(lastValue)
        }
        return sum
    }

    static func mapSorted(_ pixels: [UInt8], _ mapping: [RGB: UInt16]) -> Int {
        let entries = mapping.map { (key: UInt32($0.key.r) << 16 | UInt32($0.key.g) << 8 | UInt32($0.key.b), value: $0.value) }
            .sorted { $0.key < $1.key }
        let keys = entries.map(\.key), values = entries.map(\.value)
        var sum = 0
        var lastKey = UInt32.max
        var lastValue: UInt16 = 0
        for index in stride(from: 0, to: pixels.count, by: 3) {
            let key = UInt32(pixels[index]) << 16 | UInt32(pixels[index + 1]) << 8 | UInt32(pixels[index + 2])
            if key != lastKey {
                var low = 0, high = keys.count
                while low < high {
                    let middle = (low + high) / 2
                    if keys[middle] < key { low = middle + 1 } else { high = middle }
                }
                lastValue = low < keys.count && keys[low] == key ? values[low] : 0
                lastKey = key
            }
            sum &+= Int(lastValue)
        }
        return sum
    }

    static func mapDictionary(_ pixels: [UInt8], _ mapping: [RGB: UInt16]) -> Int {
        var sum = 0
        var lastKey = UInt32.max
        var lastValue: UInt16 = 0
        for index in stride(from: 0, to: pixels.count, by: 3) {
            let key = UInt32(pixels[index]) << 16 | UInt32(pixels[index + 1]) << 8 | UInt32(pixels[index + 2])
            if key != lastKey {
                lastValue = mapping[RGB(pixels[index], pixels[index + 1], pixels[index + 2])] ?? 0
                lastKey = key
            }
            sum &+= Int(lastValue)
        }
        return sum
    }
}
