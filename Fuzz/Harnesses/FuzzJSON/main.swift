import Foundation
import FuzzerDriver
import Harness
import JSON
import Vocabulary

/// libFuzzer entry: the bytes as JSON (JSONCodec.parse), the parsed document as a results file
/// (ResultsFile.decode), and the bytes as a vocabulary file (Vocabulary.parse). Errors are expected.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let document = try? JSONCodec.parse(bytes, source: "fuzz") {
        _ = try? ResultsFile.decode(document, source: "fuzz")
    }
    _ = try? Vocabulary.parse(Data(bytes), file: "fuzz")
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
