import Foundation
import FuzzerDriver
import LabelMaps

/// libFuzzer entry: the bytes as a photo (PNG, JPEG or TIFF by signature). Errors are expected.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? RasterImage.decode(bytes: bytes, name: "fuzz", maxPixels: 1 << 20)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
