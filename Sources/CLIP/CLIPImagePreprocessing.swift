import Tensor

/// Pixel preparation of the dense CLIP pipelines (docs/segmentation-core.md §2.3,
/// §4.1): pixels stay in 0–255, are resized with `F.interpolate(bilinear,
/// align_corners=False)` without antialiasing, and normalised with the CLIP
/// mean/std scaled by 255 (CAT-Seg's `PIXEL_MEAN`/`PIXEL_STD`). Because the
/// bilinear weights sum to one, resizing before or after the per-channel
/// normalisation gives the same result up to rounding.
public enum CLIPImagePreprocessing {
    public static let pixelMean: [Float] = [122.7709383, 116.7460125, 104.09373615]
    public static let pixelStd: [Float] = [68.5005327, 66.6321579, 70.3231630]

    /// `[1, 3, height, width]` normalised pixels from interleaved 8-bit RGB
    /// (`rgb.count == 3·sourceWidth·sourceHeight`), resized when the target
    /// size differs from the source.
    public static func pixels(
        rgb: [UInt8], sourceWidth: Int, sourceHeight: Int, height: Int, width: Int
    ) throws(CLIPError) -> Tensor {
        guard sourceWidth > 0, sourceHeight > 0, rgb.count == 3 * sourceWidth * sourceHeight else {
            throw .invalidInput("expected \(sourceWidth)×\(sourceHeight) RGB pixels, got \(rgb.count) samples")
        }
        guard height > 0, width > 0 else { throw .invalidInput("target size \(height)×\(width) must be positive") }
        let plane = sourceWidth * sourceHeight
        var planar = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for c in 0..<3 { planar[c * plane + i] = (Float(rgb[3 * i + c]) - pixelMean[c]) / pixelStd[c] }
        }
        do {
            let image = try Tensor(shape: [1, 3, sourceHeight, sourceWidth], scalars: planar)
            if sourceHeight == height && sourceWidth == width { return image }
            return try image.resized(to: .size(height: height, width: width), mode: .bilinear, alignCorners: false)
        } catch {
            throw .computation(error)
        }
    }
}
