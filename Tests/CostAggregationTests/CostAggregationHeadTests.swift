import ParityTestSupport
import Testing
import SafeTensors
import Tensor
@testable import CostAggregation

/// The head against `reference/ovseg_reference/head.py` (fixtures from
/// scripts/fixtures/make_head_fixtures.py: E 32, hidden 16, 2 heads, window 4,
/// 8×8 map, 2 layers, T 3, pad_len 5, K 5, B 2). Tolerances (§11.3): every
/// stage `max|Δ| ≤ 1e-5·max|ref| + 1e-6`, logits `≤ 1e-4·max|ref| + 1e-6`,
/// identical per-pixel argmax.
@Suite("Cost-aggregation head parity")
struct CostAggregationHeadTests {
    static let prefix = "sem_seg_head.predictor.transformer."
    let weights: SafeTensorsFile
    let outputs: SafeTensorsFile
    let dense: Tensor, text: Tensor, text7: Tensor, taps: (Tensor, Tensor)

    init() throws {
        weights = try fixture("head_tiny")
        outputs = try fixture("head_outputs")
        dense = try outputs.tensor("in.dense")
        text = try outputs.tensor("in.text")
        text7 = try outputs.tensor("in.text7")
        taps = (try outputs.tensor("in.tap1"), try outputs.tensor("in.tap2"))
    }

    /// The same weights without the SGSeg additions: a CAT-Seg head.
    func catSegFile() throws -> SafeTensorsFile {
        try rebuild(weights, dropping: { $0.hasPrefix(Self.prefix + "projection") || $0.hasPrefix(Self.prefix + "memory.") })
    }

    /// Compares `stages[name]` (sliced like the fixture) with `<tag>.<name>`.
    func compare(_ stages: [String: Tensor], _ tag: String, _ name: String, slice: [Range<Int>] = [],
                 relative: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let actual = try #require(stages[name], "stage \(name) missing", sourceLocation: sourceLocation)
        let expected = try outputs.tensor("\(tag).\(name)")
        expectClose(try sliced(actual, slice), expected, relative: relative, "\(tag).\(name)", sourceLocation: sourceLocation)
    }

    func compareLogits(_ logits: Tensor, _ tag: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try outputs.tensor("\(tag).logits")
        expectClose(logits, expected, relative: 1e-4, "\(tag).logits", sourceLocation: sourceLocation)
        #expect(classArgmax(logits) == classArgmax(expected), "\(tag): argmax differs", sourceLocation: sourceLocation)
    }

    @Test func configurationComesFromShapesAndMetadata() throws {
        let head = try CostAggregationHead(file: weights)
        let cfg = head.configuration
        #expect(cfg.embedDim == 32 && cfg.prompts == 1 && cfg.hidden == 16)
        #expect(cfg.heads == 2 && cfg.window == 4 && cfg.padLength == 5 && cfg.layers == 2)
        #expect(cfg.appearanceGuidance == 12 && cfg.textGuidance == 8)
        #expect(cfg.decoderDims == [32, 16] && cfg.decoderGuidanceDims == [16, 8])
        #expect(cfg.decoderGuidanceProjectionDims == [8, 4] && cfg.tapWidth == 24)
        #expect(cfg.bias == .memory && cfg.memoryRows == 5 && !cfg.liveTextBias)
        let catSeg = try CostAggregationHead(file: try catSegFile())
        #expect(catSeg.configuration.bias == .none && catSeg.configuration.memoryRows == 0)
    }

    @Test func memoryBiasPoolingOneEveryStage() throws {
        let head = try CostAggregationHead(file: weights)
        let s = try head.stages(dense: dense, text: text, taps: taps, pooling: 1)
        let tag = "mem.p1"
        for name in ["bias.b", "bias.G1", "bias.G2", "corr", "guidance.appearance", "guidance.text"] {
            try compare(s, tag, name)
        }
        // G0 is b̂ broadcast over the map.
        let b = try outputs.tensor("mem.p1.bias.b")
        let g0 = try #require(s["bias.G0"])
        #expect(g0.shape == [1, 32, 8, 8])
        expectClose(g0, try Tensor(shape: [1, 32, 8, 8], scalars: b.scalars.flatMap { Array(repeating: $0, count: 64) }), "bias.G0")
        try compare(s, tag, "res4", slice: [0..<1])
        try compare(s, tag, "res5", slice: [0..<1, 0..<4])
        try compare(s, tag, "guidance.decoder1", slice: [0..<1])
        try compare(s, tag, "guidance.decoder2", slice: [0..<1])
        for name in ["embed", "swin.out.0", "class.out.0", "swin.out.1", "class.out.1", "layer.out.1"] {
            try compare(s, tag, name, slice: [1..<2])
        }
        try compare(s, tag, "decoder.out.1", slice: [1..<2, 0..<1, 0..<16])
        try compare(s, tag, "decoder.out.2", slice: [1..<2, 0..<1, 0..<4])
        try compareLogits(try #require(s["logits"]), tag)
    }

    @Test func memoryBiasPoolingTwo() throws {
        let head = try CostAggregationHead(file: weights)
        let s = try head.stages(dense: dense, text: text, taps: taps, pooling: 2)
        for name in ["class.out.0", "class.out.1", "layer.out.1"] { try compare(s, "mem.p2", name, slice: [1..<2]) }
        try compareLogits(try #require(s["logits"]), "mem.p2")
    }

    /// `logits` and `stages` run the same computation. (Only rounding may
    /// differ: `BLAS.threadCount` is process-wide and other suites change it
    /// concurrently, which changes OpenBLAS's summation order.)
    @Test func logitsEqualTheStageTrace() throws {
        let head = try CostAggregationHead(file: weights)
        let direct = try head.logits(dense: dense, text: text, taps: taps)
        let traced = try #require(try head.stages(dense: dense, text: text, taps: taps)["logits"])
        expectClose(direct, traced, relative: 1e-6, absolute: 1e-7, "logits vs stages")
    }

    @Test func catSegHeadWithoutBias() throws {
        let head = try CostAggregationHead(file: try catSegFile())
        let s = try head.stages(dense: dense, text: text, taps: taps, pooling: 1)
        #expect(s["bias.b"] == nil)
        try compare(s, "none.p1", "guidance.appearance")
        try compare(s, "none.p1", "guidance.decoder1", slice: [0..<1])
        try compare(s, "none.p1", "layer.out.1", slice: [1..<2])
        try compareLogits(try #require(s["logits"]), "none.p1")
        try compareLogits(try head.logits(dense: dense, text: text, taps: taps, pooling: 2), "none.p2")
    }

    /// `sgseg.bias = none` turns an SGSeg file into a CAT-Seg head (memory ignored).
    @Test func biasMetadataOverridesKeyPresence() throws {
        var metadata = weights.metadata
        metadata["sgseg.bias"] = "none"
        let declared = try CostAggregationHead(file: try rebuild(weights, metadata: metadata))
        #expect(declared.configuration.bias == .none)
        try compareLogits(try declared.logits(dense: dense, text: text, taps: taps), "none.p1")
    }

    @Test func liveTextVariant() throws {
        let head = try CostAggregationHead(file: weights, liveTextBias: true)
        #expect(head.configuration.liveTextBias)
        let s = try head.stages(dense: dense, text: text, taps: taps)
        let live = try #require(s["text.live"])
        expectClose(live, try outputs.tensor("live.p1.text.live").reshaped([3, 1, 32]), "live.p1.text.live")
        try compare(s, "live.p1", "corr")
        try compare(s, "live.p1", "guidance.text")
        try compareLogits(try #require(s["logits"]), "live.p1")
        // The released path is untouched by the variant's weights.
        let released = try CostAggregationHead(file: weights).logits(dense: dense, text: text, taps: taps)
        #expect(released != s["logits"])
    }

    @Test func classPruningBeyondPadLength() throws {
        let head = try CostAggregationHead(file: weights)
        let s = try head.stages(dense: dense, text: text7, taps: taps)
        #expect(try #require(s["classes"]) == (try outputs.tensor("prune.p1.classes")))
        try compare(s, "prune.p1", "corr")
        let logits = try #require(s["logits"])
        #expect(logits.shape == [2, 7, 32, 32])
        #expect(logits.scalars.filter { $0 == -100 }.count == 2 * 2 * 32 * 32)
        try compareLogits(logits, "prune.p1")
        // The kept classes alone, against their own scale (the −100 fill would dominate max|ref|).
        let expected = try outputs.tensor("prune.p1.logits")
        let kept = zip(logits.scalars, expected.scalars).filter { $0.1 != -100 }
        #expect(kept.count == 2 * 5 * 32 * 32)
        expectClose(try Tensor(shape: [kept.count], scalars: kept.map(\.0)),
                    try Tensor(shape: [kept.count], scalars: kept.map(\.1)), relative: 1e-4, "prune.p1.logits (kept classes)")
    }

    /// Scene-bias maps for another resolution are built per call from the same
    /// per-tap vectors as the precomputed ones (bit-identical: no BLAS involved).
    @Test func sceneBiasMapsForOtherResolutions() throws {
        let atLoad = try #require(try CostAggregationHead(file: weights, featureResolution: 8).sceneBias)
        let perCall = try #require(try CostAggregationHead(file: weights, featureResolution: 24).sceneBias)
        #expect(atLoad.resolution == 8 && atLoad.firstMap.count == 16 * 16 * 16 && atLoad.secondMap.count == 32 * 32 * 8)
        let built = perCall.maps(resolution: 8)
        #expect(built.first == atLoad.firstMap && built.second == atLoad.secondMap)
        #expect(perCall.firstMap.count == 48 * 48 * 16)
        // and the head at resolution 8 uses them: G1/G2 of the trace match the reference.
        let s = try CostAggregationHead(file: weights, featureResolution: 24).stages(dense: dense, text: text, taps: taps)
        try compare(s, "mem.p1", "bias.G1")
        try compare(s, "mem.p1", "bias.G2")
    }
}
