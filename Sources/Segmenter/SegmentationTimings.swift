/// Wall-clock seconds of the stages of one `SoftGuidedSegmenter.segment` call: where an image's
/// time goes, for profiling and for the benchmark against the PyTorch reference.
public struct SegmentationTimings: Sendable, Equatable {
    /// Shortest-edge resize, window cutting (or padding), normalisation, resize to the CLIP input.
    public var preprocessing: Double = 0
    /// The vision tower's dense pass over every view, with its guidance taps (and the frozen tower
    /// with frozen compensation).
    public var backbone: Double = 0
    /// The head: tap upsampling, cost volume, spatial and class aggregation, decoder.
    public var head: Double = 0
    /// Sigmoid, window upsampling and combination (or crop), final resize and argmax.
    public var postprocessing: Double = 0

    public init() {}

    public var total: Double { preprocessing + backbone + head + postprocessing }
}

/// Measures consecutive stages with one monotonic clock.
struct StageClock {
    private var last = ContinuousClock.now

    /// Seconds since the previous lap (or since the clock was made).
    mutating func lap() -> Double {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
