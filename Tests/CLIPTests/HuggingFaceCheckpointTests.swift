import ParityTestSupport
import Foundation
import Testing
import SafeTensors
import Tensor
@testable import CLIP

/// A fixture folder under `Fixtures/hf` (scripts/fixtures/make_hf_clip_fixtures.py).
private func hfFixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return url.appendingPathComponent("hf").appendingPathComponent(name).path
}

/// The script's pixels: `((7x + 13y + 29c + 31b) mod 23 − 11) / 8`, exact in float32.
private func formulaPixels(batch: Int, height: Int, width: Int) throws -> Tensor {
    var values: [Float] = []
    for b in 0..<batch {
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width { values.append(Float((7 * x + 13 * y + 29 * c + 31 * b) % 23 - 11) / 8) }
            }
        }
    }
    return try Tensor(shape: [batch, 3, height, width], scalars: values)
}

/// A fresh temporary folder holding copies of `files` (name in the folder ← source path).
private func scratchFolder(_ files: [String: String]) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-hfclip-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, source) in files {
        try FileManager.default.copyItem(atPath: source, toPath: folder.appendingPathComponent(name).path)
    }
    return folder.path
}

/// `config.json` of `folder` with `edit` applied to its JSON object.
private func editedConfig(_ folder: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/config.json"))
    var root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    edit(&root)
    return try JSONSerialization.data(withJSONObject: root)
}

/// Hugging Face folders (config.json + weights, single or sharded) against
/// transformers' outputs; tolerance: max |Δ| ≤ 1e-5·max |expected| + 1e-6.
@Suite("CLIP checkpoints as Hugging Face folders")
struct HuggingFaceCheckpointTests {
    let outputs: SafeTensorsFile
    init() throws { outputs = try SafeTensorsFile(path: try hfFixture("outputs.safetensors")) }

    func tokenRows(_ key: String) throws -> [[Int32]] {
        let ids = try outputs.tensor("ids.\(key)")
        let width = ids.shape[1]
        return (0..<ids.shape[0]).map { r in (0..<width).map { Int32(ids.scalars[r * width + $0]) } }
    }

    /// Text and image embeddings and the last encoder layer against transformers.
    func expectParity(_ model: CLIPModel, _ key: String, size: Int) throws {
        let text = try #require(model.text).encode(tokenRows: tokenRows(key))
        var errors: [Float] = []
        errors.append(expectClose(try #require(text.embeddings), try outputs.tensor("text.embeds.\(key)"), "\(key) text embeds"))
        let vision = try #require(model.vision)
        let result = try vision.encode(
            formulaPixels(batch: 2, height: size, width: size),
            request: CLIPVisionRequest(hiddenStates: [vision.configuration.layers]))
        errors.append(expectClose(try #require(result.embeddings), try outputs.tensor("image.embeds.\(key)"), "\(key) image embeds"))
        errors.append(expectClose(try #require(result.hiddenStates[vision.configuration.layers]),
                                  try outputs.tensor("image.last_hidden.\(key)"), "\(key) last hidden"))
        print("\(key): relative error text \(errors[0]), image \(errors[1]), last hidden \(errors[2])")
    }

    /// ViT-B/32's family at toy size: patch 32, head width 4, projection 16 (the
    /// sub-configs' `projection_dim` 512 is ignored, as in `CLIPModel`), F16 weights.
    @Test func patch32FolderMatchesTransformers() throws {
        let folder = try hfFixture("b32")
        let checkpoint = try CLIPCheckpoint(path: folder)
        #expect(checkpoint.configuration?.vision?.patchSize == 32)
        let model = try CLIPModel(checkpoint: checkpoint)
        let vision = try #require(model.vision).configuration
        #expect(vision.patchSize == 32 && vision.nativeGrid == 2 && vision.heads == 2 && vision.projectionSize == 16)
        #expect(vision.activation == .quickGELU && model.text?.configuration.heads == 4)
        try expectParity(model, "b32", size: 64)
        // The weights file itself finds its config.json too.
        let direct = try CLIPCheckpoint(path: folder + "/model.safetensors")
        #expect(direct.configuration == checkpoint.configuration)
        #expect(checkpoint.files.map { ($0 as NSString).lastPathComponent } == ["config.json", "model.safetensors"])
    }

    /// The OpenCLIP/LAION family: gelu, LayerNorm eps 1e-3, 4 and 6 heads, from
    /// a sharded folder (given as the folder and as the index), plus a 32×40
    /// input through the position-embedding interpolation.
    @Test func shardedGELUFolderMatchesTransformers() throws {
        let folder = try hfFixture("gelu_sharded")
        for path in [folder, folder + "/model.safetensors.index.json"] {
            let checkpoint = try CLIPCheckpoint(path: path)
            #expect(checkpoint.location.isSharded && checkpoint.file.shardFiles.count == 2)
            let model = try CLIPModel(checkpoint: checkpoint)
            let text = try #require(model.text).configuration, vision = try #require(model.vision).configuration
            #expect(text.activation == .gelu && vision.activation == .gelu)
            #expect(text.heads == 6 && vision.heads == 4 && text.layerNormEpsilon == 1e-3 && vision.layerNormEpsilon == 1e-3)
            try expectParity(model, "gelu", size: 24)
            let interp = try #require(model.vision).encode(formulaPixels(batch: 2, height: 32, width: 40))
            #expect(interp.grid.rows == 4 && interp.grid.columns == 5)
            let error = expectClose(try #require(interp.embeddings), try outputs.tensor("image.embeds.gelu.interp"), "gelu 32×40")
            print("gelu 32×40: relative error \(error)")
        }
        #expect(try CLIPCheckpoint(path: folder).files.count == 4)  // config, index, two shards
    }

    /// The parity above can fail: QuickGELU or the default epsilon on the gelu
    /// model move the embeddings far outside the tolerance.
    @Test func activationAndEpsilonMatter() throws {
        let checkpoint = try CLIPCheckpoint(path: try hfFixture("gelu_sharded"))
        let settings = try #require(checkpoint.configuration?.text)
        let expected = try outputs.tensor("text.embeds.gelu")
        var quick = settings
        quick.activation = .quickGELU
        var epsilon = settings
        epsilon.layerNormEpsilon = 1e-5
        for changed in [quick, epsilon] {
            let encoder = try CLIPTextEncoder(file: checkpoint.file, options: CLIPTextLoadOptions(configuration: changed))
            let embeds = try #require(try encoder.encode(tokenRows: tokenRows("gelu")).embeddings)
            let (worst, scale) = deviation(embeds, expected)
            #expect(worst > 1e-3 * scale, "\(changed.activation) eps \(changed.layerNormEpsilon): max |Δ| \(worst)")
        }
    }

    /// Without config.json a non-OpenAI file must state its heads and
    /// activation in metadata; heads alone are not enough.
    @Test func loneFileMustStateWhatShapesCannotTell() throws {
        let folder = try hfFixture("b32")
        let lone = try scratchFolder(["weights.safetensors": folder + "/model.safetensors"])
        defer { try? FileManager.default.removeItem(atPath: lone) }
        let checkpoint = try CLIPCheckpoint(path: lone + "/weights.safetensors")
        #expect(checkpoint.configuration == nil)
        #expect(throws: CLIPError.self) { try CLIPModel(checkpoint: checkpoint) }
        let headsOnly = try rebuiltSafeTensors(checkpoint.file, metadata: [
            CheckpointMetadataKey.CLIP.textHeads: "4", CheckpointMetadataKey.CLIP.visionHeads: "2"])
        do {
            _ = try CLIPModel(file: SafeTensorsFile(bytes: headsOnly))
            Issue.record("a file without any stated activation loaded")
        } catch {
            #expect("\(error)".contains("activation is stated nowhere"), "\(error)")
            #expect("\(error)".contains(CheckpointMetadataKey.CLIP.hiddenActivation), "\(error)")
        }
        let declared = try rebuiltSafeTensors(checkpoint.file, metadata: [
            CheckpointMetadataKey.CLIP.textHeads: "4", CheckpointMetadataKey.CLIP.visionHeads: "2", CheckpointMetadataKey.CLIP.hiddenActivation: "quick_gelu"])
        try expectParity(try CLIPModel(file: SafeTensorsFile(bytes: declared)), "b32", size: 64)
    }

    /// A config.json that contradicts the tensors (or the metadata), or states
    /// an unsupported value, is an error naming the file and the key.
    @Test func contradictingConfigNamesFileAndKey() throws {
        let source = try hfFixture("b32")
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("vision_config.patch_size", { root in
                var vision = root["vision_config"] as? [String: Any] ?? [:]
                vision["patch_size"] = 16
                root["vision_config"] = vision
            }),
            ("text_config.hidden_size", { root in
                var text = root["text_config"] as? [String: Any] ?? [:]
                text["hidden_size"] = 32
                root["text_config"] = text
            }),
            ("projection_dim", { root in root["projection_dim"] = 12 }),
            ("vision_config.image_size", { root in
                var vision = root["vision_config"] as? [String: Any] ?? [:]
                vision["image_size"] = 224
                root["vision_config"] = vision
            }),
            ("text_config.hidden_act", { root in
                var text = root["text_config"] as? [String: Any] ?? [:]
                text["hidden_act"] = "gelu_new"
                root["text_config"] = text
            }),
            ("model_type", { root in root["model_type"] = "siglip" }),
        ]
        for (key, edit) in cases {
            let folder = try scratchFolder(["model.safetensors": source + "/model.safetensors"])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try editedConfig(source, edit).write(to: URL(fileURLWithPath: folder + "/config.json"))
            do {
                _ = try CLIPModel(checkpoint: CLIPCheckpoint(path: folder))
                Issue.record("config contradicting \(key) accepted")
            } catch {
                #expect("\(error)".contains(folder + "/config.json: \(key) "), "\(error)")
            }
        }
        // Metadata beside a config must agree with it.
        let config = try CLIPHubConfiguration(path: source + "/config.json")
        let file = try SafeTensorsFile(path: source + "/model.safetensors")
        let gelu = try SafeTensorsFile(bytes: rebuiltSafeTensors(file, metadata: [CheckpointMetadataKey.CLIP.hiddenActivation: "gelu"]))
        do {
            _ = try CLIPModel(file: gelu, configuration: config)
            Issue.record("metadata contradicting config.json accepted")
        } catch {
            #expect("\(error)".contains("config.json: text_config.hidden_act says quick_gelu"), "\(error)")
        }
    }

    /// transformers' defaults fill keys a config.json leaves out.
    @Test func absentConfigKeysTakeTransformersDefaults() throws {
        let config = try CLIPHubConfiguration(root: ["model_type": "clip"], file: "config.json")
        let text = try #require(config.text), vision = try #require(config.vision)
        #expect(text.activation == .quickGELU && vision.activation == .quickGELU)
        #expect([text.width, text.heads, text.layers, text.intermediateSize, text.vocabularySize, text.maxPositions]
                    == [512, 8, 12, 2048, 49408, 77])
        #expect([vision.width, vision.heads, vision.patchSize, vision.imageSize, vision.intermediateSize]
                    == [768, 12, 32, 224, 3072])
        #expect(text.projectionSize == 512 && text.layerNormEpsilon == 1e-5)
        let legacy = try CLIPHubConfiguration(
            root: ["text_config": ["hidden_act": "quick_gelu"], "text_config_dict": ["hidden_act": "gelu"]], file: "c.json")
        #expect(legacy.text?.activation == .gelu)
    }

    /// Configurations as the hub has them: OpenAI's ViT-B/32 (legacy `*_config_dict` entries) and
    /// LAION's ViT-H/14 (gelu, 16 heads of width 80: width / 64 would be wrong).
    @Test func hubConfigurationsOfOtherSizes() throws {
        let openAI = try CLIPHubConfiguration(root: [
            "model_type": "clip", "projection_dim": 512,
            "text_config_dict": ["hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8,
                                 "num_hidden_layers": 12, "hidden_act": "quick_gelu"],
            "vision_config_dict": ["hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                                   "num_hidden_layers": 12, "patch_size": 32, "image_size": 224, "hidden_act": "quick_gelu"],
        ], file: "clip-vit-base-patch32/config.json")
        #expect(openAI.vision?.patchSize == 32 && openAI.vision?.activation == .quickGELU && openAI.text?.heads == 8)
        let laion = try CLIPHubConfiguration(root: [
            "model_type": "clip", "projection_dim": 1024,
            "text_config": ["hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16,
                            "num_hidden_layers": 24, "hidden_act": "gelu", "layer_norm_eps": 1e-05],
            "vision_config": ["hidden_size": 1280, "intermediate_size": 5120, "num_attention_heads": 16,
                              "num_hidden_layers": 32, "patch_size": 14, "image_size": 224, "hidden_act": "gelu",
                              "layer_norm_eps": 1e-05],
        ], file: "CLIP-ViT-H-14-laion2B-s32B-b79K/config.json")
        #expect(laion.vision?.heads == 16 && laion.vision?.width == 1280 && laion.vision?.activation == .gelu)
        #expect(laion.text?.activation == .gelu && laion.text?.projectionSize == 1024)
    }

    /// Only towers of exactly an OpenAI shape may load without config.json or metadata.
    @Test func exactOpenAIShapes() {
        #expect(CLIPVariant.isOpenAIText(width: 512, layers: 12, intermediate: 2048, vocabulary: 49408, positions: 77, projection: 512))
        #expect(CLIPVariant.isOpenAIText(width: 768, layers: 12, intermediate: 3072, vocabulary: 49408, positions: 77, projection: nil))
        #expect(!CLIPVariant.isOpenAIText(width: 768, layers: 12, intermediate: 3072, vocabulary: 49408, positions: 77, projection: 512))
        #expect(!CLIPVariant.isOpenAIText(width: 1024, layers: 24, intermediate: 4096, vocabulary: 49408, positions: 77, projection: 1024))
        #expect(!CLIPVariant.isOpenAIText(width: 512, layers: 12, intermediate: 2048, vocabulary: 300, positions: 77, projection: 512))
        #expect(CLIPVariant.vitB16.isOpenAIVision(intermediate: 3072, projection: 512))
        #expect(!CLIPVariant.vitB16.isOpenAIVision(intermediate: 3072, projection: 768))
        #expect(CLIPVariant.matchingVision(width: 768, patch: 32, layers: 12, grid: 7) == nil)  // B/32: needs its config
        #expect(CLIPVariant.matchingVision(width: 1280, patch: 14, layers: 32, grid: 16) == nil)  // H/14
    }

    /// A broken shard index is an error naming the index and the key.
    @Test func brokenShardIndexNamesTheKey() throws {
        let source = try hfFixture("gelu_sharded")
        let names = try FileManager.default.contentsOfDirectory(atPath: source)
        let folder = try scratchFolder(Dictionary(uniqueKeysWithValues: names.map { ($0, source + "/" + $0) }))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let index = folder + "/model.safetensors.index.json"
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: index))) as? [String: Any])
        var map = try #require(root["weight_map"] as? [String: String])
        let key = "logit_scale"
        let owner = try #require(map[key])
        map[key] = try #require(Set(map.values).first { $0 != owner })
        root["weight_map"] = map
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: index))
        do {
            _ = try CLIPCheckpoint(path: folder)
            Issue.record("index naming the wrong shard accepted")
        } catch {
            #expect("\(error)".contains(index) && "\(error)".contains("weight_map.\(key)"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: folder + "/" + owner)
        #expect(throws: CLIPError.self) { try CLIPCheckpoint(path: folder) }
    }

    /// A folder without weights is refused with a message saying what it lacks.
    @Test func folderWithoutWeightsIsRefused() throws {
        let folder = try scratchFolder(["config.json": try hfFixture("b32") + "/config.json"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            _ = try CLIPCheckpoint(path: folder)
            Issue.record("folder without weights accepted")
        } catch {
            #expect("\(error)".contains("model.safetensors.index.json"), "\(error)")
        }
    }
}
