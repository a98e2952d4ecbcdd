import Foundation
import FuzzerDriver
import SafeTensors

/// libFuzzer entry: the bytes as a safetensors file; every entry is then read as raw bytes and,
/// when its dtype allows, as a float tensor. Errors are expected; only crashes count.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let file = try? SafeTensorsFile(bytes: bytes, name: "fuzz") else { return 0 }
    for name in file.names {
        _ = try? file.rawBytes(name)
        _ = try? file.tensor(name, allowNonFinite: true)
        _ = try? file.tensor(name)
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
