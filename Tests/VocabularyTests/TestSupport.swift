import Foundation

/// A fresh directory per test, so tests can run in parallel without sharing files.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ovseg-vocabulary-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `document` as JSON (pretty or compact) and returns the file path.
    func write(_ document: [String: Any], as name: String, pretty: Bool = true) throws -> String {
        let options: JSONSerialization.WritingOptions = pretty ? [.prettyPrinted, .sortedKeys] : []
        let data = try JSONSerialization.data(withJSONObject: document, options: options)
        return try write(data, as: name)
    }

    func write(_ text: String, as name: String) throws -> String {
        try write(Data(text.utf8), as: name)
    }

    func write(_ data: Data, as name: String) throws -> String {
        let fileURL = url.appendingPathComponent(name)
        try data.write(to: fileURL)
        return fileURL.path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A small valid vocabulary the error tests break one entry at a time.
func validDocument() -> [String: Any] {
    [
        "schema": "ovseg-vocabulary/1",
        "key": "toy",
        "name": "Toy dataset",
        "description": "Four classes for tests.",
        "classes": [
            ["id": 0, "name": "road", "synonyms": ["street"], "color": [255, 255, 255]],
            ["id": 1, "name": "building", "synonyms": ["roof"], "color": [0, 0, 255]],
            ["id": 2, "name": "tree", "synonyms": [String](), "color": [0, 255, 0]],
            ["id": 3, "name": "background", "color": [255, 0, 0]],
        ],
        "label_encoding": [
            "reduce_zero_label": false,
            "ignore_values": [255],
            "ignore_colors": [[0, 0, 0]],
            "release_format": "rgb",
        ],
        "background": ["class": "background", "treatment": "evaluated"],
        "prompt_templates": ["a remote sensing image of a {}."],
        "splits": [
            ["name": "toy-split", "seen": ["road", "building"], "unseen": ["tree"], "source": "made up for tests"],
        ],
        "sources": ["tests"],
    ]
}

/// Sets `document[path...] = value` (nil removes the key), walking dictionaries
/// by key and arrays by index.
func setting(_ document: [String: Any], _ path: [Any], to value: Any?) -> [String: Any] {
    func set(_ node: Any, _ path: ArraySlice<Any>) -> Any {
        guard let head = path.first else { return value as Any }
        if var dictionary = node as? [String: Any], let key = head as? String {
            if path.count == 1 {
                dictionary[key] = value
            } else if let child = dictionary[key] {
                dictionary[key] = set(child, path.dropFirst())
            }
            return dictionary
        }
        if var array = node as? [Any], let index = head as? Int, array.indices.contains(index) {
            array[index] = set(array[index], path.dropFirst())
            return array
        }
        return node
    }
    return (set(document, path[...]) as? [String: Any]) ?? document
}
