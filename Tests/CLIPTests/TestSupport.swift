import Foundation
import ParityTestSupport
import Testing
import SafeTensors
import Tensor

func fixture(_ name: String) throws -> SafeTensorsFile {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsFile(path: url.path)
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

/// `rebuild` without `__metadata__`, to test loading without declared head counts.
func stripMetadata(_ file: SafeTensorsFile) throws -> [UInt8] { try rebuiltSafeTensors(file, metadata: [:]) }
