// Times `EVA02VisionEncoder.dense` on one batch of pixels, for
// scripts/bench/eva02_vs_torch.py (which drives it and the PyTorch reference
// on the same weights, inputs and thread count).
//
//   EVA02Bench --checkpoint W.safetensors --pixels P.safetensors [--prefix K]
//              [--taps 7,15] [--threads 2] [--repeat 3] [--output dense.f32]
//
// `--pixels` holds one tensor `pixels` [B, 3, S, S]. Prints the load time and
// the median of `--repeat` timed passes after one warm-up pass; `--output`
// receives the dense features of the last pass as raw little-endian float32.
import Foundation
import EVA02
import SafeTensors
import Tensor

struct Options {
    var checkpoint = ""
    var pixels = ""
    var prefix = EVA02VisionEncoder.checkpointPrefix
    var taps: [Int] = [7, 15]
    var threads = 2
    var repeats = 3
    var output: String?
}

func parse(_ arguments: [String]) -> Options? {
    var options = Options()
    var rest = arguments.makeIterator()
    while let flag = rest.next() {
        guard let value = rest.next() else { return nil }
        switch flag {
        case "--checkpoint": options.checkpoint = value
        case "--pixels": options.pixels = value
        case "--prefix": options.prefix = value
        case "--taps": options.taps = value.split(separator: ",").compactMap { Int($0) }
        case "--threads": guard let n = Int(value), n > 0 else { return nil }; options.threads = n
        case "--repeat": guard let n = Int(value), n > 0 else { return nil }; options.repeats = n
        case "--output": options.output = value
        default: return nil
        }
    }
    return options.checkpoint.isEmpty || options.pixels.isEmpty ? nil : options
}

func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
}

guard let options = parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data("usage: EVA02Bench --checkpoint W --pixels P [--prefix K] [--taps 7,15] [--threads 2] [--repeat 3] [--output F]\n".utf8))
    exit(2)
}
do {
    BLAS.threadCount = options.threads
    ActivationMemory.keepFreedBuffers()
    let loadStart = ContinuousClock.now
    let encoder = try EVA02VisionEncoder(file: SafeTensorsFile(path: options.checkpoint), prefix: options.prefix)
    let loadMs = milliseconds(since: loadStart)
    let pixels = try SafeTensorsFile(path: options.pixels).tensor("pixels")
    var result = try encoder.dense(pixels, taps: options.taps)
    var times: [Double] = []
    for _ in 0..<options.repeats {
        let start = ContinuousClock.now
        result = try encoder.dense(pixels, taps: options.taps)
        times.append(milliseconds(since: start))
    }
    times.sort()
    let median = times[times.count / 2]
    print("load \(String(format: "%.1f", loadMs)) ms")
    print("runs " + times.map { String(format: "%.1f", $0) }.joined(separator: " ") + " ms")
    print("median \(String(format: "%.1f", median)) ms")
    if let output = options.output {
        let bytes = result.dense.withUnsafeBufferPointer { Data(buffer: $0) }
        try bytes.write(to: URL(fileURLWithPath: output))
    }
} catch {
    FileHandle.standardError.write(Data("EVA02Bench: \(error)\n".utf8))
    exit(1)
}
