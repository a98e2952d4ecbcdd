import Benchmark
import Tensor

/// The kernels of one ViT-B/16 block at 384² (577 tokens, width 768, 12 heads,
/// MLP 3072) and EVA02-L's SwiGLU on two threads, and the fork–join cost of `Parallel.forEach`.
/// Latency against PyTorch is compared in one run by scripts/bench/clip_vs_torch.sh;
/// these numbers track the kernels between commits.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 2,
        maxDuration: .seconds(5),
        maxIterations: 200
    )
    BLAS.threadCount = 2
    ActivationMemory.keepFreedBuffers()
    let tokens = 577, width = 768, hidden = 3072, heads = 12
    func values(_ count: Int, _ seed: Float) -> [Float] {
        (0..<count).map { Float(($0 * 7919) % 1000) / 1000 * seed - seed / 2 }
    }
    guard
        let x = try? Tensor(shape: [1, tokens, width], scalars: values(tokens * width, 2)),
        let fc1 = try? Tensor(shape: [hidden, width], scalars: values(hidden * width, 0.1)),
        let fc1Bias = try? Tensor(shape: [hidden], scalars: values(hidden, 0.1)),
        let fc2 = try? Tensor(shape: [width, hidden], scalars: values(width * hidden, 0.05)),
        let qkv = try? Tensor(shape: [1, tokens, 3 * width], scalars: values(tokens * 3 * width, 1)),
        let gamma = try? Tensor(shape: [width], scalars: values(width, 1)),
        let beta = try? Tensor(shape: [width], scalars: values(width, 1)),
        let activations = try? Tensor(shape: [tokens, hidden], scalars: values(tokens * hidden, 8))
    else { fatalError("benchmark inputs") }

    // The products in both arithmetics (docs/reproducibility.md): ovseg's reproducible kernels,
    // the default, and OpenBLAS's kernel for this CPU.
    let fc1Output = try? Tensor.linear(x, weight: fc1, bias: fc1Bias)
    for arithmetic in GEMMArithmetic.allCases {
        Benchmark("linear 577×768 → 3072 + bias (fc1), \(arithmetic.rawValue)") { benchmark in
            BLAS.arithmetic = arithmetic
            for _ in benchmark.scaledIterations { blackHole(try Tensor.linear(x, weight: fc1, bias: fc1Bias)) }
        }
        Benchmark("linear 577×3072 → 768 + residual (fc2), \(arithmetic.rawValue)") { benchmark in
            guard let fc1Output else { return }
            BLAS.arithmetic = arithmetic
            for _ in benchmark.scaledIterations { blackHole(try Tensor.linear(fc1Output, weight: fc2, adding: x)) }
        }
        Benchmark("attention 12 heads × 577 tokens, \(arithmetic.rawValue)") { benchmark in
            BLAS.arithmetic = arithmetic
            for _ in benchmark.scaledIterations { blackHole(try Tensor.packedSelfAttention(qkv, heads: heads)) }
        }
    }
    Benchmark("layerNorm 577×768") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try x.layerNorm(weight: gamma, bias: beta)) }
    }
    Benchmark("quickGELU 577×3072") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(activations.quickGELU()) }
    }
    let gateAndValue = try? Tensor(shape: [577, 2 * 2730], scalars: values(577 * 2 * 2730, 8))
    Benchmark("swiGLU 577×2730 (EVA02-L, one view)") { benchmark in
        guard let gateAndValue else { return }
        for _ in benchmark.scaledIterations { blackHole(try gateAndValue.swiGLU(hidden: 2730)) }
    }
    Benchmark("Parallel.forEach, 2 empty pieces", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations { Parallel.forEach(2) { blackHole($0) } }
    }
}
