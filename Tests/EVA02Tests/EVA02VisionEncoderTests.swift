import ParityTestSupport
import Foundation
import Testing
import SafeTensors
import Tensor
@testable import EVA02

/// Parity with the PyTorch reference `reference/ovseg_reference/eva02.py` on a
/// tiny random EVA02 tower (fixtures from scripts/fixtures/make_eva02_fixtures.py:
/// width 32, 2 heads, 4 blocks, patch 14, 42 px → grid 3, SwiGLU 51, embed 48).
@Suite("EVA02 vision encoder")
struct EVA02VisionEncoderTests {
    let outputs: SafeTensorsFile
    let pixels: Tensor
    init() throws {
        outputs = try fixture("eva02_outputs")
        pixels = try outputs.tensor("pixels")
    }

    @Test func configurationComesFromShapesAndMetadata() throws {
        let encoder = try EVA02VisionEncoder(file: fixture("eva02_tiny"))
        #expect(encoder.configuration == EVA02VisionConfiguration(
            width: 32, blocks: 4, heads: 2, mlpHidden: 51, patchSize: 14, grid: 3, embedDimension: 48,
            ropeTrainingGrid: 16))
        #expect(encoder.configuration.imageSize == 42)
        #expect(encoder.configuration.headWidth == 16)
    }

    /// Our RoPE tables against the authors' `rope.freqs_cos/sin` buffers that
    /// the fixture checkpoint carries (written by the reference, which equals
    /// the authors' `VisionRotaryEmbeddingFast` bit for bit).
    @Test func ropeTablesMatchTheCheckpointBuffers() throws {
        let file = try fixture("eva02_tiny")
        let (cosines, sines) = EVA02VisionEncoder.ropeTables(headWidth: 16, trainingGrid: 16, grid: 3)
        let prefix = EVA02VisionEncoder.checkpointPrefix
        expectClose(try Tensor(shape: [9, 16], scalars: cosines), try file.tensor(prefix + "rope.freqs_cos"),
                    relative: 0, absolute: 1e-6, "cos table")
        expectClose(try Tensor(shape: [9, 16], scalars: sines), try file.tensor(prefix + "rope.freqs_sin"),
                    relative: 0, absolute: 1e-6, "sin table")
    }

    /// Dense CSA features and the taps of blocks 1 and 2 for a batch of 2.
    @Test func denseAndTapsMatchTheReference() throws {
        let encoder = try EVA02VisionEncoder(file: fixture("eva02_tiny"))
        let result = try encoder.dense(pixels, taps: [1, 2])
        #expect(result.grid == 3)
        #expect(Set(result.taps.keys) == [1, 2])
        expectClose(result.dense, try outputs.tensor("vision.dense.b2"), "dense")
        for tap in [1, 2] {
            expectClose(try #require(result.taps[tap]), try outputs.tensor("vision.tap.\(tap).b2"), "tap \(tap)")
        }
        let onlyDense = try encoder.dense(pixels)
        #expect(onlyDense.taps.isEmpty)
        #expect(onlyDense.dense == result.dense)
    }

    /// Five windows in one pass (as the sliding-window inference runs them):
    /// `[p0, p1, −p0, −p1, 0.5·p0]`, one GEMM per projection over 5·10 tokens.
    @Test func batchOfFiveMatchesTheReference() throws {
        let encoder = try EVA02VisionEncoder(file: fixture("eva02_tiny"))
        let image = pixels.count / 2
        let p0 = Array(pixels.scalars[0..<image]), p1 = Array(pixels.scalars[image...])
        var scalars = p0 + p1
        scalars += p0.map { -$0 }
        scalars += p1.map { -$0 }
        scalars += p0.map { 0.5 * $0 }
        let batch = try Tensor(shape: [5, 3, 42, 42], scalars: scalars)
        let result = try encoder.dense(batch)
        expectClose(result.dense, try outputs.tensor("vision.dense.b5"), "dense, batch of 5")
    }

    /// The F16 copy of the checkpoint against the reference run with the
    /// F16-rounded weights in float32 (same tolerance: the rounding happens
    /// in the weights, not in the arithmetic).
    @Test func halfPrecisionCheckpoint() throws {
        let encoder = try EVA02VisionEncoder(file: fixture("eva02_tiny_f16"))
        let result = try encoder.dense(pixels, taps: [1, 2])
        expectClose(result.dense, try outputs.tensor("vision.dense.b2.f16"), "F16 dense")
        for tap in [1, 2] {
            expectClose(try #require(result.taps[tap]), try outputs.tensor("vision.tap.\(tap).b2.f16"), "F16 tap \(tap)")
        }
        // The F16 outputs differ from the F32 ones, so the comparison above can tell them apart.
        #expect(deviation(result.dense, try outputs.tensor("vision.dense.b2")).worst > 1e-4)
    }

    @Test func missingTensorNamesTheKey() throws {
        let key = EVA02VisionEncoder.checkpointPrefix + "blocks.2.mlp.w3.bias"
        let bytes = try rebuiltSafeTensors(fixture("eva02_tiny"), dropping: { $0 == key })
        let error = #expect(throws: EVA02Error.self) {
            _ = try EVA02VisionEncoder(file: SafeTensorsFile(bytes: bytes, name: "damaged.safetensors"))
        }
        let message = error?.description ?? ""
        #expect(message.contains(key), "\(message)")
        #expect(message.contains("damaged.safetensors"), "\(message)")
    }

    @Test func misshapenTensorNamesTheKeyAndBothShapes() throws {
        let key = EVA02VisionEncoder.checkpointPrefix + "blocks.1.attn.proj.weight"
        let bytes = try rebuiltSafeTensors(fixture("eva02_tiny"), edit: { name, shape, data in
            name == key ? ([32, 31], Array(data.prefix(32 * 31 * 4))) : (shape, data)
        })
        let error = #expect(throws: EVA02Error.self) {
            _ = try EVA02VisionEncoder(file: SafeTensorsFile(bytes: bytes))
        }
        let message = error?.description ?? ""
        #expect(message.contains(key) && message.contains("[32, 31]") && message.contains("[32, 32]"), "\(message)")
    }

    /// Without `sgseg.clip.vision_heads` the heads default to width / 64,
    /// which is 0 for this width: a clear configuration error.
    @Test func headsWithoutMetadataFallBackToWidthOver64() throws {
        let bytes = try rebuiltSafeTensors(fixture("eva02_tiny"), metadata: [:])
        let file = try SafeTensorsFile(bytes: bytes)
        let error = #expect(throws: EVA02Error.self) { _ = try EVA02VisionEncoder(file: file) }
        #expect(error?.description.contains(CheckpointMetadataKey.CLIP.visionHeads) == true, "\(String(describing: error))")
        let declared = try EVA02VisionEncoder(file: file, heads: 2)
        expectClose(try declared.dense(pixels).dense, try outputs.tensor("vision.dense.b2"), "heads given explicitly")
    }

    @Test func inputOtherThanTheNativeSizeIsRefused() throws {
        let encoder = try EVA02VisionEncoder(file: fixture("eva02_tiny"))
        let large = try Tensor(shape: [1, 3, 56, 56])
        let error = #expect(throws: EVA02Error.self) { _ = try encoder.dense(large) }
        let message = error?.description ?? ""
        #expect(message.contains("56×56") && message.contains("42×42"), "\(message)")
        #expect(throws: EVA02Error.self) { _ = try encoder.dense(try Tensor(shape: [1, 1, 42, 42])) }
    }

    /// Taps must be standard blocks: the last block only runs in CSA mode.
    @Test func tapsOutsideTheStandardBlocksAreRefused() throws {
        let encoder = try EVA02VisionEncoder(file: fixture("eva02_tiny"))
        for tap in [-1, 3, 4] {
            #expect(throws: EVA02Error.self) { _ = try encoder.dense(pixels, taps: [tap]) }
        }
    }
}
