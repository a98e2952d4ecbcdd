/// The GeoTIFF georeferencing tags of a label file, kept as stored: ovseg does not interpret them
/// (labels are compared pixel by pixel), it records them so a results file says where each
/// image lies (docs/results-file.md §2.11). Each field is nil when its tag is absent.
public struct Georeferencing: Sendable, Equatable {
    /// ModelPixelScaleTag (33550): ScaleX, ScaleY, ScaleZ.
    public var modelPixelScale: [Double]?
    /// ModelTiepointTag (33922): (I, J, K, X, Y, Z) tuples.
    public var modelTiepoint: [Double]?
    /// ModelTransformationTag (34264): a 4×4 matrix, row-major.
    public var modelTransformation: [Double]?
    /// GeoKeyDirectoryTag (34735): the key directory's SHORT values.
    public var geoKeys: [Int]?
    /// GeoDoubleParamsTag (34736).
    public var geoDoubleParams: [Double]?
    /// GeoAsciiParamsTag (34737).
    public var geoASCIIParams: String?

    public init(
        modelPixelScale: [Double]? = nil, modelTiepoint: [Double]? = nil, modelTransformation: [Double]? = nil,
        geoKeys: [Int]? = nil, geoDoubleParams: [Double]? = nil, geoASCIIParams: String? = nil
    ) {
        self.modelPixelScale = modelPixelScale
        self.modelTiepoint = modelTiepoint
        self.modelTransformation = modelTransformation
        self.geoKeys = geoKeys
        self.geoDoubleParams = geoDoubleParams
        self.geoASCIIParams = geoASCIIParams
    }

    /// Tag numbers, as assigned by the GeoTIFF specification.
    enum Tag {
        static let modelPixelScale: UInt32 = 33550
        static let modelTiepoint: UInt32 = 33922
        static let modelTransformation: UInt32 = 34264
        static let geoKeyDirectory: UInt32 = 34735
        static let geoDoubleParams: UInt32 = 34736
        static let geoASCIIParams: UInt32 = 34737
    }

    /// True when no tag is present.
    public var isEmpty: Bool {
        modelPixelScale == nil && modelTiepoint == nil && modelTransformation == nil && geoKeys == nil
            && geoDoubleParams == nil && geoASCIIParams == nil
    }
}
