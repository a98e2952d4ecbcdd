import Foundation
import SafeTensors
import Tensor
import Testing

/// Helpers shared by the test targets that compare Swift tensors with PyTorch fixtures.

/// Largest |a − b| and largest |b| of two tensors of equal element count.
public func deviation(_ actual: Tensor, _ expected: Tensor) -> (worst: Float, scale: Float) {
    let scale = expected.scalars.reduce(0) { max($0, abs($1)) }
    var worst: Float = 0
    for (a, b) in zip(actual.scalars, expected.scalars) { worst = max(worst, abs(a - b)) }
    return (worst, scale)
}

/// Expects identical shapes and `max|a−b| ≤ rel·max|b| + abs` (docs/segmentation-core.md §6.3).
/// Returns the measured relative error (`max|a−b| / max|b|`, or `max|a−b|` when `b` is all zero;
/// `.infinity` when the shapes differ) so tests can report what they achieved.
@discardableResult
public func expectClose(
    _ actual: Tensor, _ expected: Tensor, relative: Float = 1e-5, absolute: Float = 1e-6,
    _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) -> Float {
    #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return .infinity }
    let (worst, scale) = deviation(actual, expected)
    let bound = relative * scale + absolute
    #expect(worst <= bound, "\(label): max |Δ| = \(worst) > \(bound) (max |expected| = \(scale))", sourceLocation: sourceLocation)
    return scale > 0 ? worst / scale : worst
}

/// The bytes of `file` re-serialised with its tensors in data order, without the ones
/// `dropping` selects, with `metadata` replacing `__metadata__` (nil keeps it, `[:]` removes
/// it), and with `edit` able to change any kept tensor's shape and bytes (damaged checkpoints).
public func rebuiltSafeTensors(
    _ file: SafeTensorsFile, dropping: (String) -> Bool = { _ in false }, metadata: [String: String]? = nil,
    edit: (String, [Int], [UInt8]) -> ([Int], [UInt8]) = { ($1, $2) }
) throws -> [UInt8] {
    try withoutActuallyEscaping(dropping) { dropping in
        try mergedSafeTensors([(file, { !dropping($0) })], metadata: metadata ?? file.metadata, edit: edit)
    }
}

/// One safetensors file holding the tensors that `keep` selects from each part (in part order, then
/// data order) with `metadata` as `__metadata__`, e.g. a text tower and a vision tower of two fixtures.
public func mergedSafeTensors(
    _ parts: [(file: SafeTensorsFile, keep: (String) -> Bool)], metadata: [String: String],
    edit: (String, [Int], [UInt8]) -> ([Int], [UInt8]) = { ($1, $2) }
) throws -> [UInt8] {
    var header: [String] = []
    if !metadata.isEmpty {
        let pairs = metadata.sorted { $0.key < $1.key }.map { SafeTensorsWriter.quoted($0.key) + ":" + SafeTensorsWriter.quoted($0.value) }
        header.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
    }
    var data: [UInt8] = []
    for (file, keep) in parts {
        let names = file.names.filter(keep)
            .sorted { (file.entries[$0]?.dataRange.lowerBound ?? 0) < (file.entries[$1]?.dataRange.lowerBound ?? 0) }
        for name in names {
            let entry = try file.entry(name)
            let (shape, bytes) = edit(name, entry.shape, try file.rawBytes(name))
            header.append("\"\(name)\":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":\(shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
            data += bytes
        }
    }
    var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var out = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
    out += json
    out += data
    return out
}
