import Testing

@testable import SafeTensors

/// NaN or infinite weights made `eval` predict class 0 everywhere with exit 0; they are refused
/// when the tensor is read, naming the tensor and the element.
@Suite("Non-finite weights")
struct NonFiniteWeightTests {
    static func file(_ values: [Float], dtype: SafeTensorsDType) throws -> SafeTensorsFile {
        let bytes = try SafeTensorsWriter.serialize(
            [SafeTensorsWriter.Slot(name: "text.ln_final.weight", dtype: dtype, shape: [values.count])], metadata: [:]
        ) { (_, buffer) throws(SafeTensorsError) in
            for (i, value) in values.enumerated() {
                switch dtype {
                case .f16:
                    buffer.storeBytes(of: Float16(value).bitPattern.littleEndian, toByteOffset: i * 2, as: UInt16.self)
                default:
                    buffer.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            }
        }
        return try SafeTensorsFile(bytes: bytes, name: "nan.safetensors")
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func aNonFiniteWeightIsRefused(bad: Float) throws {
        // Past the first 4096-element block, so the blockwise scan is exercised across blocks.
        var values = [Float](repeating: 0.5, count: 5000)
        values[4321] = bad
        for dtype in [SafeTensorsDType.f32, .f16] {
            let file = try Self.file(values, dtype: dtype)
            #expect {
                _ = try file.tensor("text.ln_final.weight")
            } throws: { error in
                "\(error)".contains("nan.safetensors") && "\(error)".contains("'text.ln_final.weight' holds")
                    && "\(error)".contains("element 4321")
            }
        }
    }

    @Test func finiteExtremesAreAccepted() throws {
        let values: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, -0.0]
        let tensor = try Self.file(values, dtype: .f32).tensor("text.ln_final.weight")
        #expect(tensor.scalars == values)
    }
}
