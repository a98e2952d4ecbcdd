import Foundation
import FuzzerDriver
import LabelMaps

/// libFuzzer entry: the bytes as a label file, read once with the file's own format and once
/// against a colour table (the colour path). Thrown errors are expected; only crashes count.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    // A small pixel limit keeps each run fast; the limit check itself is part of what is fuzzed.
    _ = try? LabelMapReader.decode(bytes: bytes, name: "fuzz", colors: nil, maxPixels: 1 << 20)
    let colors = ColorTable([RGB(r: 0, g: 0, b: 0): 0, RGB(r: 255, g: 255, b: 255): 1])
    _ = try? LabelMapReader.decode(bytes: bytes, name: "fuzz", colors: colors, format: .color, maxPixels: 1 << 20)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
