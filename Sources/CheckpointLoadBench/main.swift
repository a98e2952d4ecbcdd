// Load time and peak memory of one checkpoint, read tensor by tensor into Float32 `Tensor`s as the
// loaders do: `CheckpointLoadBench pth|safetensors FILE`. Driven by scripts/bench/pth_vs_safetensors.py,
// which runs each format in its own process so that peak resident memory is per format.
import Foundation
import SafeTensors
import Tensor
import TorchCheckpoint
#if canImport(Glibc)
import Glibc
#endif

func peakResidentMB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

let arguments = CommandLine.arguments
guard arguments.count == 3, ["pth", "safetensors"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: CheckpointLoadBench pth|safetensors FILE\n".utf8))
    exit(2)
}
let start = Date()
var tensors: [Tensor] = []
var values = 0
do {
    if arguments[1] == "pth" {
        let checkpoint = try TorchCheckpoint(path: arguments[2])
        let state = try checkpoint.stateDict()
        for name in state.names {
            guard let reference = state.tensors[name], reference.storage.dtype?.isFloatingPoint == true else { continue }
            let tensor = try Tensor(shape: reference.shape, scalars: try checkpoint.floats(reference, key: name))
            values += tensor.scalars.count
            tensors.append(tensor)
        }
    } else {
        let file = try SafeTensorsFile(path: arguments[2])
        for name in file.names where file.entries[name]?.dtype.isReadableAsFloat == true {
            let tensor = try file.tensor(name)
            values += tensor.scalars.count
            tensors.append(tensor)
        }
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
let seconds = Date().timeIntervalSince(start)
print(String(format: "{\"format\": \"%@\", \"tensors\": %d, \"values\": %d, \"seconds\": %.3f, \"peak_rss_mb\": %.1f}",
             arguments[1], tensors.count, values, seconds, peakResidentMB()))
