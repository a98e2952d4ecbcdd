import Foundation
import SafeTensors
import Testing

@testable import Segmenter

/// Sizes in checkpoint metadata are bounded before anything is allocated from them.
@Suite("Hostile checkpoint metadata")
struct HostileMetadataTests {
    /// The tiny SGSeg fixture with one metadata value replaced (the header is rewritten with its new length).
    static func withMetadata(_ key: String, _ value: String) throws -> SafeTensorsFile {
        let bytes = [UInt8](try Data(contentsOf: try fixtureURL("sgseg_tiny", "safetensors")))
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header = try #require(String(bytes: bytes[8..<(8 + length)], encoding: .utf8))
        let original = try #require(header.range(of: "\"\(key)\":\"")).upperBound
        let end = try #require(header[original...].firstIndex(of: "\""))
        header.replaceSubrange(original..<end, with: value)
        let encoded = Array(header.utf8)
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: encoded.count >> (8 * $0)) }
        return try SafeTensorsFile(bytes: prefix + encoded + bytes[(8 + length)...], name: "forged.safetensors")
    }

    @Test func anAbsurdOutputResolutionIsRefusedBeforeAllocating() throws {
        // 65600² per class would have asked for tens of gigabytes and aborted.
        let file = try Self.withMetadata("sgseg.inference.out_res", "65600")
        #expect {
            _ = try SegmenterConfiguration.read(file)
        } throws: { error in
            "\(error)".contains("forged.safetensors: metadata sgseg.inference.out_res = 65600 is larger than 4096")
        }
        // The fixture's own value still loads.
        let plain = try Self.withMetadata("sgseg.inference.out_res", "40")
        #expect(try SegmenterConfiguration.read(plain).outputResolution == 40)
    }
}
