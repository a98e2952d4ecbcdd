import SafeTensors
import Tensor

/// The cost-aggregation head shared by CAT-Seg and SGSeg: cosine cost volume
/// between the dense image features and the class embeddings, `conv1`
/// embedding, `layers` × (guided Swin pair → class linear attention), and the
/// two-stage upsampling decoder guided by the two intermediate backbone taps
/// (`upsample1/2`), giving per-class logits at 4× the feature resolution
/// (docs/sgseg-released.md §3–§5, §7.2 steps 0 and 5–10; docs/segmentation-core.md
/// §4.5–§4.8).
///
/// With `bias == .memory` (SGSeg) the constant scene-bias maps G0/G1/G2 are
/// added to the three guidances; they depend only on the checkpoint and are
/// computed once at load. The cost volume always uses the unbiased text, as
/// the released model does. Internally every activation is channel-last
/// (rows = pixels of all `images × classes` maps), so each linear layer and
/// convolution is one GEMM over the whole batch.
public struct CostAggregationHead: Sendable {
    /// Sizes and options read from the checkpoint.
    public let configuration: CostAggregationConfiguration

    let layers: [AggregatorLayer]
    let conv1: ChannelLastConvolution
    let appearanceProjection: ChannelLastConvolution
    let textProjection: Affine
    let decoderGuidance: [ChannelLastConvolution]
    let decoders: [DecoderStage]
    let head: ChannelLastConvolution
    let upsamplers: [ChannelLastUpsampling]
    let sceneBias: SceneBias?
    let liveText: LiveTextBias?

    /// Reads a head from a checkpoint in the repository's own names
    /// (`<prefix>layers.{i}.…`, `conv1`, `guidance_projection.0`, …, and for
    /// SGSeg `projection{1,2}.0`, `memory.memory`, `memory.linear.0`) plus the
    /// top-level `<upsamplePrefix>upsample{1,2}.{weight,bias}`.
    ///
    /// Sizes come from tensor shapes; heads, window and class padding length
    /// from `sgseg.aggregator.{heads,window,pad_len}` (defaults 4, 12, 256);
    /// the bias kind from `sgseg.bias` when present, otherwise from the
    /// presence of `memory.memory`/`projection1`. Extra keys of the released
    /// checkpoints (`memory.text`, `*.attn_mask`, `feature_fusion_layer.*`)
    /// are ignored.
    ///
    /// - Parameters:
    ///   - liveTextBias: run the paper-described text bias (`feature_fusion_layer.*`,
    ///     NOT in the released model; see `LiveTextBias`). Requires its keys.
    ///   - featureResolution: the dense-map size whose scene-bias maps are
    ///     precomputed (24 for the released models; other sizes are computed per call).
    ///   - sceneBias: `false` runs an SGSeg head without its scene bias (the paper's ablation:
    ///     the memory and bias projections are ignored, as `sgseg.bias = none` would).
    /// - Throws: `CostAggregationError.checkpoint` naming a missing key or a
    ///   key with its expected and actual shapes; `.invalidMetadata` for an
    ///   unknown `sgseg.bias` or a non-integer size; `.unsupportedConfiguration`
    ///   for inconsistent sizes.
    public init(
        file: SafeTensorsFile, prefix: String = "sem_seg_head.predictor.transformer.", upsamplePrefix: String = "",
        liveTextBias: Bool = false, featureResolution: Int = 24, sceneBias: Bool = true
    ) throws(CostAggregationError) {
        let reader = WeightReader(file: file, prefix: prefix)
        let top = WeightReader(file: file, prefix: upsamplePrefix)
        let cfg = try CostAggregationConfiguration.read(
            from: reader, upsample: top, liveTextBias: liveTextBias, sceneBias: sceneBias)
        guard featureResolution > 0 else {
            throw .invalidInput("feature resolution \(featureResolution) must be positive")
        }
        let (c, e) = (cfg.hidden, cfg.embedDim)
        let (ca, ct) = (cfg.appearanceGuidance, cfg.textGuidance)

        func affine(_ key: String, _ out: Int, _ inputs: Int? = nil) throws(CostAggregationError) -> Affine {
            let weight = try reader.tensor(key + ".weight", inputs.map { [out, $0] } ?? [out])
            return (weight, try reader.tensor(key + ".bias", [out]))
        }
        /// q, k (reading `[x, guidance]`) and v (reading `x`) split and stacked.
        func attention(_ base: String, guidance: Int) throws(CostAggregationError) -> (Affine, Tensor) {
            let q = try affine(base + ".q", c, c + guidance)
            let k = try affine(base + ".k", c, c + guidance)
            let v = try affine(base + ".v", c, c)
            var stacked = [Float](), guidanceRows = [Float]()
            stacked.reserveCapacity(3 * c * c)
            guidanceRows.reserveCapacity(2 * c * guidance)
            for m in [q.weight, k.weight] {
                for row in 0..<c {
                    stacked += m.scalars[(row * (c + guidance))..<(row * (c + guidance) + c)]
                    guidanceRows += m.scalars[(row * (c + guidance) + c)..<((row + 1) * (c + guidance))]
                }
            }
            stacked += v.weight.scalars
            do {
                let weight = try Tensor(shape: [3 * c, c], scalars: stacked)
                let bias = try Tensor(shape: [3 * c], scalars: q.bias.scalars + k.bias.scalars + v.bias.scalars)
                return ((weight, bias), try Tensor(shape: [2 * c, guidance], scalars: guidanceRows))
            } catch {
                throw .computation(error)
            }
        }
        func mlp(_ first: String, _ second: String) throws(CostAggregationError) -> (Affine, Affine) {
            let hiddenShape = try reader.shape(first + ".weight", rank: 2)
            guard hiddenShape[1] == c else {
                throw .checkpoint(SafeTensorsError(file: file.file, problem: .unexpectedShape(
                    key: prefix + first + ".weight", expected: [hiddenShape[0], c], actual: hiddenShape)))
            }
            return (try affine(first, hiddenShape[0], c), try affine(second, c, hiddenShape[0]))
        }
        func conv(_ key: String, _ out: Int, _ inputs: Int, _ kernel: Int, bias: Bool = true)
            throws(CostAggregationError) -> ChannelLastConvolution {
            let weight = try reader.tensor(key + ".weight", [out, inputs, kernel, kernel])
            return ChannelLastConvolution(pytorchWeight: weight, bias: bias ? try reader.tensor(key + ".bias", [out]) : nil)
        }
        func groupNorm(_ key: String, _ channels: Int) throws(CostAggregationError) -> GroupNormReLU {
            let groups = channels / 16
            guard groups > 0, channels % groups == 0 else {
                throw .unsupportedConfiguration("\(prefix)\(key): GroupNorm(\(channels)/16, \(channels)) is not a valid split")
            }
            let (w, b) = try affine(key, channels)
            return GroupNormReLU(groups: groups, weight: w.scalars, bias: b.scalars)
        }

        var layers: [AggregatorLayer] = []
        for i in 0..<cfg.layers {
            func block(_ n: Int) throws(CostAggregationError) -> SwinBlock {
                let base = "layers.\(i).swin_block.block_\(n)"
                let (qkv, guidanceQK) = try attention(base + ".attn", guidance: ca)
                let (fc1, fc2) = try mlp(base + ".mlp.fc1", base + ".mlp.fc2")
                return SwinBlock(norm1: try affine(base + ".norm1", c), qkv: qkv, guidanceQK: guidanceQK,
                                 projection: try affine(base + ".attn.proj", c, c), norm2: try affine(base + ".norm2", c),
                                 fc1: fc1, fc2: fc2)
            }
            let swin = SwinPair(guidanceNorm: try affine("layers.\(i).swin_block.guidance_norm", ca),
                                first: try block(1), second: try block(2))
            let base = "layers.\(i).attention"
            let (qkv, guidanceQK) = try attention(base + ".attention", guidance: ct)
            let (mlpIn, mlpOut) = try mlp(base + ".MLP.0", base + ".MLP.2")
            let padded = cfg.padLength > 0
            let classLayer = ClassLayer(
                norm1: try affine(base + ".norm1", c), qkv: qkv, guidanceQK: guidanceQK, mlpIn: mlpIn, mlpOut: mlpOut,
                norm2: try affine(base + ".norm2", c),
                paddingToken: padded ? try reader.tensor(base + ".padding_tokens", [1, 1, c]) : nil,
                paddingGuidance: padded ? try reader.tensor(base + ".padding_guidance", [1, 1, ct]) : nil)
            layers.append(AggregatorLayer(swin: swin, classes: classLayer))
        }

        let (g0, g1) = (cfg.decoderGuidanceDims[0], cfg.decoderGuidanceDims[1])
        let (p0, p1) = (cfg.decoderGuidanceProjectionDims[0], cfg.decoderGuidanceProjectionDims[1])
        let (d0, d1) = (cfg.decoderDims[0], cfg.decoderDims[1])
        guard c > p0, d0 > p1 else {
            throw .unsupportedConfiguration("decoder inputs \(c) and \(d0) must exceed their guidance widths \(p0) and \(p1)")
        }
        func decoder(_ n: Int, inputs: Int, guidance: Int, out: Int) throws(CostAggregationError) -> DecoderStage {
            let base = "decoder\(n)"
            let up = ChannelLastUpsampling(
                pytorchWeight: try reader.tensor(base + ".up.weight", [inputs, inputs - guidance, 2, 2]),
                bias: try reader.tensor(base + ".up.bias", [inputs - guidance]))
            return DecoderStage(
                up: up, conv1: try conv(base + ".conv.double_conv.0", out, inputs, 3, bias: false),
                norm1: try groupNorm(base + ".conv.double_conv.1", out),
                conv2: try conv(base + ".conv.double_conv.3", out, out, 3, bias: false),
                norm2: try groupNorm(base + ".conv.double_conv.4", out))
        }
        func upsampler(_ n: Int, out: Int, kernel: Int) throws(CostAggregationError) -> ChannelLastUpsampling {
            ChannelLastUpsampling(
                pytorchWeight: try top.tensor("upsample\(n).weight", [cfg.tapWidth, out, kernel, kernel]),
                bias: try top.tensor("upsample\(n).bias", [out]))
        }

        var sceneBias: SceneBias? = nil
        var liveText: LiveTextBias? = nil
        if cfg.bias == .memory {
            let memory = try reader.scalars("memory.memory", [cfg.memoryRows, 1, e])
            let scorer = try affine("memory.linear.0", 1, e)
            let bias = SceneBias(
                memory: memory, rows: cfg.memoryRows, width: e, scorer: scorer.weight.scalars,
                scorerBias: scorer.bias.scalars[0],
                projection1: try reader.tensor("projection1.0.weight", [g0, e, 3, 3]),
                bias1: try reader.tensor("projection1.0.bias", [g0]),
                projection2: try reader.tensor("projection2.0.weight", [g1, e, 3, 3]),
                bias2: try reader.tensor("projection2.0.bias", [g1]),
                resolution: featureResolution)
            sceneBias = bias
            if liveTextBias {
                let base = "feature_fusion_layer."
                let inner = try reader.shape(base + "attn.values_v_proj.weight", rank: 2)[0]
                let imageNorm = try affine(base + "layer_norm_v", e), textNorm = try affine(base + "layer_norm_l", e)
                let values = try affine(base + "attn.values_v_proj", inner, e)
                let output = try affine(base + "attn.out_l_proj", e, inner)
                let gamma = try reader.tensor(base + "gamma_l", [e])
                do {
                    liveText = try LiveTextBias(imageNorm: imageNorm, textNorm: textNorm, valueProjection: values,
                                                outputProjection: output, gamma: gamma, memoryVector: bias.memoryVector)
                } catch {
                    throw .computation(error)
                }
            }
        }

        self.configuration = cfg
        self.layers = layers
        self.conv1 = try conv("conv1", c, cfg.prompts, 7)
        self.appearanceProjection = try conv("guidance_projection.0", ca, e, 3)
        self.textProjection = try affine("text_guidance_projection.0", ct, e)
        self.decoderGuidance = [try conv("decoder_guidance_projection.0.0", p0, g0, 3),
                                try conv("decoder_guidance_projection.1.0", p1, g1, 3)]
        self.decoders = [try decoder(1, inputs: c, guidance: p0, out: d0), try decoder(2, inputs: d0, guidance: p1, out: d1)]
        self.head = try conv("head", 1, d1, 3)
        self.upsamplers = [try upsampler(1, out: g0, kernel: 2), try upsampler(2, out: g1, kernel: 4)]
        self.sceneBias = sceneBias
        self.liveText = liveText
    }

    /// Per-class logits `[B, T, 4H, 4W]` for dense features `[B, E, H, W]`
    /// (the CLIP dense map, also the appearance guidance), class embeddings
    /// `text` `[T, P, E]` (unit-norm, shared by the B images) and the raw patch
    /// tokens `[B, H·W, width]` of the two guidance blocks (`upsample1/2` run
    /// inside). `pooling` is the class-attention average pooling (1 = the
    /// evaluation setting, 2 = the repository's training-time evaluation).
    /// With more classes than `pad_len`, each image keeps its `pad_len`
    /// classes of highest maximum cosine and the others get −100.
    ///
    /// - Throws: `.invalidInput` naming the mismatching shapes; `.computation`
    ///   if a tensor operation fails.
    public func logits(dense: Tensor, text: Tensor, taps: (Tensor, Tensor), pooling: Int = 1) throws(CostAggregationError) -> Tensor {
        var trace: [String: Tensor]? = nil
        return try run(dense: dense, text: text, taps: taps, pooling: pooling, trace: &trace)
    }

    /// The same computation as `logits`, returning every intermediate tensor in
    /// PyTorch layout under the names of `reference/ovseg_reference/head.py`
    /// (`bias.b`, `bias.G0/G1/G2`, `res4`, `res5`, `corr`, `embed`,
    /// `guidance.{appearance,text,decoder1,decoder2}`, `swin.out.{i}`,
    /// `class.out.{i}`, `layer.out.{i}`, `decoder.out.{1,2}`, `logits`, and
    /// `text.live` `[T, P, E]` with the live text bias). After class pruning the
    /// class axis of the stages holds each image's kept classes in ascending
    /// order (`classes` `[B, pad_len]`, as Float).
    public func stages(dense: Tensor, text: Tensor, taps: (Tensor, Tensor), pooling: Int = 1) throws(CostAggregationError) -> [String: Tensor] {
        var trace: [String: Tensor]? = [:]
        let logits = try run(dense: dense, text: text, taps: taps, pooling: pooling, trace: &trace)
        var result = trace ?? [:]
        result["logits"] = logits
        return result
    }

    private func run(
        dense: Tensor, text: Tensor, taps: (Tensor, Tensor), pooling: Int, trace: inout [String: Tensor]?
    ) throws(CostAggregationError) -> Tensor {
        let cfg = configuration
        guard dense.rank == 4, dense.shape[1] == cfg.embedDim, dense.shape[0] > 0, dense.shape[2] > 0,
              dense.shape[2] == dense.shape[3] else {
            throw .invalidInput("dense features \(dense.shape) must be [B, \(cfg.embedDim), H, H] with B, H > 0")
        }
        let (images, resolution) = (dense.shape[0], dense.shape[2])
        guard resolution <= cfg.window || resolution % cfg.window == 0 else {
            throw .invalidInput("dense map \(resolution)×\(resolution) is not a multiple of the Swin window \(cfg.window)")
        }
        guard text.rank == 3, text.shape[0] > 0, text.shape[1] == cfg.prompts, text.shape[2] == cfg.embedDim else {
            throw .invalidInput("text \(text.shape) must be [T, \(cfg.prompts), \(cfg.embedDim)] with T > 0")
        }
        let tapShape = [images, resolution * resolution, cfg.tapWidth]
        guard taps.0.shape == tapShape, taps.1.shape == tapShape else {
            throw .invalidInput("guidance taps \(taps.0.shape) and \(taps.1.shape) must both be \(tapShape) (patch tokens without CLS)")
        }
        guard pooling >= 1, pooling <= resolution else {
            throw .invalidInput("class pooling \(pooling) must be between 1 and the map size \(resolution)")
        }
        do {
            return try forward(dense: dense, text: text, taps: taps, pooling: pooling, trace: &trace)
        } catch {
            throw .computation(error)
        }
    }

    private func forward(
        dense: Tensor, text: Tensor, taps: (Tensor, Tensor), pooling: Int, trace: inout [String: Tensor]?
    ) throws(TensorError) -> Tensor {
        let cfg = configuration
        let (images, r) = (dense.shape[0], dense.shape[2])
        let pixels = r * r
        let (e, p) = (cfg.embedDim, cfg.prompts)
        let classCount = text.shape[0]

        // Text (optionally the live-biased text), its normalised form, and t + normalize(t).
        var textRows = text.scalars
        if let liveText {
            textRows = try liveText.apply(try text.reshaped([classCount * p, e]))
            if trace != nil { trace?["text.live"] = try Tensor(shape: text.shape, scalars: textRows) }
        }
        var unitText = textRows
        normalizeRows(&unitText, width: e)
        var doubledText = textRows
        for i in 0..<doubledText.count { doubledText[i] += unitText[i] }

        // Cost volume from the dense map and the text (released order: before any bias).
        var unitDense = try permuted(dense.scalars, shape: [images, e, pixels], order: [0, 2, 1]).scalars
        let denseRows = try Tensor(shape: [images * pixels, e], scalars: unitDense)
        normalizeRows(&unitDense, width: e)
        let unitDenseRows = try Tensor(shape: [images * pixels, e], scalars: unitDense)
        let fullCorr = try Tensor.linear(unitDenseRows, weight: try Tensor(shape: [classCount * p, e], scalars: unitText))

        // Class pruning to pad_len per image, by maximum correlation.
        let pruned = cfg.padLength > 0 && classCount > cfg.padLength
        let kept = pruned ? cfg.padLength : classCount
        var selection: [[Int]] = Array(repeating: Array(0..<classCount), count: images)
        var corrRows: [Float]                    // [B, R², T', P]
        var guidanceSource: [[Float]]            // per image [T'·P, E]
        if pruned {
            var prunedText = doubledText
            normalizeRows(&prunedText, width: e)
            corrRows = []
            corrRows.reserveCapacity(images * pixels * kept * p)
            guidanceSource = []
            for image in 0..<images {
                var score = [Float](repeating: -.infinity, count: classCount)
                fullCorr.withUnsafeBufferPointer { corr in
                    for pixel in 0..<pixels {
                        let row = corr.baseAddress! + (image * pixels + pixel) * classCount * p
                        for t in 0..<classCount {
                            for q in 0..<p { score[t] = max(score[t], row[t * p + q]) }
                        }
                    }
                }
                let order = (0..<classCount).sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }
                let chosen = order.prefix(kept).sorted()
                selection[image] = chosen
                var rows: [Float] = []
                rows.reserveCapacity(kept * p * e)
                for t in chosen { rows += prunedText[(t * p * e)..<((t + 1) * p * e)] }
                let imageDense = try Tensor(shape: [pixels, e],
                                            scalars: Array(unitDense[(image * pixels * e)..<((image + 1) * pixels * e)]))
                corrRows += try Tensor.linear(imageDense, weight: try Tensor(shape: [kept * p, e], scalars: rows)).scalars
                guidanceSource.append(rows)
            }
            if trace != nil {
                trace?["classes"] = try Tensor(shape: [images, kept], scalars: selection.flatMap { $0.map(Float.init) })
            }
        } else {
            corrRows = fullCorr.scalars
            guidanceSource = Array(repeating: doubledText, count: images)
        }
        if trace != nil {
            trace?["corr"] = try permuted(corrRows, shape: [images, pixels, kept, p], order: [0, 3, 2, 1])
                .reshaped([images, p, kept, r, r])
        }

        // Text guidance: ReLU(Linear(normalize(mean_P(source)))) per image and class.
        var meanText = [Float](repeating: 0, count: images * kept * e)
        for image in 0..<images {
            let source = guidanceSource[image]
            for t in 0..<kept {
                for q in 0..<p {
                    for i in 0..<e { meanText[(image * kept + t) * e + i] += source[(t * p + q) * e + i] }
                }
                if p > 1 { for i in 0..<e { meanText[(image * kept + t) * e + i] /= Float(p) } }
            }
        }
        normalizeRows(&meanText, width: e)
        var textGuidance = try Tensor.linear(try Tensor(shape: [images * kept, e], scalars: meanText),
                                             weight: textProjection.weight, bias: textProjection.bias)
        reluInPlace(&textGuidance)
        if trace != nil { trace?["guidance.text"] = try textGuidance.reshaped([images, kept, cfg.textGuidance]) }

        // Cost embedding: conv1 over every (image, class) map at once.
        let maps = images * kept
        let corrMaps = try permuted(corrRows, shape: [images, pixels, kept, p], order: [0, 2, 1, 3])
        var x = try conv1.apply(try corrMaps.reshaped([maps * pixels, p]), maps: maps, height: r, width: r)
        if trace != nil { trace?["embed"] = try classMaps(x, images: images, classes: kept, size: r) }

        // Scene bias and the three guidances.
        var appearanceInput = denseRows
        var biasMaps: (first: [Float], second: [Float])? = nil
        if let sceneBias {
            let b = sceneBias.unitVector
            appearanceInput.withUnsafeMutableBufferPointer { rows in
                for row in 0..<(images * pixels) {
                    for i in 0..<e { rows[row * e + i] += b[i] }
                }
            }
            biasMaps = sceneBias.maps(resolution: r)
            if trace != nil, let biasMaps {
                trace?["bias.b"] = try Tensor(shape: [e], scalars: b)
                trace?["bias.G0"] = try Tensor(shape: [1, e, r, r], scalars: b.flatMap { Array(repeating: $0, count: pixels) })
                trace?["bias.G1"] = try channelsFirst(biasMaps.first, images: 1, size: 2 * r, channels: cfg.decoderGuidanceDims[0])
                trace?["bias.G2"] = try channelsFirst(biasMaps.second, images: 1, size: 4 * r, channels: cfg.decoderGuidanceDims[1])
            }
        }
        var appearance = try appearanceProjection.apply(appearanceInput, maps: images, height: r, width: r)
        reluInPlace(&appearance)
        if trace != nil {
            trace?["guidance.appearance"] = try channelsFirst(appearance.scalars, images: images, size: r, channels: cfg.appearanceGuidance)
        }
        var projectedGuidance: [Tensor] = []
        for (n, tap) in [taps.0, taps.1].enumerated() {
            let scale = n == 0 ? 2 : 4
            let channels = cfg.decoderGuidanceDims[n]
            var res = [Float](repeating: 0, count: images * scale * scale * pixels * channels)
            try upsamplers[n].apply(try tap.reshaped([images * pixels, cfg.tapWidth]), maps: images, height: r, width: r,
                                    into: &res, stride: channels)
            if trace != nil { trace?["res\(n + 4)"] = try channelsFirst(res, images: images, size: scale * r, channels: channels) }
            if let biasMaps {
                let map = n == 0 ? biasMaps.first : biasMaps.second
                for image in 0..<images {
                    for i in 0..<map.count { res[image * map.count + i] += map[i] }
                }
            }
            var projected = try self.decoderGuidance[n].apply(
                try Tensor(shape: [images * scale * scale * pixels, channels], scalars: res),
                maps: images, height: scale * r, width: scale * r)
            reluInPlace(&projected)
            if trace != nil {
                trace?["guidance.decoder\(n + 1)"] = try channelsFirst(
                    projected.scalars, images: images, size: scale * r, channels: cfg.decoderGuidanceProjectionDims[n])
            }
            projectedGuidance.append(projected)
        }

        // Aggregation layers.
        let firstWindows = SwinWindows(resolution: r, window: cfg.window, shift: 0)
        let secondWindows = SwinWindows(resolution: r, window: cfg.window, shift: cfg.window / 2)
        for (i, layer) in layers.enumerated() {
            let guidance = try appearance.layerNorm(weight: layer.swin.guidanceNorm.weight, bias: layer.swin.guidanceNorm.bias)
            try layer.swin.first.apply(&x, guidance: try layer.swin.first.guidanceTerms(guidance), maps: maps,
                                       classes: kept, resolution: r, window: firstWindows, heads: cfg.heads)
            try layer.swin.second.apply(&x, guidance: try layer.swin.second.guidanceTerms(guidance), maps: maps,
                                        classes: kept, resolution: r, window: secondWindows, heads: cfg.heads)
            if trace != nil { trace?["swin.out.\(i)"] = try classMaps(x, images: images, classes: kept, size: r) }
            let classOut = try layer.classes.apply(
                &x, textGuidance: textGuidance, images: images, classes: kept, resolution: r, pooling: pooling,
                padLength: cfg.padLength, heads: cfg.heads)
            if trace != nil {
                trace?["class.out.\(i)"] = try classMaps(classOut, images: images, classes: kept, size: r / pooling)
                trace?["layer.out.\(i)"] = try classMaps(x, images: images, classes: kept, size: r)
            }
        }

        // Decoder and head.
        var y = x
        for (n, decoder) in decoders.enumerated() {
            let size = r << n
            y = try decoder.apply(y, maps: maps, classes: kept, height: size, width: size, guidance: projectedGuidance[n])
            if trace != nil {
                let channels = cfg.decoderDims[n]
                trace?["decoder.out.\(n + 1)"] = try permuted(y.scalars, shape: [images, kept, 4 * size * size, channels],
                                                              order: [0, 1, 3, 2]).reshaped([images, kept, channels, 2 * size, 2 * size])
            }
        }
        let out = 4 * r
        let logits = try head.apply(y, maps: maps, height: out, width: out)
        guard pruned else { return try logits.reshaped([images, classCount, out, out]) }
        var full = [Float](repeating: -100, count: images * classCount * out * out)
        for image in 0..<images {
            for (slot, t) in selection[image].enumerated() {
                let src = ((image * kept + slot) * out * out)
                let dst = ((image * classCount + t) * out * out)
                full.replaceSubrange(dst..<(dst + out * out), with: logits.scalars[src..<(src + out * out)])
            }
        }
        return try Tensor(shape: [images, classCount, out, out], scalars: full)
    }

    /// Channel-last `[images, size², channels]` → `[images, channels, size, size]`.
    private func channelsFirst(_ rows: [Float], images: Int, size: Int, channels: Int) throws(TensorError) -> Tensor {
        try permuted(rows, shape: [images, size * size, channels], order: [0, 2, 1]).reshaped([images, channels, size, size])
    }

    /// Class maps `[images·classes·size², C]` → `[images, C, classes, size, size]`.
    private func classMaps(_ rows: Tensor, images: Int, classes: Int, size: Int) throws(TensorError) -> Tensor {
        let c = rows.shape[1]
        return try permuted(rows.scalars, shape: [images, classes, size * size, c], order: [0, 3, 1, 2])
            .reshaped([images, c, classes, size, size])
    }
}
