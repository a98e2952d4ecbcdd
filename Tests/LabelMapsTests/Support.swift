import Foundation
import LabelMaps

/// ISPRS-like class colours used by the fixtures (class = index), as in make_fixtures.py.
let classColors: [RGB] = [RGB(255, 255, 255), RGB(0, 0, 255), RGB(0, 255, 255),
                          RGB(0, 255, 0), RGB(255, 255, 0), RGB(255, 0, 0)]

let classTable = ColorTable(Dictionary(uniqueKeysWithValues: classColors.enumerated().map { ($1, UInt16($0)) }))

/// Path of a committed fixture made by Fixtures/make_fixtures.py.
func fixture(_ name: String) throws -> String {
    guard let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw FixtureMissing(name: name)
    }
    return directory.appendingPathComponent(name).path
}

struct FixtureMissing: Error { let name: String }

/// A fresh directory for one test, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("LabelMapsTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

func bytes(of path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

func write(_ bytes: [UInt8], to path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// Expected values, row-major, from a formula of (x, y).
func grid(_ width: Int, _ height: Int, _ value: (Int, Int) -> Int) -> [UInt16] {
    (0..<height).flatMap { y in (0..<width).map { x in UInt16(value(x, y)) } }
}

/// CRC-32 (PNG/zlib polynomial), to forge valid chunks in tests.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

func pngChunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + payload
    return bigEndian(UInt32(payload.count)) + body + bigEndian(crc32(body))
}

let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Runs `body`, expecting a `LabelMapError`, and returns it (nil if something else happened).
func labelMapError(_ body: () throws -> Void) -> LabelMapError? {
    do {
        try body()
        return nil
    } catch let error as LabelMapError {
        return error
    } catch {
        return nil
    }
}

/// An RGB from Int components (keeps test expressions cheap to type-check).
func rgb(_ r: Int, _ g: Int, _ b: Int) -> RGB {
    RGB(UInt8(truncatingIfNeeded: r), UInt8(truncatingIfNeeded: g), UInt8(truncatingIfNeeded: b))
}
