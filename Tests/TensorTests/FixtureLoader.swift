import Foundation
import ParityTestSupport
import Testing
@testable import Tensor

/// Reads `Fixtures/tensor_fixtures.{json,bin}` written by
/// `scripts/fixtures/make_tensor_fixtures.py` (PyTorch oracle).
struct FixtureSet: Sendable {
    struct Entry: Codable, Sendable { let offset: Int; let shape: [Int] }
    struct Case: Codable, Sendable {
        let name: String
        let op: String
        let params: [String: Param]
        let tensors: [String: Entry]
    }
    enum Param: Codable, Sendable {
        case bool(Bool), int(Int), double(Double), string(String), ints([Int]), doubles([Double])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Bool.self) { self = .bool(v) }
            else if let v = try? c.decode(Int.self) { self = .int(v) }
            else if let v = try? c.decode(Double.self) { self = .double(v) }
            else if let v = try? c.decode(String.self) { self = .string(v) }
            else if let v = try? c.decode([Int].self) { self = .ints(v) }
            else { self = .doubles(try c.decode([Double].self)) }
        }
        func encode(to encoder: Encoder) throws {}
        var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
        var int: Int? { if case .int(let v) = self { v } else { nil } }
        var double: Double? { if case .double(let v) = self { v } else if case .int(let v) = self { Double(v) } else { nil } }
        var string: String? { if case .string(let v) = self { v } else { nil } }
        var ints: [Int]? { if case .ints(let v) = self { v } else { nil } }
        var doubles: [Double]? {
            if case .doubles(let v) = self { v } else if case .ints(let v) = self { v.map(Double.init) } else { nil }
        }
    }
    struct Manifest: Codable { let cases: [Case] }

    let cases: [Case]
    let values: [Float]

    static let shared: FixtureSet = load("tensor_fixtures", generator: "make_tensor_fixtures.py")
    /// General transposed-convolution cases (`scripts/fixtures/make_head_fixtures.py`).
    static let convTranspose: FixtureSet = load("conv_transpose_fixtures", generator: "make_head_fixtures.py")

    static func load(_ name: String, generator: String) -> FixtureSet {
        guard let json = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
              let bin = Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Fixtures"),
              let manifestData = try? Data(contentsOf: json),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: manifestData),
              let raw = try? Data(contentsOf: bin)
        else { fatalError("\(name) fixtures missing or unreadable: run scripts/fixtures/\(generator)") }
        let floats = raw.withUnsafeBytes { bytes in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        return FixtureSet(cases: manifest.cases, values: floats)
    }

    func cases(op: String) -> [Case] { cases.filter { $0.op == op } }

    func tensor(_ c: Case, _ role: String) throws -> Tensor {
        let entry = try #require(c.tensors[role], "case \(c.name) has no tensor \(role)")
        let count = entry.shape.reduce(1, *)
        return try Tensor(shape: entry.shape, scalars: Array(values[entry.offset..<(entry.offset + count)]))
    }
}

