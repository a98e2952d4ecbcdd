import Harness
import LabelMaps
import Segmenter
import Tensor

/// Hands each image to an SGSeg/CAT-Seg segmenter and, with a frozen checkpoint, measures feature drift.
struct SegmenterPredictor: ImagePredictor {
    let segmenter: SoftGuidedSegmenter
    let text: Tensor
    var drift: DriftMeter?

    mutating func predict(_ request: PredictionRequest) throws -> LabelMap {
        let image = try request.readImage()
        let result = try segmenter.segment(image, text: text)
        try drift?.measure(request, segmentation: result)
        return LabelMap(width: result.width, height: result.height, values: result.labels.map { UInt16(clamping: $0) })
    }
}

extension PredictionRequest {
    /// The request's RGB image; it must have the size of its ground truth.
    func readImage() throws -> RGBImage {
        let image = try RGBImage.read(path: imagePath)
        guard image.width == width, image.height == height else {
            throw HarnessError(.sizeMismatch, file: imagePath,
                "size mismatch for image \(id): \(imagePath) is \(image.width)×\(image.height), "
                    + "its ground truth is \(width)×\(height)")
        }
        return image
    }
}

extension SoftGuidedSegmenter {
    /// The inference settings recorded in the results file's provenance.
    var provenanceConfiguration: [(String, String)] {
        let c = configuration
        var items: [(String, String)] = [
            ("architecture", c.architecture), ("backbone", c.backbone.rawValue), ("dense", c.dense.rawValue),
            ("bias", head.configuration.bias.rawValue == c.bias.rawValue
                ? c.bias.rawValue : "none (the checkpoint's scene bias switched off: ablation)"), ("clip_input", String(inputSize)),
            ("guidance_layers", guidanceLayers.map(String.init).joined(separator: ",")),
            ("inference", options.inference.rawValue), ("pooling", String(options.pooling)),
            ("templates", templates.joined(separator: " | ")),
            ("shortest_edge", shortestEdge.map(String.init) ?? "none"), ("max_size", String(c.maximumSize)),
            ("output", "per-class sigmoid, argmax"),
        ]
        if options.inference == .sliding {
            items += [
                ("out_res", String(c.outputResolution)), ("window", String(c.window)), ("stride", String(c.stride)),
                ("global_view", "true"),
            ]
        } else {
            items.append(("size_divisibility", String(c.sizeDivisibility)))
        }
        var variants: [String] = []
        if options.frozenCompensation, let alpha = c.frozenAlpha {
            variants.append("frozen compensation (feature_add, alpha \(alpha))")
        }
        if head.configuration.liveTextBias {
            variants.append("live bias-guided text (feature_fusion_layer)")
        }
        if !variants.isEmpty {
            items.append(("variant", variants.joined(separator: "; ") + "; not in the released model"))
        }
        return items
    }
}
