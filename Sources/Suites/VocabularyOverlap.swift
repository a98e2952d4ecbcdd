import Foundation
import Vocabulary

/// The form class names are compared in across vocabularies (docs/suites.md §3): lower case,
/// punctuation as word breaks, each word made singular by a small English rule set, and the
/// words joined without spaces, so `Low_Vegetation`, `low vegetation` and `low-vegetation` agree,
/// as do `buildings`/`building`, `impervious surfaces`/`impervious surface` and `baresoil`/`bare soil`.
public enum ClassNameNormalization {
    /// Plurals the suffix rules get wrong.
    static let irregular: [String: String] = ["people": "person", "children": "child", "men": "man", "women": "woman"]

    /// The words of `text`: lower-cased, split at whitespace and punctuation (anything but letters
    /// and digits), each made singular (`singular(_:)`).
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.map(singular)
    }

    /// The comparison key of `text`: its normalised words joined without spaces.
    public static func key(_ text: String) -> String { words(text).joined() }

    /// The singular of one lower-case English word (docs/suites.md §3):
    /// irregular plurals from a table; words of three letters or fewer and words ending in
    /// `ss`, `us` or `is` unchanged (grass, bus, tennis, impervious); `-ies` → `-y` (factories);
    /// `-sses`, `-shes`, `-ches`, `-xes`, `-zes` lose `es` (benches, boxes); any other final `s`
    /// is dropped (buildings, trees, surfaces, houses).
    public static func singular(_ word: String) -> String {
        if let known = irregular[word] { return known }
        guard word.count > 3 else { return word }
        for ending in ["ss", "us", "is"] where word.hasSuffix(ending) { return word }
        if word.hasSuffix("ies") && word.count > 4 { return String(word.dropLast(3)) + "y" }
        for ending in ["sses", "shes", "ches", "xes", "zes"] where word.hasSuffix(ending) { return String(word.dropLast(2)) }
        if word.hasSuffix("s") { return String(word.dropLast()) }
        return word
    }
}

/// The seen/unseen division of a test vocabulary by what a training vocabulary names
/// (docs/suites.md §3): a test class is *seen* when its name or one of its synonyms matches a
/// training class's name or synonym after `ClassNameNormalization`, *unseen* otherwise. Each
/// vocabulary's background class (its `background.class`) takes no part: the test's belongs to
/// neither side (it counts in the all-class mIoU only, as in the vocabularies' own splits), and
/// the training vocabulary's matches nothing, since "background" names no learnt concept.
public struct VocabularyOverlap: Sendable, Equatable {
    /// How one seen test class was matched.
    public struct Match: Sendable, Equatable {
        /// The test class's id and canonical name.
        public var testClassID: Int
        public var testClass: String
        /// The test class's name or synonym that matched.
        public var testText: String
        /// The training class's canonical name, and the name or synonym of it that matched.
        public var trainingClass: String
        public var trainingText: String

        public init(testClassID: Int, testClass: String, testText: String, trainingClass: String, trainingText: String) {
            self.testClassID = testClassID
            self.testClass = testClass
            self.testText = testText
            self.trainingClass = trainingClass
            self.trainingText = trainingText
        }
    }

    /// The vocabulary keys.
    public let training: String
    public let test: String
    /// Test class ids in vocabulary order.
    public let seenIDs: [Int]
    public let unseenIDs: [Int]
    /// The test vocabulary's background class, in neither list (nil when it has none).
    public let excludedID: Int?
    /// One match per seen class, in the order of `seenIDs`.
    public let matches: [Match]
    /// The test class names, by id.
    public let testClassNames: [String]

    /// Matches every class of `test` against `training`. For each test class its name is tried
    /// first, then its synonyms in file order; for each text the training classes are tried in id
    /// order, each by name and then synonyms; the first agreement is the match.
    public init(training: Vocabulary, test: Vocabulary) {
        self.training = training.key
        self.test = test.key
        testClassNames = test.classes.map(\.name)
        let trainingBackground = training.background.className.flatMap(training.classID(named:))
        let candidates: [(key: String, text: String, name: String)] = training.classes
            .filter { $0.id != trainingBackground }
            .flatMap { vocabularyClass in vocabularyClass.allNames.map { (ClassNameNormalization.key($0), $0, vocabularyClass.name) } }
        let excluded = test.background.className.flatMap(test.classID(named:))
        var seen: [Int] = [], unseen: [Int] = [], matches: [Match] = []
        for testClass in test.classes where testClass.id != excluded {
            var found: Match?
            search: for text in testClass.allNames {
                let key = ClassNameNormalization.key(text)
                guard !key.isEmpty else { continue }
                for candidate in candidates where candidate.key == key {
                    found = Match(
                        testClassID: testClass.id, testClass: testClass.name, testText: text,
                        trainingClass: candidate.name, trainingText: candidate.text)
                    break search
                }
            }
            if let found {
                seen.append(testClass.id)
                matches.append(found)
            } else {
                unseen.append(testClass.id)
            }
        }
        seenIDs = seen
        unseenIDs = unseen
        excludedID = excluded
        self.matches = matches
    }

    /// Seen and unseen test class names, in vocabulary order.
    public var seen: [String] { seenIDs.map { testClassNames[$0] } }
    public var unseen: [String] { unseenIDs.map { testClassNames[$0] } }

    /// The split a run scores with: named after the training vocabulary, marked inferred
    /// (deduced by ovseg, not published).
    public var classSplit: ClassSplit {
        ClassSplit(
            name: "overlap-\(training)", seen: seen, unseen: unseen, seenIDs: seenIDs, unseenIDs: unseenIDs,
            source: "derived by ovseg from the class names shared with the training vocabulary \(training) (docs/suites.md §3)",
            inferred: true)
    }

    /// Lines that say what matched what: one per test class, for `ovseg suite split`.
    public var explanation: [String] {
        var lines: [String] = []
        for id in testClassNames.indices {
            if id == excludedID {
                lines.append("  \(testClassNames[id]): neither (the vocabulary's background class)")
            } else if let match = matches.first(where: { $0.testClassID == id }) {
                let via = match.testText == match.testClass ? "" : " via \"\(match.testText)\""
                let as_ = match.trainingText == match.trainingClass ? "" : " (as \"\(match.trainingText)\")"
                lines.append("  \(testClassNames[id]): seen\(via), matches \(training) \"\(match.trainingClass)\"\(as_)")
            } else {
                lines.append("  \(testClassNames[id]): unseen, no name or synonym matches \(training)")
            }
        }
        return lines
    }
}
