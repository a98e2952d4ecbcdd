import Foundation
import Testing
import SafeTensors
import Tensor

func fixture(_ name: String) throws -> SafeTensorsFile {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsFile(path: url.path)
}

/// Largest |a − b| (shapes must match; `.infinity` otherwise).
func maxDifference(_ actual: Tensor, _ expected: Tensor) -> Float {
    guard actual.shape == expected.shape else { return .infinity }
    return zip(actual.scalars, expected.scalars).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
}

/// `max|a−b| ≤ rel·max|b| + abs` (segmentation-core.md §11.3, tiny models).
func expectClose(
    _ actual: Tensor, _ expected: Tensor, relative: Float = 1e-5, absolute: Float = 1e-6,
    _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let scale = expected.scalars.reduce(0) { max($0, abs($1)) }
    let worst = maxDifference(actual, expected)
    let bound = relative * scale + absolute
    #expect(worst <= bound, "\(label): max |Δ| = \(worst), max |expected| = \(scale)", sourceLocation: sourceLocation)
}

/// The bytes of `file` re-serialised with the same tensors (in data order),
/// optionally without `__metadata__`, without the tensors `drop` rejects, and
/// with `edit` given the chance to change any tensor's shape and bytes.
func rebuild(
    _ file: SafeTensorsFile, keepMetadata: Bool = true, drop: (String) -> Bool = { _ in false },
    edit: (String, [Int], [UInt8]) -> ([Int], [UInt8]) = { ($1, $2) }
) throws -> [UInt8] {
    let names = file.names
        .filter { !drop($0) }
        .sorted { (file.entries[$0]?.dataRange.lowerBound ?? 0) < (file.entries[$1]?.dataRange.lowerBound ?? 0) }
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
