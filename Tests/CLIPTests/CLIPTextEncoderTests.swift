import ParityTestSupport
import Foundation
import Testing
import SafeTensors
import Tensor
@testable import CLIP

/// Token rows stored as exact integers in F32.
private func rows(_ outputs: SafeTensorsFile, _ key: String) throws -> [[Int32]] {
    let ids = try outputs.tensor(key)
    let width = ids.shape[1]
    return (0..<ids.shape[0]).map { r in ids.scalars[(r * width)..<((r + 1) * width)].map { Int32($0) } }
}

/// Parity with Hugging Face `CLIPTextModel` on tiny random models
/// (fixtures from scripts/fixtures/make_clip_fixtures.py).
@Suite("CLIP text encoder")
struct CLIPTextEncoderTests {
    let outputs: SafeTensorsFile
    init() throws { outputs = try fixture("clip_text_outputs") }

    @Test func configurationComesFromShapesAndMetadata() throws {
        let encoder = try CLIPTextEncoder(file: fixture("clip_tiny_text"))
        #expect(encoder.configuration == CLIPTextConfiguration(
            vocabularySize: 300, width: 16, layers: 2, heads: 4, intermediateSize: 37, maxPositions: 77,
            projectionSize: 12, activation: .quickGELU))
        let gelu = try CLIPTextEncoder(file: fixture("clip_text_gelu"))
        #expect(gelu.configuration.activation == .gelu)
    }

    @Test func everyLayerMatchesTransformers() throws {
        let encoder = try CLIPTextEncoder(file: fixture("clip_tiny_text"))
        let result = try encoder.encode(tokenRows: rows(outputs, "ids.zero_pad"), keepHiddenStates: true)
        #expect(result.endOfTextIndices == [5, 12, 76])
        #expect(result.hiddenStates.count == 3)
        for (i, hidden) in result.hiddenStates.enumerated() {
            expectClose(hidden, try outputs.tensor("text.hidden.\(i)"), "hidden state \(i)")
        }
        expectClose(result.lastHidden, try outputs.tensor("text.last_hidden"), "last hidden state")
        expectClose(result.pooled, try outputs.tensor("text.pooled"), "pooled")
        let embeddings = try #require(result.embeddings)
        expectClose(embeddings, try outputs.tensor("text.embeds"), "text embeds")
        // The pooled-only path runs the last layer at the three end-of-text rows only.
        let pooledOnly = try encoder.pooledEmbeddings(tokenRows: rows(outputs, "ids.zero_pad"))
        expectClose(pooledOnly.pooled, try outputs.tensor("text.pooled"), "pooled alone")
        expectClose(try #require(pooledOnly.embeddings), try outputs.tensor("text.embeds"), "text embeds alone")
        let eos = try encoder.pooledEmbeddings(tokenRows: rows(outputs, "ids.eos_pad"))
        expectClose(try #require(eos.embeddings), try outputs.tensor("text.embeds"), "EOS-padded, embeds alone")
        let normalized = try encoder.normalizedEmbeddings(tokenRows: rows(outputs, "ids.zero_pad"))
        let expected = try outputs.tensor("text.embeds").l2Normalized()
        expectCosine(normalized, expected, "normalised embeds")
        expectClose(normalized, expected, relative: 0, absolute: 1e-5, "normalised embeds")
    }

    /// Zero padding, EOS padding and per-row runs cut at the EOT agree (§3.5, §11.2).
    @Test func paddingAndTruncationAtEndOfTextAgree() throws {
        let encoder = try CLIPTextEncoder(file: fixture("clip_tiny_text"))
        let zero = try rows(outputs, "ids.zero_pad"), eos = try rows(outputs, "ids.eos_pad")
        let expected = try outputs.tensor("text.embeds")
        let viaEOS = try #require(try encoder.encode(tokenRows: eos).embeddings)
        expectClose(viaEOS, expected, "EOS-padded")
        for (r, row) in zero.enumerated() {
            let eot = try #require(row.firstIndex(of: 299))
            let single = try encoder.encode(tokenRows: [Array(row[0...eot])])
            #expect(single.lastHidden.shape == [1, eot + 1, 16])
            let embedding = try #require(single.embeddings)
            let expectedRow = try Tensor(shape: [1, 12], scalars: Array(expected.scalars[(r * 12)..<((r + 1) * 12)]))
            expectClose(embedding, expectedRow, "row \(r) cut at its EOT")
        }
    }

    @Test func halfPrecisionCheckpointAndGELUModel() throws {
        let f16 = try CLIPTextEncoder(file: fixture("clip_tiny_text_f16"))
        let ids = try rows(outputs, "ids.zero_pad")
        let half = try f16.encode(tokenRows: ids)
        expectClose(half.pooled, try outputs.tensor("text.pooled.f16"), "F16 pooled")
        expectClose(try #require(half.embeddings), try outputs.tensor("text.embeds.f16"), "F16 embeds")
        let gelu = try CLIPTextEncoder(file: fixture("clip_text_gelu")).encode(tokenRows: ids)
        expectClose(gelu.pooled, try outputs.tensor("text.pooled.gelu"), "GELU pooled")
        expectClose(try #require(gelu.embeddings), try outputs.tensor("text.embeds.gelu"), "GELU embeds")
    }

    @Test func clearErrors() throws {
        let file = try fixture("clip_tiny_text")
        do {
            _ = try CLIPTextEncoder(file: file, options: CLIPTextLoadOptions(prefix: "frozen."))
            Issue.record("missing prefix accepted")
        } catch {
            #expect(error.description.contains("'frozen.text_model.embeddings.token_embedding.weight'"))
        }
        #expect(throws: CLIPError.self) { try CLIPTextEncoder(file: file, options: CLIPTextLoadOptions(heads: 5)) }
        // Undeclared non-standard sizes are refused (no silent width/64 guess).
        let bare = try SafeTensorsFile(bytes: stripMetadata(file))
        do {
            _ = try CLIPTextEncoder(file: bare)
            Issue.record("undeclared tiny text tower accepted")
        } catch {
            #expect(error.description.contains("is not an OpenAI CLIP"))
            #expect(error.description.contains("sgseg.clip.text_heads"))
        }
        let encoder = try CLIPTextEncoder(file: file)
        #expect(throws: CLIPError.invalidInput("row 0 holds token id 300, outside the vocabulary of 300")) {
            try encoder.encode(tokenRows: [[298, 300, 299]])
        }
        #expect(throws: CLIPError.self) { try encoder.encode(tokenRows: [[Int32](repeating: 1, count: 78)]) }
        #expect(throws: CLIPError.self) { try encoder.encode(tokenRows: []) }
        #expect(throws: CLIPError.self) { try encoder.encode(tokenRows: [[298, 299], [298]]) }
    }
}
