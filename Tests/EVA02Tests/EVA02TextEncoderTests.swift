import ParityTestSupport
import Foundation
import Testing
import SafeTensors
import Tensor
@testable import EVA02

/// Parity with the PyTorch reference text tower (width 32, 4 heads, 2 layers,
/// MLP 64, vocab 64 with EOT 63, context 77, embed 48; zero padding, EOT at
/// positions 3, 8 and 76).
@Suite("EVA02 text encoder")
struct EVA02TextEncoderTests {
    let outputs: SafeTensorsFile
    let rows: [[Int32]]
    init() throws {
        outputs = try fixture("eva02_outputs")
        let ids = try outputs.tensor("text.ids")
        rows = (0..<ids.shape[0]).map { r in ids.scalars[(r * 77)..<((r + 1) * 77)].map { Int32($0) } }
    }

    @Test func configurationComesFromShapesAndMetadata() throws {
        let encoder = try EVA02TextEncoder(file: fixture("eva02_tiny"))
        #expect(encoder.configuration == EVA02TextConfiguration(
            vocabularySize: 64, contextLength: 77, width: 32, layers: 2, heads: 4, mlpHidden: 64, embedDimension: 48))
    }

    @Test func embeddingsMatchTheReference() throws {
        let encoder = try EVA02TextEncoder(file: fixture("eva02_tiny"))
        let expected = try outputs.tensor("text.embeds")
        expectClose(try encoder.encode(tokenRows: rows), expected, "text embeddings")
        expectClose(try encoder.normalizedEmbeddings(tokenRows: rows), try expected.l2Normalized(), "normalised")
        // Rows are independent: the short prompt alone (run only to its EOT).
        let alone = try encoder.encode(tokenRows: [rows[0]])
        let first = try Tensor(shape: [1, 48], scalars: Array(expected.scalars[0..<48]))
        expectClose(alone, first, "row 0 alone")
    }

    @Test func halfPrecisionCheckpoint() throws {
        let encoder = try EVA02TextEncoder(file: fixture("eva02_tiny_f16"))
        let embeddings = try encoder.encode(tokenRows: rows)
        expectClose(embeddings, try outputs.tensor("text.embeds.f16"), "F16 text embeddings")
        #expect(deviation(embeddings, try outputs.tensor("text.embeds")).worst > 1e-4)
    }

    @Test func misshapenTensorNamesTheKeyAndBothShapes() throws {
        let key = EVA02TextEncoder.checkpointPrefix + "transformer.resblocks.1.attn.in_proj_bias"
        let bytes = try rebuiltSafeTensors(fixture("eva02_tiny"), edit: { name, shape, data in
            name == key ? ([95], Array(data.prefix(95 * 4))) : (shape, data)
        })
        let error = #expect(throws: EVA02Error.self) { _ = try EVA02TextEncoder(file: SafeTensorsFile(bytes: bytes)) }
        let message = error?.description ?? ""
        #expect(message.contains(key) && message.contains("[95]") && message.contains("[96]"), "\(message)")
    }

    @Test func missingTensorNamesTheKey() throws {
        let key = EVA02TextEncoder.checkpointPrefix + "ln_final.bias"
        let bytes = try rebuiltSafeTensors(fixture("eva02_tiny"), dropping: { $0 == key })
        let error = #expect(throws: EVA02Error.self) { _ = try EVA02TextEncoder(file: SafeTensorsFile(bytes: bytes)) }
        #expect(error?.description.contains(key) == true, "\(String(describing: error))")
    }

    @Test func invalidTokenRowsAreRefused() throws {
        let encoder = try EVA02TextEncoder(file: fixture("eva02_tiny"))
        #expect(throws: EVA02Error.self) { _ = try encoder.encode(tokenRows: [[62, 64, 0]]) }
        #expect(throws: EVA02Error.self) { _ = try encoder.encode(tokenRows: [[Int32]](repeating: [], count: 1)) }
        #expect(throws: EVA02Error.self) { _ = try encoder.encode(tokenRows: [Array(repeating: 1, count: 78)]) }
        #expect(throws: EVA02Error.self) { _ = try encoder.encode(tokenRows: [[62, 63], [62, 5, 63]]) }
    }
}
