import Foundation

extension Vocabulary {
    /// The directory of the vocabularies shipped with ovseg: the top-level
    /// `Vocabularies/` folder, copied into this module's resource bundle at build time.
    public static var bundledDirectory: URL? {
        Bundle.module.url(forResource: "Vocabularies", withExtension: nil)
    }

    /// Keys of the bundled vocabularies (file stems), sorted.
    public static var bundledKeys: [String] {
        jsonFiles(in: bundledDirectory).map { $0.deletingPathExtension().lastPathComponent }
    }

    /// Loads a bundled vocabulary by key, e.g. `potsdam`.
    public static func load(key: String) throws -> Vocabulary {
        let keys = bundledKeys
        guard keys.contains(key), let directory = bundledDirectory else {
            throw VocabularyError(.unknownVocabulary, file: "Vocabularies/\(key).json",
                                  "no bundled vocabulary '\(key)'; available: \(keys.joined(separator: ", "))")
        }
        let path = directory.appendingPathComponent("\(key).json").path
        switch check(fileAt: path, displayName: "Vocabularies/\(key).json") {
        case .success(let vocabulary): return vocabulary
        case .failure(let problems): throw problems.errors[0]
        }
    }

    /// Resolves a command-line argument: an existing file path wins, otherwise
    /// a bundled key. Anything else is an error listing the bundled keys.
    public static func resolve(_ keyOrPath: String) throws -> Vocabulary {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: keyOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try load(path: keyOrPath)
        }
        let keys = bundledKeys
        if keys.contains(keyOrPath) { return try load(key: keyOrPath) }
        let available = keys.joined(separator: ", ")
        let looksLikePath = keyOrPath.contains("/") || keyOrPath.hasSuffix(".json")
        throw VocabularyError(.unknownVocabulary, file: keyOrPath,
                              looksLikePath ? "no such vocabulary file; bundled keys: \(available)"
                                            : "not a file and not a bundled vocabulary key; available: \(available)")
    }

    /// Validates every `*.json` in `directory` (default: the bundled ones) and
    /// reports per file. Used by `ovseg vocab validate`. A bundled-style file
    /// must also carry its own file stem as `key`.
    public static func validateAll(directory: String? = nil) -> [VocabularyFileReport] {
        let folder = directory.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? bundledDirectory
        return jsonFiles(in: folder).map { url in
            let stem = url.deletingPathExtension().lastPathComponent
            let displayName = directory == nil ? "Vocabularies/\(url.lastPathComponent)" : url.path
            switch check(fileAt: url.path, displayName: displayName) {
            case .success(let vocabulary):
                var problems: [VocabularyError] = []
                if vocabulary.key != stem {
                    problems.append(VocabularyError(.keyMismatch, file: displayName, entry: "key",
                                                    "key '\(vocabulary.key)' differs from the file name '\(stem)'"))
                }
                return VocabularyFileReport(file: displayName, key: vocabulary.key,
                                            fingerprint: vocabulary.fingerprint, problems: problems)
            case .failure(let problems):
                return VocabularyFileReport(file: displayName, key: nil, fingerprint: nil, problems: problems.errors)
            }
        }
    }

    private static func jsonFiles(in directory: URL?) -> [URL] {
        guard let directory,
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasSuffix(".json") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }
}

/// The outcome of validating one vocabulary file.
public struct VocabularyFileReport: Sendable, Equatable {
    public var file: String
    /// The key, when the file parsed.
    public var key: String?
    /// The fingerprint, when the file parsed.
    public var fingerprint: String?
    /// Every problem found; empty when the file is valid.
    public var problems: [VocabularyError]

    public var isValid: Bool { problems.isEmpty }

    public init(file: String, key: String?, fingerprint: String?, problems: [VocabularyError]) {
        self.file = file
        self.key = key
        self.fingerprint = fingerprint
        self.problems = problems
    }
}
