import Foundation
import SafeTensors
import Testing

/// The metadata keys the code uses are the ones docs/checkpoint-format.md §3 documents.
struct CheckpointMetadataKeyTests {
    /// The keys named in the first column of §3's table; `a.b.c`, `.d` abbreviates `a.b.c`, `a.b.d`.
    static func documentedKeys() throws -> Set<String> {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: repository.appendingPathComponent("docs/checkpoint-format.md"), encoding: .utf8)
        guard let start = text.range(of: "## 3. Metadata keys"), let end = text.range(of: "\n## 4.", range: start.upperBound..<text.endIndex)
        else { return [] }
        var keys = Set<String>()
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            var base: [Substring] = []
            for item in cell.split(separator: ",") {
                let name = item.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                if name.hasPrefix("."), !base.isEmpty {
                    keys.insert((base.dropLast() + [Substring(name.dropFirst())]).joined(separator: "."))
                } else {
                    base = name.split(separator: ".")
                    keys.insert(name)
                }
            }
        }
        return keys
    }

    @Test func everyKeyTheCodeUsesIsDocumented() throws {
        let documented = try Self.documentedKeys()
        #expect(documented.contains("sgseg.aggregator.pad_len"), "the table parser expands abbreviations")
        #expect(Set(CheckpointMetadataKey.all).count == CheckpointMetadataKey.all.count, "no key listed twice")
        for key in CheckpointMetadataKey.all {
            #expect(documented.contains(key), "\(key) is used by the code but not in docs/checkpoint-format.md §3")
        }
        #expect(CheckpointMetadataKey.all.allSatisfy { $0.hasPrefix("sgseg.") })
    }
}
