import ParityTestSupport
import Foundation
import Testing
import SafeTensors
import Tensor
@testable import CLIP

/// Stand-in tokenizer for the tiny text model (vocabulary 300, BOS 298,
/// EOS 299): one id per Unicode scalar, zero padding to 77.
private struct TinyTokenizer: CLIPTextTokenizing {
    func tokenRow(_ text: String) -> [Int32] {
        let body = text.unicodeScalars.prefix(75).map { Int32($0.value % 297) + 1 }
        let row = [298] + body + [299]
        return row + [Int32](repeating: 0, count: 77 - row.count)
    }
}

@Suite("CLIP model, variants and prompts")
struct CLIPModelTests {
    @Test func supportedVariantsComeFromShapes() {
        #expect(CLIPVariant.matchingVision(width: 768, patch: 16, layers: 12, grid: 14) == .vitB16)
        #expect(CLIPVariant.matchingVision(width: 1024, patch: 14, layers: 24, grid: 24) == .vitL14At336)
        #expect(CLIPVariant.matchingVision(width: 1024, patch: 14, layers: 24, grid: 16) == .vitL14)
        #expect(CLIPVariant.matchingVision(width: 768, patch: 32, layers: 12, grid: 7) == nil)
        #expect(CLIPVariant.isSupportedText(width: 512, layers: 12))
        #expect(!CLIPVariant.isSupportedText(width: 16, layers: 2))
    }

    @Test func loadsTowersPresentInTheFile() throws {
        let vision = try CLIPModel(file: fixture("clip_tiny_vision"))
        #expect(vision.text == nil && vision.vision != nil && vision.variant == nil)
        let text = try CLIPModel(file: fixture("clip_tiny_text"))
        #expect(text.text != nil && text.vision == nil)
        #expect(throws: CLIPError.self) { try CLIPModel(file: fixture("clip_tiny_text"), prefix: "frozen.") }
    }

    /// A mis-shaped tensor is reported with its key and both shapes.
    @Test func misshapenTensorNamesKeyAndShapes() throws {
        let key = "vision_model.encoder.layers.1.mlp.fc1.weight"
        let bytes = try rebuiltSafeTensors(fixture("clip_tiny_vision"), edit: { name, shape, data in
            name == key ? ([36, 32], Array(data.prefix(36 * 32 * 4))) : (shape, data)
        })
        do {
            _ = try CLIPModel(file: SafeTensorsFile(bytes: bytes))
            Issue.record("misshapen fc1 accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains(key), "\(text)")
            #expect(text.contains("37, 32") && text.contains("36, 32"), "\(text)")
        }
    }

    @Test func promptNamesAndTemplates() {
        #expect(CLIPPrompts.promptName("road, parking lot") == "road")
        #expect(CLIPPrompts.promptName("low vegetation") == "low vegetation")
        #expect(CLIPPrompts.fill(CLIPPrompts.catSegTemplate, with: "building, roof") == "A photo of a building in the scene")
    }

    /// Class embeddings: every prompt of every class in one batch, normalised
    /// per template (§5.4), then averaged over templates and renormalised.
    @Test func classEmbeddingsAverageNormalisedTemplates() throws {
        let encoder = try CLIPTextEncoder(file: fixture("clip_tiny_text"))
        let tokenizer = TinyTokenizer()
        let classes = ["road, street", "tree", "low vegetation"]
        let templates = ["a photo of a {}.", "an aerial view of {}", "{}"]
        let perTemplate = try encoder.classTemplateEmbeddings(classNames: classes, templates: templates, tokenizer: tokenizer)
        #expect(perTemplate.shape == [3, 3, 12])
        let averaged = try encoder.classEmbeddings(classNames: classes, templates: templates, tokenizer: tokenizer)
        #expect(averaged.shape == [3, 12])
        for (c, name) in classes.enumerated() {
            let prompts = templates.map { CLIPPrompts.fill($0, with: name) }
            let single = try encoder.normalizedEmbeddings(tokenRows: prompts.map(tokenizer.tokenRow))
            var mean = [Float](repeating: 0, count: 12)
            for j in 0..<3 {
                for i in 0..<12 {
                    #expect(abs(perTemplate[c, j, i] - single[j, i]) <= 1e-6)
                    mean[i] += single[j, i] / 3
                }
            }
            let expected = try Tensor(shape: [1, 12], scalars: mean).l2Normalized()
            for i in 0..<12 { #expect(abs(averaged[c, i] - expected[0, i]) <= 1e-6) }
        }
        #expect(throws: CLIPError.self) {
            try encoder.classEmbeddings(classNames: classes, templates: ["no placeholder"], tokenizer: tokenizer)
        }
    }
}
