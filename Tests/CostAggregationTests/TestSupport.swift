import Foundation
import ParityTestSupport
import Testing
import SafeTensors
import Tensor

func fixture(_ name: String) throws -> SafeTensorsFile {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsFile(path: url.path)
}

/// The shared parity check, printing the measured deviation so runs document the achieved error.
@discardableResult
func expectClose(
    _ actual: Tensor, _ expected: Tensor, relative: Float = 1e-5, absolute: Float = 1e-6,
    _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) -> Float {
    let error = ParityTestSupport.expectClose(
        actual, expected, relative: relative, absolute: absolute, label, sourceLocation: sourceLocation)
    let (worst, scale) = deviation(actual, expected)
    print("parity \(label): max|Δ| = \(worst), max|ref| = \(scale), rel = \(error)")
    return error
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

/// `file` re-serialised (see `rebuiltSafeTensors`), opened again.
func rebuild(
    _ file: SafeTensorsFile, dropping: (String) -> Bool = { _ in false }, metadata: [String: String]? = nil,
    edit: (String, [Int], [UInt8]) -> ([Int], [UInt8]) = { ($1, $2) }
) throws -> SafeTensorsFile {
    try SafeTensorsFile(bytes: rebuiltSafeTensors(file, dropping: dropping, metadata: metadata, edit: edit), name: "rebuilt")
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
