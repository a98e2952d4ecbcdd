import Foundation
import Testing
import SafeTensors
import Tensor

func fixture(_ name: String) throws -> SafeTensorsFile {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsFile(path: url.path)
}

/// The largest absolute difference and the largest reference magnitude.
func deviation(_ actual: Tensor, _ expected: Tensor) -> (worst: Float, scale: Float) {
    let scale = expected.scalars.reduce(0) { max($0, abs($1)) }
    let worst = zip(actual.scalars, expected.scalars).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
    return (worst, scale)
}

/// `max|a−b| ≤ rel·max|b| + abs` with identical shapes (segmentation-core.md
/// §11.3); prints the measured deviation so runs document the achieved error.
func expectClose(
    _ actual: Tensor, _ expected: Tensor, relative: Float = 1e-5, absolute: Float = 1e-6,
    _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let (worst, scale) = deviation(actual, expected)
    print("parity \(label): max|Δ| = \(worst), max|ref| = \(scale), rel = \(scale > 0 ? worst / scale : worst)")
    #expect(worst <= relative * scale + absolute,
            "\(label): max |Δ| = \(worst) > \(relative)·\(scale) + \(absolute)", sourceLocation: sourceLocation)
}

/// The sub-tensor at `ranges` of the leading dimensions (the rest whole).
func sliced(_ t: Tensor, _ ranges: [Range<Int>]) throws -> Tensor {
    var shape = t.shape
    var result = t.scalars
    // Slice one leading axis at a time, outermost first.
    for (axis, range) in ranges.enumerated() {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var next: [Float] = []
        next.reserveCapacity(outer * range.count * inner)
        for o in 0..<outer {
            let base = o * shape[axis] * inner
            next += result[(base + range.lowerBound * inner)..<(base + range.upperBound * inner)]
        }
        result = next
        shape[axis] = range.count
    }
    return try Tensor(shape: shape, scalars: result)
}

/// `file` re-serialised without the keys `dropping` selects, with `metadata`
/// (if given) replacing `__metadata__`, and `edit` able to change any kept
/// tensor's shape and bytes (to build damaged checkpoints).
func rebuild(
    _ file: SafeTensorsFile, dropping: (String) -> Bool = { _ in false }, metadata: [String: String]? = nil,
    edit: (String, [Int], [UInt8]) -> ([Int], [UInt8]) = { ($1, $2) }
) throws -> SafeTensorsFile {
    let names = file.names.filter { !dropping($0) }
        .sorted { (file.entries[$0]?.dataRange.lowerBound ?? 0) < (file.entries[$1]?.dataRange.lowerBound ?? 0) }
    var header: [String] = []
    let meta = metadata ?? file.metadata
    if !meta.isEmpty {
        let pairs = meta.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
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
    return try SafeTensorsFile(bytes: out, name: "rebuilt")
}

/// Per-pixel argmax over the class axis of `[B, T, H, W]` logits.
func classArgmax(_ logits: Tensor) -> [Int] {
    let (b, t, h, w) = (logits.shape[0], logits.shape[1], logits.shape[2], logits.shape[3])
    var labels: [Int] = []
    labels.reserveCapacity(b * h * w)
    for image in 0..<b {
        for pixel in 0..<(h * w) {
            var best = 0
            var bestValue = -Float.infinity
            for c in 0..<t {
                let v = logits.scalars[(image * t + c) * h * w + pixel]
                if v > bestValue { best = c; bestValue = v }
            }
            labels.append(best)
        }
    }
    return labels
}
