import Foundation
import Testing

@testable import FileOutput
@testable import JSON

@Suite("JSON through json-c")
struct JSONCodecTests {
    @Test func duplicateKeysAreRefusedAtAnyDepth() throws {
        let refused: [(String, String)] = [
            (#"{"a": 1, "a": 2}"#, #"duplicate key "a" in one object at line 1, column 10"#),
            (#"{"x": [{"k": 1}, {"k": 2, "b": {"c": 1, "c": 1}}]}"#, #"duplicate key "c""#),
            // Escapes are compared decoded: "\u0061" is "a".
            (#"{"a": 1, "\u0061": 2}"#, #"duplicate key "a""#),
            ("{\"n\": 1,\n \"n\": 2}", "at line 2, column 2"),
        ]
        for (text, expected) in refused {
            #expect(throws: JSONError.self) { try JSONCodec.parse(text, source: "f.json") }
            do {
                _ = try JSONCodec.parse(text, source: "f.json")
            } catch {
                #expect(error.description.hasPrefix("f.json: ") && error.description.contains(expected), "\(error)")
            }
        }
        // The same key in sibling or nested objects, and a key equal to a value, are fine.
        let accepted = [#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c": "a", "d": {"x\"y": 1, "x": 2}}"#]
        for text in accepted { #expect(throws: Never.self) { try JSONCodec.parse(text, source: "f.json") } }
    }

    @Test func integersSurviveExactly() throws {
        let value = JSONValue.array([
            .uint(UInt64.max - 1), .int(Int64.min + 1), .int(Int64.max), .count(18_446_744_073_709_551_000), .int(0),
        ])
        let text = JSONCodec.serialize(value, pretty: false)
        #expect(text.contains("18446744073709551614"))
        let back = try JSONCodec.parse(text, source: "test")
        #expect(back == value)
        #expect(back.arrayValue?[3].uint64Value == 18_446_744_073_709_551_000)
    }

    @Test func doublesUseTheShortestExactText() throws {
        let values: [Double] = [0.1 + 0.2, 0.32, 1e-300, 5, -0.0, 123_456_789.125, 2.5e20]
        let text = JSONCodec.serialize(.array(values.map { .double($0) }), pretty: false)
        #expect(text.contains("0.30000000000000004"))
        #expect(text.contains("0.32,") || text.contains("0.32 "))
        #expect(text.contains("5.0"))
        let back = try JSONCodec.parse(text, source: "test").arrayValue ?? []
        #expect(back.compactMap(\.doubleValue) == values)
        // The C library's strtod (independent of json-c) reads the same numbers from the text.
        let fields = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] \n")).split(separator: ",")
        #expect(fields.map { strtod(String($0).trimmingCharacters(in: .whitespaces), nil) } == values)
    }

    /// json-c clamps integers beyond 64 bits to the bound and reads NaN/Infinity; those must be errors,
    /// never a silently different number.
    @Test(arguments: [
        ("[18446744073709551616]", "2^64 − 1 or larger"),
        ("[18446744073709551615]", "2^64 − 1 or larger"),
        ("{\"n\": 99999999999999999999999}", "2^64 − 1 or larger"),
        ("[-9223372036854775809]", "−2^63 or smaller"),
        ("[NaN]", "not a JSON number"),
        ("[1e400]", "not a JSON number"),
        ("[-Infinity]", "not a JSON number"),
    ])
    func numbersOutsideTheExactRangeAreRefused(text: String, expected: String) {
        #expect {
            _ = try JSONCodec.parse(text, source: "counts.json")
        } throws: { error in
            let message = (error as? JSONError)?.description ?? ""
            return message.hasPrefix("counts.json: ") && message.contains(expected)
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = Array("[\"".utf8) + [0xFF, 0xFE] + Array("\"]".utf8)
        #expect {
            _ = try JSONCodec.parse(bytes, source: "names.json")
        } throws: { error in
            ((error as? JSONError)?.description ?? "").contains("utf-8")
        }
    }

    @Test func undefinedNumbersBecomeNull() {
        #expect(JSONValue.number(nil) == .null)
        #expect(JSONValue.number(.nan) == .null)
        #expect(JSONCodec.serialize(.array([.number(.infinity)]), pretty: false).contains("null"))
    }

    @Test func stringsAndKeyOrder() throws {
        var object = JSONObject()
        object["zeta"] = .string("<script>\"quoted\" \\ back/slash é 🛰️\n")
        object["alpha"] = .string("")
        object["mid"] = .bool(true)
        let text = JSONCodec.serialize(.object(object))
        let back = try JSONCodec.parse(text, source: "test")
        #expect(back == .object(object))
        #expect(back.objectValue?.keys == ["zeta", "alpha", "mid"])
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(foundation?["zeta"] as? String == "<script>\"quoted\" \\ back/slash é 🛰️\n")
    }

    @Test(arguments: [
        ("{\"a\": 1", "ends early"),
        ("{\"a\": 1} x", "line 1, column 10"),
        ("{\"a\": tru}", "invalid JSON"),
        ("[1, 2,]", "invalid JSON"),
        ("", "ends early"),
    ])
    func malformedDocumentsAreClearErrors(text: String, expected: String) {
        do {
            _ = try JSONCodec.parse(text, source: "run.ovseg.json")
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.description.contains("run.ovseg.json"))
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func errorsGiveLineAndColumn() {
        do {
            _ = try JSONCodec.parse("{\n  \"a\": 1,\n  \"b\": ?\n}", source: "f.json")
            Issue.record("parsed")
        } catch {
            #expect(error.description.contains("line 3"), "\(error.description)")
        }
    }

    @Test func fileRoundTripIsAtomic() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-json-\(UUID().uuidString)").path
        try AtomicFile.createDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.json"
        try JSONCodec.write(.object(JSONObject([("n", .int(1))])), to: path)
        try JSONCodec.write(.object(JSONObject([("n", .int(2))])), to: path)
        #expect(try JSONCodec.read(path: path)["n"] == .int(2))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.json"])

        // A missing output folder is created; a file standing where a folder should be is an error.
        try JSONCodec.write(.object(JSONObject([("n", .int(3))])), to: directory + "/missing/out.json")
        #expect(try JSONCodec.read(path: directory + "/missing/out.json")["n"] == .int(3))
        #expect(throws: FileOutputError.self) {
            try JSONCodec.write(.null, to: directory + "/out.json/inner.json")
        }
        #expect(throws: JSONError.self) { try JSONCodec.read(path: directory + "/absent.json") }
    }

    @Test func emptyFileIsAnError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-empty-\(UUID().uuidString).json").path
        FileManager.default.createFile(atPath: path, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: JSONError.self) { try JSONCodec.read(path: path) }
    }
}
