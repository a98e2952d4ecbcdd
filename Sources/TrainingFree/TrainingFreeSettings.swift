import CLIP
import Tensor

/// Why the training-free segmenter could not be built or run.
public enum TrainingFreeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A setting is out of range (the setting and value are named).
    case invalidSettings(String)
    /// No classes, a class without a query name, or no templates.
    case emptyVocabulary(String)
    /// The query embeddings do not fit the model or the class mapping.
    case invalidQueries(String)
    /// The image buffer does not match its stated size.
    case invalidImage(String)
    /// The checkpoint lacks a tower, or an encoder failed.
    case model(CLIPError)

    /// Maps an error from the encoders or tensor operations to this type.
    static func wrapping(_ error: any Error) -> TrainingFreeError {
        switch error {
        case let error as TrainingFreeError: error
        case let error as CLIPError: .model(error)
        case let error as TensorError: .model(.computation(error))
        default: .model(.invalidInput("\(error)"))
        }
    }

    public var description: String {
        switch self {
        case .invalidSettings(let detail): return "invalid training-free settings: \(detail)"
        case .emptyVocabulary(let detail): return "empty vocabulary: \(detail)"
        case .invalidQueries(let detail): return "invalid class queries: \(detail)"
        case .invalidImage(let detail): return "invalid image: \(detail)"
        case .model(let error): return error.description
        }
    }
}

/// Parameters of the training-free mode (docs/segmentation-core.md §5.1). The
/// defaults are SegEarth-OV's base configuration without SimFeatUp: long side
/// 448, 224 crops every 112 pixels, SegEarth attention without residual, DINO
/// position interpolation, λ = −0.3, logit scale 50, no threshold.
public struct TrainingFreeSettings: Sendable, Equatable {
    /// The image is resized (keeping its aspect ratio, bilinear, no
    /// antialiasing) so its long side has this many pixels; nil keeps the size.
    public var longSide: Int?
    /// Side of the sliding windows on the resized image.
    public var crop: Int
    /// Step between window origins (at most `crop`, so every pixel is covered).
    public var stride: Int
    /// Weight λ of the global term: logits = cos(patch, q) + λ·cos(CLS, q).
    public var clsLambda: Float
    /// Factor applied to the cosine logits before the softmax over queries.
    public var logitScale: Float
    /// Pixels whose highest class probability is below this get `backgroundIndex`.
    public var probabilityThreshold: Float
    /// Label given to pixels under the threshold (0…65535; usually the
    /// vocabulary's background or clutter class).
    public var backgroundIndex: Int
    /// Last-block mode of the vision tower (`.segEarth`, `.sclip`,
    /// `.clearCLIP`, `.maskCLIP`; `.vanilla` or `.catSeg` for baselines).
    public var attention: CLIPDenseMode
    /// Keep the last block's residual and MLP around the replaced attention
    /// (SegEarth-OV `ignore_residual=False`); off by default.
    public var keepsResidual: Bool
    /// How position embeddings follow the window's patch grid.
    public var positionInterpolation: CLIPPositionInterpolation
    /// Per-channel mean and standard deviation of 0–255 RGB pixels
    /// (SegEarth-OV's `SegDataPreProcessor` values by default).
    public var pixelMean: [Float]
    public var pixelStd: [Float]

    public static let segEarthPixelMean: [Float] = [122.771, 116.746, 104.094]
    public static let segEarthPixelStd: [Float] = [68.501, 66.632, 70.323]

    public init(
        longSide: Int? = 448, crop: Int = 224, stride: Int = 112, clsLambda: Float = -0.3, logitScale: Float = 50,
        probabilityThreshold: Float = 0, backgroundIndex: Int = 0, attention: CLIPDenseMode = .segEarth,
        keepsResidual: Bool = false, positionInterpolation: CLIPPositionInterpolation = .dinoScaleFactor,
        pixelMean: [Float] = TrainingFreeSettings.segEarthPixelMean,
        pixelStd: [Float] = TrainingFreeSettings.segEarthPixelStd
    ) {
        self.longSide = longSide
        self.crop = crop
        self.stride = stride
        self.clsLambda = clsLambda
        self.logitScale = logitScale
        self.probabilityThreshold = probabilityThreshold
        self.backgroundIndex = backgroundIndex
        self.attention = attention
        self.keepsResidual = keepsResidual
        self.positionInterpolation = positionInterpolation
        self.pixelMean = pixelMean
        self.pixelStd = pixelStd
    }

    /// SegEarth-OV's per-dataset threshold and background class
    /// (`configs/cfg_*.py`, docs/segmentation-core.md §5.1 step 10) for the bundled
    /// vocabulary keys; the background index is the class id in our
    /// vocabulary file (the same class SegEarth-OV's `bg_idx` names).
    static let presets: [String: (threshold: Float, background: Int)] = [
        "potsdam": (0.1, 5), "vaihingen": (0.1, 5), "udd5": (0.4, 4), "loveda": (0.3, 0),
        "isaid": (0.4, 0), "openearthmap": (0.1, 0), "uavid": (0.3, 0), "vdd": (0.3, 0),
    ]

    /// Vocabulary keys that have a preset, sorted.
    public static var presetKeys: [String] { presets.keys.sorted() }

    /// The default settings with the dataset's threshold and background
    /// class, or nil for a vocabulary SegEarth-OV does not configure.
    public static func preset(vocabulary key: String) -> TrainingFreeSettings? {
        guard let entry = presets[key.lowercased()] else { return nil }
        return TrainingFreeSettings(probabilityThreshold: entry.threshold, backgroundIndex: entry.background)
    }

    /// Throws for values the pipeline cannot run with.
    public func validate() throws(TrainingFreeError) {
        if let longSide, longSide < 1 { throw .invalidSettings("longSide \(longSide) must be at least 1 (or nil)") }
        guard crop >= 1 else { throw .invalidSettings("crop \(crop) must be at least 1") }
        guard stride >= 1, stride <= crop else {
            throw .invalidSettings("stride \(stride) must be between 1 and the crop \(crop), or pixels are left uncovered")
        }
        guard clsLambda.isFinite, logitScale.isFinite, probabilityThreshold.isFinite else {
            throw .invalidSettings("clsLambda \(clsLambda), logitScale \(logitScale) and probabilityThreshold \(probabilityThreshold) must be finite")
        }
        guard (0...Int(UInt16.max)).contains(backgroundIndex) else {
            throw .invalidSettings("backgroundIndex \(backgroundIndex) must be within 0…65535")
        }
        guard pixelMean.count == 3, pixelStd.count == 3, pixelStd.allSatisfy({ $0 != 0 && $0.isFinite }),
              pixelMean.allSatisfy(\.isFinite) else {
            throw .invalidSettings("pixelMean \(pixelMean) and pixelStd \(pixelStd) need 3 finite values each, std non-zero")
        }
    }
}
