import Foundation
import JSON

extension Vocabulary {
    /// The directory of the vocabularies shipped with ovseg: the top-level
    /// `Vocabularies/` folder, copied into this module's resource bundle at build time.
    public static var bundledDirectory: URL? {
        Bundle.module.url(forResource: "Vocabularies", withExtension: nil)
    }

    /// Keys of the bundled semantic vocabularies (file stems), sorted; scene vocabularies
    /// (`SceneVocabulary.bundledKeys`) are left out.
    public static var bundledKeys: [String] {
        bundledFiles().filter { $0.task == nil }.map(\.key)
    }

    /// Every bundled file's key and `task` (nil for semantic vocabularies), sorted by key.
    static func bundledFiles() -> [(key: String, task: String?)] {
        jsonFiles(in: bundledDirectory).map { ($0.deletingPathExtension().lastPathComponent, fileTask(atPath: $0.path)) }
    }

    /// The `task` key of the vocabulary file at `path`; nil when absent or the file does not parse
    /// (the semantic checks then report what is wrong).
    static func fileTask(atPath path: String) -> String? {
        guard let document = try? JSONCodec.read(path: path) else { return nil }
        return document["task"]?.stringValue
    }

    /// The error for a semantic command given a bundled scene vocabulary's key.
    static func sceneKeyError(_ key: String) -> VocabularyError {
        VocabularyError(.wrongTask, file: "Vocabularies/\(key).json",
            "'\(key)' is a scene-classification vocabulary: it has no pixel classes, so semantic commands (score, eval, suite, "
                + "inspect, …) cannot use it; score scene labels with `ovseg classify score --vocab \(key)`")
    }

    /// The bundled key that `key` names, compared without regard to case (`Potsdam` is
    /// `potsdam`), so that a dataset's usual spelling works; nil when there is none.
    public static func bundledKey(matching key: String) -> String? {
        let keys = bundledKeys
        if keys.contains(key) { return key }
        return keys.first { $0.lowercased() == key.lowercased() }
    }

    /// The bundled key closest to `key` by edit distance (case-insensitive), when it is close
    /// enough to be a likely typo: at most a third of the longer name's characters differ
    /// (at least 2). Used for "did you mean …" in errors.
    public static func closestBundledKey(to key: String) -> String? {
        EditDistance.closest(to: key, among: bundledKeys)
    }

    /// The message for a key that names no bundled vocabulary: the closest key, then all of them.
    static func unknownKeyMessage(_ key: String, prefix: String) -> String {
        let available = bundledKeys.joined(separator: ", ")
        if let suggestion = closestBundledKey(to: key) {
            return "\(prefix); did you mean '\(suggestion)'? available: \(available)"
        }
        return "\(prefix); available: \(available)"
    }

    /// Loads a bundled vocabulary by key, e.g. `potsdam` (case-insensitive: `Potsdam` works too).
    public static func load(key requested: String) throws -> Vocabulary {
        guard let key = bundledKey(matching: requested), let directory = bundledDirectory else {
            if let scene = SceneVocabulary.bundledKey(matching: requested) { throw sceneKeyError(scene) }
            throw VocabularyError(.unknownVocabulary, file: "Vocabularies/\(requested).json",
                                  unknownKeyMessage(requested, prefix: "no bundled vocabulary '\(requested)'"))
        }
        let path = directory.appendingPathComponent("\(key).json").path
        switch check(fileAt: path, displayName: "Vocabularies/\(key).json") {
        case .success(let vocabulary): return vocabulary
        case .failure(let problems): throw problems.errors[0]
        }
    }

    /// Resolves a command-line argument: an existing file path wins, otherwise
    /// a bundled key (case-insensitive). Anything else is an error suggesting the closest
    /// bundled key and listing them all.
    public static func resolve(_ keyOrPath: String) throws -> Vocabulary {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: keyOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try load(path: keyOrPath)
        }
        if bundledKey(matching: keyOrPath) != nil { return try load(key: keyOrPath) }
        if let scene = SceneVocabulary.bundledKey(matching: keyOrPath) { throw sceneKeyError(scene) }
        let looksLikePath = keyOrPath.contains("/") || keyOrPath.hasSuffix(".json")
        if looksLikePath {
            let available = bundledKeys.joined(separator: ", ")
            throw VocabularyError(.unknownVocabulary, file: keyOrPath, "no such vocabulary file; bundled keys: \(available)")
        }
        throw VocabularyError(.unknownVocabulary, file: keyOrPath,
                              unknownKeyMessage(keyOrPath, prefix: "not a file and not a bundled vocabulary key"))
    }

    /// Validates every `*.json` in `directory` (default: the bundled ones) and
    /// reports per file. Used by `ovseg vocab validate`. A bundled-style file
    /// reports per file, scene vocabularies checked as such. Used by `ovseg vocab validate`. A bundled-style file
    public static func validateAll(directory: String? = nil) -> [VocabularyFileReport] {
        let folder = directory.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? bundledDirectory
        return jsonFiles(in: folder).map { url in
            let stem = url.deletingPathExtension().lastPathComponent
            let displayName = directory == nil ? "Vocabularies/\(url.lastPathComponent)" : url.path
            if fileTask(atPath: url.path) == SceneVocabulary.task {
                switch SceneVocabulary.check(fileAt: url.path, displayName: displayName) {
                case .success(let vocabulary):
                    let mismatch = vocabulary.key == stem ? [] : [VocabularyError(.keyMismatch, file: displayName, entry: "key",
                        "key '\(vocabulary.key)' differs from the file name '\(stem)'")]
                    return VocabularyFileReport(file: displayName, key: vocabulary.key, fingerprint: vocabulary.fingerprint, problems: mismatch)
                case .failure(let problems):
                    return VocabularyFileReport(file: displayName, key: nil, fingerprint: nil, problems: problems.errors)
                }
            }
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

/// Edit distances between short names, for "did you mean …" suggestions.
public enum EditDistance {
    /// The Levenshtein distance between `a` and `b`: the fewest single-character insertions,
    /// deletions and substitutions that turn one into the other.
    public static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate closest to `text` by edit distance (ignoring case), when it is close enough
    /// to be a likely typo: at most a third of the longer name's characters differ (at least 2).
    public static func closest(to text: String, among candidates: [String]) -> String? {
        let query = text.lowercased()
        var best: (text: String, distance: Int)?
        for candidate in candidates {
            let distance = levenshtein(query, candidate.lowercased())
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        return best.distance <= max(2, max(query.count, best.text.count) / 3) ? best.text : nil
    }
}
