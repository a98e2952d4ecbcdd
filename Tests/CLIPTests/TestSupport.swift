import Foundation
import Testing
import SafeTensors
import Tensor

func fixture(_ name: String) throws -> SafeTensorsFile {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsFile(path: url.path)
}

/// `max|a−b| ≤ rel·max|b| + abs` (segmentation-core.md §11.3, tiny models).
func expectClose(
    _ actual: Tensor, _ expected: Tensor, relative: Float = 1e-5, absolute: Float = 1e-6,
    _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let scale = expected.scalars.reduce(0) { max($0, abs($1)) }
    let worst = zip(actual.scalars, expected.scalars).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
    #expect(worst <= relative * scale + absolute, "\(label): max |Δ| = \(worst), max |expected| = \(scale)", sourceLocation: sourceLocation)
}

/// Row-wise cosine similarity ≥ `minimum` between two `[B, E]` tensors.
func expectCosine(_ a: Tensor, _ b: Tensor, minimum: Double = 0.999999, _ label: String) {
    #expect(a.shape == b.shape)
    guard a.shape == b.shape, let width = a.shape.last else { return }
    for row in 0..<(a.count / width) {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in (row * width)..<((row + 1) * width) {
            dot += Double(a.scalars[i]) * Double(b.scalars[i])
            na += Double(a.scalars[i]) * Double(a.scalars[i])
            nb += Double(b.scalars[i]) * Double(b.scalars[i])
        }
        #expect(dot / (na * nb).squareRoot() >= minimum, "\(label) row \(row)")
    }
}

/// The bytes of `file` re-serialised with the same tensors (in data order),
/// optionally without `__metadata__`, and with `edit` given the chance to
/// change any tensor's shape and bytes (to build damaged checkpoints).
func rebuild(
    _ file: SafeTensorsFile, keepMetadata: Bool = true,
    edit: (String, [Int], [UInt8]) -> ([Int], [UInt8]) = { ($1, $2) }
) throws -> [UInt8] {
    let names = file.names.sorted { (file.entries[$0]?.dataRange.lowerBound ?? 0) < (file.entries[$1]?.dataRange.lowerBound ?? 0) }
    var header: [String] = []
    if keepMetadata && !file.metadata.isEmpty {
        let pairs = file.metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
        header.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
    }
    var data: [UInt8] = []
    for name in names {
        let entry = try file.entry(name)
        let (shape, bytes) = edit(name, entry.shape, try file.rawBytes(name))
        header.append("\"\(name)\":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":\(shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
        data += bytes
    }
    var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var out = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
    out += json
    out += data
    return out
}

/// `rebuild` without `__metadata__`, to test loading without declared head counts.
func stripMetadata(_ file: SafeTensorsFile) throws -> [UInt8] { try rebuild(file, keepMetadata: false) }
