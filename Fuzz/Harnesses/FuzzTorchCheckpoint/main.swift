import Foundation
import FuzzerDriver
import TorchCheckpoint

/// libFuzzer entry: the bytes as a torch.save checkpoint (zip or legacy); its state dict and every
/// tensor's bytes and floats are read. Errors are expected; only crashes count.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let checkpoint = try? TorchCheckpoint(bytes: bytes, name: "fuzz"),
          let dict = try? checkpoint.stateDict() else { return 0 }
    for name in dict.names {
        guard let tensor = dict.tensors[name] else { continue }
        _ = try? checkpoint.contiguousBytes(tensor, key: name)
        _ = try? checkpoint.floats(tensor, key: name)
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
