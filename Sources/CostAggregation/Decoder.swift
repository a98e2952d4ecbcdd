import Tensor

/// One upsampling decoder stage (`decoder{1,2}`, CAT-Seg `Up` + `DoubleConv`,
/// docs/segmentation-core.md §4.8): transposed conv (k2 s2) to `in − g` channels,
/// concatenation of the image's projected guidance (`g` channels, the same for
/// every class map of an image), then (Conv3×3 without bias → GroupNorm(out/16)
/// → ReLU) twice. Channel-last throughout; the transposed convolution writes
/// straight into the first `in − g` channels of the concatenated buffer.
struct DecoderStage: Sendable {
    let up: ChannelLastUpsampling
    let conv1: ChannelLastConvolution
    let norm1: GroupNormReLU
    let conv2: ChannelLastConvolution
    let norm2: GroupNormReLU

    /// `x` = `[maps·h·w, in]` with the maps of image `b` at
    /// `b·classes ..< (b+1)·classes`; `guidance` = `[images·2h·2w, g]`.
    /// Returns `[maps·2h·2w, out]`.
    func apply(_ x: Tensor, maps: Int, classes: Int, height: Int, width: Int, guidance: Tensor) throws(TensorError) -> Tensor {
        let channels = conv1.inputs
        let upChannels = up.outputs
        let guidanceChannels = channels - upChannels
        let outPixels = 4 * height * width
        var concatenated = [Float](repeating: 0, count: maps * outPixels * channels)
        try up.apply(x, maps: maps, height: height, width: width, into: &concatenated, stride: channels)
        guidance.withUnsafeBufferPointer { g in
            concatenated.withUnsafeMutableBufferPointer { dst in
                for map in 0..<maps {
                    let image = map / classes
                    for pixel in 0..<outPixels {
                        (dst.baseAddress! + (map * outPixels + pixel) * channels + upChannels)
                            .update(from: g.baseAddress! + (image * outPixels + pixel) * guidanceChannels, count: guidanceChannels)
                    }
                }
            }
        }
        let input = try Tensor(shape: [maps * outPixels, channels], scalars: concatenated)
        var y = try conv1.apply(input, maps: maps, height: 2 * height, width: 2 * width)
        norm1.apply(&y, maps: maps, pixels: outPixels)
        y = try conv2.apply(y, maps: maps, height: 2 * height, width: 2 * width)
        norm2.apply(&y, maps: maps, pixels: outPixels)
        return y
    }
}
