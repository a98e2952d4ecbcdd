import Testing
import SafeTensors
import Tensor
@testable import CostAggregation

/// Bad checkpoints and inputs give typed errors that name the key, the file
/// and both shapes, never a crash.
@Suite("Cost-aggregation head errors")
struct CostAggregationErrorTests {
    static let prefix = "sem_seg_head.predictor.transformer."
    let weights: SafeTensorsFile
    let dense: Tensor, text: Tensor, taps: (Tensor, Tensor)

    init() throws {
        weights = try fixture("head_tiny")
        let outputs = try fixture("head_outputs")
        dense = try outputs.tensor("in.dense")
        text = try outputs.tensor("in.text")
        taps = (try outputs.tensor("in.tap1"), try outputs.tensor("in.tap2"))
    }

    func loadError(_ file: SafeTensorsFile, liveTextBias: Bool = false) -> CostAggregationError? {
        do {
            _ = try CostAggregationHead(file: file, liveTextBias: liveTextBias)
            return nil
        } catch {
            return error
        }
    }

    func runError(dense: Tensor? = nil, text: Tensor? = nil, taps: (Tensor, Tensor)? = nil, pooling: Int = 1) throws -> CostAggregationError? {
        let head = try CostAggregationHead(file: weights)
        do {
            _ = try head.logits(dense: dense ?? self.dense, text: text ?? self.text, taps: taps ?? self.taps, pooling: pooling)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingKeyIsNamed() throws {
        let key = Self.prefix + "layers.1.attention.norm2.bias"
        let error = loadError(try rebuild(weights, dropping: { $0 == key }))
        guard case .checkpoint(let inner)? = error, case .missingTensor(let missing, _) = inner.problem else {
            Issue.record("expected a missing-tensor error, got \(String(describing: error))")
            return
        }
        #expect(missing == key)
        #expect(error?.description.contains(key) == true)
        let upsample = loadError(try rebuild(weights, dropping: { $0 == "upsample2.bias" }))
        #expect(upsample?.description.contains("upsample2.bias") == true)
    }

    @Test func wrongShapeNamesKeyAndBothShapes() throws {
        let key = Self.prefix + "guidance_projection.0.bias"
        let file = try rebuild(weights, edit: { name, shape, bytes in
            name == key ? ([11], Array(bytes.prefix(22))) : (shape, bytes)
        })
        let error = loadError(file)
        guard case .checkpoint(let inner)? = error,
              case .unexpectedShape(let named, let expected, let actual) = inner.problem else {
            Issue.record("expected a shape error, got \(String(describing: error))")
            return
        }
        #expect(named == key && expected == [12] && actual == [11])
        let text = error?.description ?? ""
        #expect(text.contains(key) && text.contains("[12]") && text.contains("[11]"))
    }

    @Test func unknownMetadataValues() throws {
        for (key, value) in [("sgseg.bias", "prototypes"), ("sgseg.aggregator.heads", "two"),
                             ("sgseg.aggregator.window", "0"), ("sgseg.aggregator.pad_len", "-1")] {
            var metadata = weights.metadata
            metadata[key] = value
            let error = loadError(try rebuild(weights, metadata: metadata))
            guard case .invalidMetadata(let named, let found, _)? = error else {
                Issue.record("\(key)=\(value): expected invalidMetadata, got \(String(describing: error))")
                continue
            }
            #expect(named == key && found == value)
            #expect(error?.description.contains(key) == true)
        }
        // Heads that do not divide the hidden width.
        var metadata = weights.metadata
        metadata["sgseg.aggregator.heads"] = "3"
        guard case .unsupportedConfiguration? = loadError(try rebuild(weights, metadata: metadata)) else {
            Issue.record("3 heads for width 16 must be refused")
            return
        }
    }

    @Test func memoryDeclaredButMissing() throws {
        var metadata = weights.metadata
        metadata["sgseg.bias"] = "memory"
        let file = try rebuild(weights, dropping: { $0.hasPrefix(Self.prefix + "memory.memory") }, metadata: metadata)
        #expect(loadError(file)?.description.contains("memory.memory") == true)
    }

    @Test func liveTextNeedsItsKeys() throws {
        let file = try rebuild(weights, dropping: { $0.contains("feature_fusion_layer.gamma_l") })
        #expect(loadError(file, liveTextBias: true)?.description.contains("feature_fusion_layer.gamma_l") == true)
        #expect(loadError(file) == nil)   // not requested: not needed
        let catSeg = try rebuild(weights, dropping: { $0.hasPrefix(Self.prefix + "memory.") || $0.hasPrefix(Self.prefix + "projection") })
        guard case .unsupportedConfiguration? = loadError(catSeg, liveTextBias: true) else {
            Issue.record("the live text bias without a memory must be refused")
            return
        }
    }

    @Test func badInputShapes() throws {
        let wrongWidth = try Tensor(shape: [2, 31, 8, 8], repeating: 0.1)
        #expect(try runError(dense: wrongWidth)?.description.contains("[2, 31, 8, 8]") == true)
        let nonSquare = try Tensor(shape: [2, 32, 8, 4], repeating: 0.1)
        #expect(try runError(dense: nonSquare) != nil)
        let offWindow = try Tensor(shape: [2, 32, 6, 6], repeating: 0.1)
        let offTaps = (try Tensor(shape: [2, 36, 24], repeating: 0), try Tensor(shape: [2, 36, 24], repeating: 0))
        #expect(try runError(dense: offWindow, taps: offTaps)?.description.contains("window") == true)
        let twoPrompts = try Tensor(shape: [3, 2, 32], repeating: 0.1)
        #expect(try runError(text: twoPrompts)?.description.contains("[3, 2, 32]") == true)
        #expect(try runError(text: try Tensor(shape: [0, 1, 32], repeating: 0)) != nil)
        let shortTaps = (taps.0, try Tensor(shape: [2, 63, 24], repeating: 0))
        #expect(try runError(taps: shortTaps)?.description.contains("[2, 63, 24]") == true)
        #expect(try runError(pooling: 0)?.description.contains("pooling") == true)
        #expect(try runError(pooling: 9) != nil)
    }
}
