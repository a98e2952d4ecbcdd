import Foundation
import ParityTestSupport
import Testing
import SafeTensors
import Tensor

func fixture(_ name: String) throws -> SafeTensorsFile {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsFile(path: url.path)
}

