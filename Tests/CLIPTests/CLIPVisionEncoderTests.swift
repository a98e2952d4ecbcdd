import ParityTestSupport
import Foundation
import Testing
import SafeTensors
import Tensor
@testable import CLIP

/// Rows `first..<first+count` of the leading dimension of `t`.
private func slice(_ t: Tensor, _ first: Int, _ count: Int) throws -> Tensor {
    let inner = t.shape.dropFirst().reduce(1, *)
    return try Tensor(shape: [count] + t.shape.dropFirst(), scalars: Array(t.scalars[(first * inner)..<((first + count) * inner)]))
}

/// Parity with Hugging Face `CLIPVisionModelWithProjection` on a tiny random
/// model (fixtures from scripts/fixtures/make_clip_fixtures.py).
@Suite("CLIP vision encoder")
struct CLIPVisionEncoderTests {
    let outputs: SafeTensorsFile
    init() throws { outputs = try fixture("clip_vision_outputs") }

    @Test func configurationComesFromShapesAndMetadata() throws {
        let encoder = try CLIPVisionEncoder(file: fixture("clip_tiny_vision"))
        #expect(encoder.configuration == CLIPVisionConfiguration(
            width: 32, layers: 3, heads: 4, intermediateSize: 37, patchSize: 4, nativeGrid: 4,
            projectionSize: 12, activation: .quickGELU, variant: nil))
        #expect(encoder.configuration.nativeImageSize == 16)
    }

    /// Every hidden state, pooled output, image embedding and both dense
    /// variants, at the native grid (batch of 2: one GEMM over 34 tokens), an
    /// interpolated square grid and a non-square grid.
    @Test(arguments: ["native", "interp", "nonsquare"])
    func everyOutputMatchesTransformers(size: String) throws {
        let encoder = try CLIPVisionEncoder(file: fixture("clip_tiny_vision"))
        let pixels = try outputs.tensor("pixels.\(size)")
        let all = CLIPVisionRequest(dense: .vanilla, hiddenStates: [0, 1, 2, 3])
        let result = try encoder.encode(pixels, request: all)
        #expect(result.hiddenStates.count == 4)
        for i in 0...3 {
            expectClose(try #require(result.hiddenStates[i]), try outputs.tensor("vision.hidden.\(i).\(size)"), "\(size) hidden \(i)")
        }
        expectClose(try #require(result.pooled), try outputs.tensor("vision.pooled.\(size)"), "\(size) pooled")
        let embeds = try #require(result.embeddings)
        let expectedEmbeds = try outputs.tensor("image_embeds.\(size)")
        expectClose(embeds, expectedEmbeds, "\(size) image embeds")
        expectCosine(try embeds.l2Normalized(), try expectedEmbeds.l2Normalized(), "\(size) normalised image embeds")
        expectClose(try #require(result.dense), try outputs.tensor("dense.vanilla.\(size)"), "\(size) dense vanilla")

        // The pooled output alone runs the last block at the class tokens only.
        let pooledOnly = try encoder.encode(pixels)
        expectClose(try #require(pooledOnly.pooled), try outputs.tensor("vision.pooled.\(size)"), "\(size) pooled alone")
        expectClose(try #require(pooledOnly.embeddings), expectedEmbeds, "\(size) image embeds alone")

        let catSeg = try encoder.encode(pixels, request: CLIPVisionRequest(dense: .catSeg, pooled: false))
        #expect(catSeg.pooled == nil && catSeg.embeddings == nil)
        let dense = try #require(catSeg.dense)
        let expectedDense = try outputs.tensor("dense.catseg.\(size)")
        expectClose(dense, expectedDense, "\(size) dense CAT-Seg")
        expectCosine(dense, expectedDense, "\(size) dense CAT-Seg per token")
    }

    /// Batching changes nothing: image 1 alone equals row 1 of the batch.
    @Test func batchRowsAreIndependent() throws {
        let encoder = try CLIPVisionEncoder(file: fixture("clip_tiny_vision"))
        let pixels = try outputs.tensor("pixels.native")
        let single = try encoder.encode(slice(pixels, 1, 1), request: CLIPVisionRequest(dense: .catSeg))
        expectClose(try #require(single.embeddings), try slice(outputs.tensor("image_embeds.native"), 1, 1), "image 1 alone")
        expectClose(try #require(single.dense), try slice(outputs.tensor("dense.catseg.native"), 1, 1), "image 1 dense alone")
    }

    @Test func positionEmbeddingInterpolation() throws {
        let file = try fixture("clip_tiny_vision")
        let bySize = try CLIPVisionEncoder(file: file)
        expectClose(try bySize.positionEmbeddings(rows: 4, columns: 7), try outputs.tensor("pos_embed.by_size.4x7"), "by size 4×7")
        // Cached: the second call returns the same table.
        #expect(try bySize.positionEmbeddings(rows: 4, columns: 7) == bySize.positionEmbeddings(rows: 4, columns: 7))
        let dino = try CLIPVisionEncoder(file: file, options: CLIPVisionLoadOptions(positionInterpolation: .dinoScaleFactor))
        expectClose(try dino.positionEmbeddings(rows: 6, columns: 6), try outputs.tensor("pos_embed.dino.6x6"), "DINO 6×6")
    }

    @Test func halfPrecisionCheckpoint() throws {
        let encoder = try CLIPVisionEncoder(file: fixture("clip_tiny_vision_f16"))
        let result = try encoder.encode(outputs.tensor("pixels.native"), request: CLIPVisionRequest(dense: .catSeg))
        expectClose(try #require(result.pooled), try outputs.tensor("vision.pooled.native.f16"), "F16 pooled")
        expectClose(try #require(result.embeddings), try outputs.tensor("image_embeds.native.f16"), "F16 embeds")
        expectClose(try #require(result.dense), try outputs.tensor("dense.catseg.native.f16"), "F16 dense")
    }

    @Test func clearErrors() throws {
        let file = try fixture("clip_tiny_vision")
        do {
            _ = try CLIPVisionEncoder(file: file, options: CLIPVisionLoadOptions(prefix: "tuned."))
            Issue.record("missing prefix accepted")
        } catch {
            #expect(error.description.contains("'tuned.vision_model.embeddings.patch_embedding.weight'"))
        }
        do {
            _ = try CLIPVisionEncoder(file: SafeTensorsFile(bytes: stripMetadata(file)))
            Issue.record("undeclared tiny vision tower accepted")
        } catch let error as CLIPError {
            #expect(error.description.contains("is not an OpenAI CLIP"))
            #expect(error.description.contains("sgseg.clip.vision_heads"))
        }
        let encoder = try CLIPVisionEncoder(file: file)
        #expect(throws: CLIPError.self) { try encoder.encode(Tensor(shape: [1, 3, 18, 16])) }
        #expect(throws: CLIPError.self) { try encoder.encode(Tensor(shape: [1, 1, 16, 16])) }
        #expect(throws: CLIPError.self) {
            try encoder.encode(Tensor(shape: [1, 3, 16, 16]), request: CLIPVisionRequest(hiddenStates: [4]))
        }
    }
}
