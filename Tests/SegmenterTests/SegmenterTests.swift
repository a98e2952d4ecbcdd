import Foundation
import SafeTensors
import Tensor
import ParityTestSupport
import Testing

@testable import Segmenter

func fixtureURL(_ name: String, _ ext: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
}

func fixture(_ name: String) throws -> SafeTensorsFile {
    try SafeTensorsFile(path: try fixtureURL(name, "safetensors").path)
}

/// The fixture image `[3, H, W]` (0–255 floats) as an RGB image.
func fixtureImage(_ outputs: SafeTensorsFile) throws -> RGBImage {
    let planar = try outputs.tensor("image")
    let (h, w) = (planar.shape[1], planar.shape[2])
    var pixels = [UInt8](repeating: 0, count: h * w * 3)
    for c in 0..<3 {
        for p in 0..<(h * w) { pixels[p * 3 + c] = UInt8(planar.scalars[c * h * w + p]) }
    }
    return try RGBImage(width: w, height: h, pixels: pixels)
}

func tokenRows(_ outputs: SafeTensorsFile) throws -> [[Int32]] {
    let ids = try outputs.tensor("text.ids")
    let width = ids.shape[1]
    return (0..<ids.shape[0]).map { row in (0..<width).map { Int32(ids.scalars[row * width + $0]) } }
}

@Suite("PIL-exact shortest-edge resize")
struct PILResizeTests {
    struct Fixture: Decodable {
        struct Case: Decodable { let width: Int; let height: Int; let pixels: [UInt8] }
        struct Size: Decodable { let height: Int; let width: Int; let new_height: Int; let new_width: Int }
        let width: Int
        let height: Int
        let pixels: [UInt8]
        let cases: [Case]
        let shortest_edge_640_max_2560: [Size]
    }

    func load() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: try fixtureURL("pil_resize", "json")))
    }

    @Test func bilinearResizeEqualsPillowByteForByte() throws {
        let data = try load()
        let image = try RGBImage(width: data.width, height: data.height, pixels: data.pixels)
        for item in data.cases {
            let resized = try PILResize.resize(image, width: item.width, height: item.height)
            let differing = zip(resized.pixels, item.pixels).filter { $0 != $1 }.count
            #expect(differing == 0, "\(item.width)×\(item.height): \(differing) bytes differ from Pillow")
        }
    }

    @Test func shortestEdgeSizesMatchDetectron2() throws {
        for item in try load().shortest_edge_640_max_2560 {
            let size = PILResize.shortestEdgeSize(width: item.width, height: item.height, short: 640, maximum: 2560)
            #expect(size.width == item.new_width && size.height == item.new_height, "\(item.width)×\(item.height)")
        }
    }
}

@Suite("Sliding-window geometry")
struct WindowPlanTests {
    @Test func releasedGeometryHasFourWindowsInUnfoldOrder() throws {
        let plan = try WindowPlan(resolution: 640, window: 384, stride: 256)
        #expect(plan.offsets.map(\.y) == [0, 0, 256, 256])
        #expect(plan.offsets.map(\.x) == [0, 256, 0, 256])
    }

    @Test func constantProbabilitiesCombineToThemselves() throws {
        let plan = try WindowPlan(resolution: 40, window: 24, stride: 16)
        let windows = plan.offsets.count + 1
        let probabilities = try Tensor(shape: [windows, 2, 24, 24], repeating: 0.25)
        let combined = try plan.combine(probabilities)
        #expect(combined.shape == [2, 40, 40])
        #expect(combined.scalars.allSatisfy { abs($0 - 0.25) < 1e-7 })
    }

    @Test func uncoveredBordersAreRefused() {
        #expect(throws: SegmenterError.self) { try WindowPlan(resolution: 41, window: 24, stride: 16) }
        #expect(throws: SegmenterError.self) { try WindowPlan(resolution: 20, window: 24, stride: 16) }
    }
}

@Suite("Compensation distance")
struct CompensationDistanceTests {
    @Test func matchesTheReferenceLossWithoutItsWeight() throws {
        let file = try fixture("compensation_distance")
        for name in ["square"] {  // dense maps are square; the reference resizes non-square ones first
            let a = try file.tensor("a.\(name)")
            let b = try file.tensor("b.\(name)")
            let expected = try file.tensor("distance.\(name)").scalars[0]
            // The reference averages over the batch; each item is one image here.
            var total = 0.0
            for item in 0..<a.shape[0] {
                total += try CompensationDistance.distance(tuned: try a.batchItem(item), frozen: try b.batchItem(item))
            }
            let mean = total / Double(a.shape[0])
            #expect(abs(mean - Double(expected)) <= 1e-5 * Double(abs(expected)) + 1e-7, "\(name): \(mean) vs \(expected)")
        }
        let a = try file.tensor("a.square")
        #expect(try CompensationDistance.distance(tuned: try a.batchItem(0), frozen: try a.batchItem(0)) == 0)
    }

    @Test func regionMaskFollowsTheMajorityClass() {
        // 4×4 image, 2×2 grid: top-left cell mostly class 1, others class 0 / ignored.
        let labels: [Int32] = [1, 1, 0, 0, 1, 0, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0]
        let mask = CompensationDistance.regionMask(labels: labels, width: 4, height: 4, grid: 2, classes: [1], classCount: 2)
        #expect(mask == [true, false, false, false])
    }
}

@Suite("End-to-end parity with the PyTorch reference")
struct EndToEndTests {
    /// Runs one checkpoint over the fixture image and compares every recorded stage.
    func check(
        checkpoint: String, outputs name: String, inference: SegmenterConfiguration.Inference, bias: String,
        pooling: Int, frozenCompensation: Bool = false, sceneBias: Bool = true, liveTextBias: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let outputs = try fixture(name)
        let options = SegmenterOptions(
            pooling: pooling, inference: inference, frozenCompensation: frozenCompensation, shortestEdge: .none,
            sceneBias: sceneBias, liveTextBias: liveTextBias)
        let segmenter = try SoftGuidedSegmenter(file: try fixture(checkpoint), options: options)
        let text = try segmenter.textEmbeddings(tokenRows: try tokenRows(outputs), classes: 3)
        expectClose(text, try outputs.tensor("text.embeddings"), relative: 1e-5, "text", sourceLocation: sourceLocation)
        let result = try segmenter.segment(try fixtureImage(outputs), text: text)
        let t = result.timings
        #expect([t.preprocessing, t.backbone, t.head, t.postprocessing].allSatisfy { $0 >= 0 } && t.head > 0)
        #expect(abs(t.total - (t.preprocessing + t.backbone + t.head + t.postprocessing)) < 1e-12)
        let mode = inference.rawValue
        let stage = "\(mode).\(bias).pool\(pooling)"
        if outputs.contains("\(mode).pixels") {
            expectClose(result.windowPixels, try outputs.tensor("\(mode).pixels"), relative: 1e-5, "\(mode) pixels", sourceLocation: sourceLocation)
        }
        expectClose(result.dense, try outputs.tensor("\(mode).dense"), relative: 1e-4, "\(mode) dense", sourceLocation: sourceLocation)
        expectClose(result.windowLogits, try outputs.tensor("\(stage).logits"), relative: 1e-4, "\(stage) logits", sourceLocation: sourceLocation)
        if inference == .sliding, outputs.contains("\(stage).combined") {
            expectClose(result.probabilities, try outputs.tensor("\(stage).combined"), relative: 1e-4, "\(stage) combined", sourceLocation: sourceLocation)
        }
        let expectedLabels = try outputs.tensor("\(stage).labels").scalars.map { Int32($0) }
        let probabilities = try outputs.tensor("\(stage).probabilities")
        let (h, w) = (probabilities.shape[1], probabilities.shape[2])
        // Labels must agree except where the reference's top two probabilities are within 1e-4 (§11.3).
        var unexplained = 0
        for p in 0..<(h * w) where result.labels[p] != expectedLabels[p] {
            let values = (0..<3).map { probabilities.scalars[$0 * h * w + p] }.sorted(by: >)
            if values[0] - values[1] >= 1e-4 { unexplained += 1 }
        }
        #expect(unexplained == 0, "\(stage): \(unexplained) labels differ away from near-ties", sourceLocation: sourceLocation)
    }

    @Test(arguments: [1, 2])
    func sgsegSliding(pooling: Int) throws {
        try check(checkpoint: "sgseg_tiny", outputs: "sgseg_tiny_outputs", inference: .sliding, bias: "memory", pooling: pooling)
    }

    @Test(arguments: [1, 2])
    func sgsegWhole(pooling: Int) throws {
        try check(checkpoint: "sgseg_tiny", outputs: "sgseg_tiny_outputs", inference: .whole, bias: "memory", pooling: pooling)
    }

    /// The reference's `bias="none"` on the SGSeg weights: the ablation without the scene bias.
    @Test(arguments: [SegmenterConfiguration.Inference.sliding, .whole], [1, 2])
    func sgsegWithoutSceneBias(inference: SegmenterConfiguration.Inference, pooling: Int) throws {
        try check(
            checkpoint: "sgseg_tiny", outputs: "sgseg_tiny_outputs", inference: inference, bias: "none", pooling: pooling,
            sceneBias: false)
    }

    /// The paper-described live bias-guided text (not in the released model), end to end.
    @Test(arguments: [SegmenterConfiguration.Inference.sliding, .whole])
    func liveTextBiasVariant(inference: SegmenterConfiguration.Inference) throws {
        try check(
            checkpoint: "sgseg_tiny_live", outputs: "sgseg_tiny_live_outputs", inference: inference, bias: "memory",
            pooling: 1, liveTextBias: true)
    }

    @Test(arguments: [SegmenterConfiguration.Inference.sliding, .whole])
    func catsegOpenAIBackbone(inference: SegmenterConfiguration.Inference) throws {
        try check(checkpoint: "catseg_tiny", outputs: "catseg_tiny_outputs", inference: inference, bias: "none", pooling: 1)
    }

    @Test(arguments: [SegmenterConfiguration.Inference.sliding, .whole])
    func frozenCompensationVariant(inference: SegmenterConfiguration.Inference) throws {
        try check(
            checkpoint: "sgseg_tiny_frozen", outputs: "sgseg_tiny_frozen_outputs", inference: inference, bias: "memory",
            pooling: 1, frozenCompensation: true)
    }

    @Test func frozenCompensationNeedsItsMetadata() throws {
        #expect(throws: SegmenterError.self) {
            try SoftGuidedSegmenter(file: try fixture("sgseg_tiny"), options: SegmenterOptions(frozenCompensation: true))
        }
    }

    @Test func configurationIsReadFromTheCheckpoint() throws {
        let segmenter = try SoftGuidedSegmenter(file: try fixture("sgseg_tiny"))
        #expect(segmenter.configuration.backbone == .eva02)
        #expect(segmenter.configuration.bias == .memory)
        #expect(segmenter.configuration.dense == .csaL2)
        #expect(segmenter.guidanceLayers == [0, 1])
        #expect(segmenter.shortestEdge == nil, "a tiny geometry implies no 640 resize")
        let catseg = try SoftGuidedSegmenter(file: try fixture("catseg_tiny"))
        #expect(catseg.configuration.backbone == .openai)
        #expect(catseg.configuration.bias == SegmenterConfiguration.Bias.none)
        #expect(catseg.configuration.architecture == "catseg")
    }
}

/// The reproducible arithmetic end to end: every GEMM kernel this CPU can run (the AVX-512,
/// AVX2 and portable ones, as other machines would pick them) and 1 or 3 threads give the same
/// probabilities bit for bit, for an SGSeg (EVA02) and a CAT-Seg (OpenAI CLIP) model. Nothing
/// else in the pipeline may depend on the kernel either (docs/reproducibility.md).
@Suite("Reproducible arithmetic end to end", .serialized)
struct ReproducibleSegmentationTests {
    @Test(arguments: [("sgseg_tiny", "sgseg_tiny_outputs"), ("catseg_tiny", "catseg_tiny_outputs")])
    func everyKernelAndThreadCountGivesTheSameBits(model: (String, String)) throws {
        let kernel = BLAS.reproducibleKernel
        defer { BLAS.reproducibleKernel = kernel }
        #expect(BLAS.arithmetic == .reproducible)
        let outputs = try fixture(model.1)
        let segmenter = try SoftGuidedSegmenter(file: try fixture(model.0), options: SegmenterOptions(shortestEdge: .none))
        let image = try fixtureImage(outputs)
        var runs: [(String, [UInt32], [Int32])] = []
        for candidate in BLAS.ReproducibleKernel.allCases where candidate.isSupported {
            for count in [1, 3] {
                BLAS.reproducibleKernel = candidate
                let result = try BLAS.withSettings(threads: count) {
                    let text = try segmenter.textEmbeddings(tokenRows: try tokenRows(outputs), classes: 3)
                    return try segmenter.segment(image, text: text)
                }
                runs.append(("\(candidate), \(count) threads", result.probabilities.scalars.map(\.bitPattern), result.labels))
            }
        }
        #expect(runs.count >= 2)
        for run in runs.dropFirst() {
            #expect(run.1 == runs[0].1, "\(model.0): probabilities of \(run.0) differ from \(runs[0].0)")
            #expect(run.2 == runs[0].2, "\(model.0): labels of \(run.0) differ from \(runs[0].0)")
        }
    }
}
