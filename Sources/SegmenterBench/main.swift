// Times `SoftGuidedSegmenter.segment` on one RGB image stage by stage, for
// scripts/bench/core_vs_torch.py (which drives it and the PyTorch reference on
// the same checkpoint, image, classes and thread count).
//
//   SegmenterBench --checkpoint W.safetensors --image I.png --classes "a|b|c"
//                  [--inference sliding|whole] [--threads 2] [--repeat 3]
//                  [--output probabilities.f32] [--arithmetic reproducible|openblas]
//
// Prints the load time, the text-embedding time (cached per vocabulary in
// ovseg, so reported apart) and, for each stage of `SegmentationTimings`, the
// value of the run with the median total over `--repeat` runs after one
// warm-up run. `--output` receives the class probabilities before the final
// resize ([T, R, R], raw little-endian float32) and then the labels (int32).
import Foundation
import Segmenter
import Tensor

struct Options {
    var checkpoint = ""
    var image = ""
    var classes: [String] = []
    var inference = SegmenterConfiguration.Inference.sliding
    var threads = 2
    var repeats = 3
    var output: String?
    var arithmetic = GEMMArithmetic.reproducible
}

func parse(_ arguments: [String]) -> Options? {
    var options = Options()
    var rest = arguments.makeIterator()
    while let flag = rest.next() {
        guard let value = rest.next() else { return nil }
        switch flag {
        case "--checkpoint": options.checkpoint = value
        case "--image": options.image = value
        case "--classes": options.classes = value.split(separator: "|").map(String.init)
        case "--inference":
            guard let mode = SegmenterConfiguration.Inference(rawValue: value) else { return nil }
            options.inference = mode
        case "--threads": guard let n = Int(value), n > 0 else { return nil }; options.threads = n
        case "--repeat": guard let n = Int(value), n > 0 else { return nil }; options.repeats = n
        case "--output": options.output = value
        case "--arithmetic":
            guard let arithmetic = GEMMArithmetic(rawValue: value) else { return nil }
            options.arithmetic = arithmetic
        default: return nil
        }
    }
    return options.checkpoint.isEmpty || options.image.isEmpty || options.classes.isEmpty ? nil : options
}

func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
}

guard let options = parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data(
        "usage: SegmenterBench --checkpoint W --image I.png --classes 'a|b' [--inference sliding|whole] [--threads 2] [--repeat 3] [--output F] [--arithmetic reproducible|openblas]\n".utf8))
    exit(2)
}
do {
    BLAS.threadCount = options.threads
    BLAS.arithmetic = options.arithmetic
    ActivationMemory.keepFreedBuffers()
    let loadStart = ContinuousClock.now
    let segmenter = try SoftGuidedSegmenter(
        checkpoint: options.checkpoint, options: SegmenterOptions(inference: options.inference))
    let loadMs = milliseconds(since: loadStart)
    let image = try RGBImage.read(path: options.image)
    var text = try segmenter.textEmbeddings(classNames: options.classes)
    var textTimes: [Double] = []
    for _ in 0..<options.repeats {
        let start = ContinuousClock.now
        text = try segmenter.textEmbeddings(classNames: options.classes)
        textTimes.append(milliseconds(since: start))
    }
    var result = try segmenter.segment(image, text: text)
    var runs: [SegmentationTimings] = []
    for _ in 0..<options.repeats {
        result = try segmenter.segment(image, text: text)
        runs.append(result.timings)
    }
    runs.sort { $0.total < $1.total }
    let median = runs[runs.count / 2]
    textTimes.sort()
    print("kernel \(BLAS.numerics.kernel)")
    print("load \(String(format: "%.1f", loadMs)) ms")
    print("text \(String(format: "%.1f", textTimes[textTimes.count / 2])) ms")
    for (name, seconds) in [
        ("preprocessing", median.preprocessing), ("backbone", median.backbone), ("head", median.head),
        ("postprocessing", median.postprocessing), ("total", median.total),
    ] {
        print("\(name) \(String(format: "%.1f", seconds * 1e3)) ms")
    }
    print("runs " + runs.map { String(format: "%.1f", $0.total * 1e3) }.joined(separator: " ") + " ms")
    if let output = options.output {
        var bytes = result.probabilities.withUnsafeBufferPointer { Data(buffer: $0) }
        result.labels.withUnsafeBufferPointer { bytes.append(Data(buffer: $0)) }
        try bytes.write(to: URL(fileURLWithPath: output))
    }
} catch {
    FileHandle.standardError.write(Data("SegmenterBench: \(error)\n".utf8))
    exit(1)
}
