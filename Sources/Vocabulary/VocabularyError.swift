/// A problem with a vocabulary file or a lookup in it.
///
/// The message always names the file and, where there is one, the entry at fault
/// (for example `classes[3].color` or `splits[zori-11-4].unseen`), so that a
/// person can fix the file without reading code.
public struct VocabularyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is; lets callers and tests tell problems apart
    /// without parsing messages.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case unreadableFile
        case malformedJSON
        case wrongSchema
        case missingKey
        case wrongType
        case unknownKey
        case invalidValue
        case classIDs
        case duplicateName
        case duplicateColor
        case colorOutOfRange
        case unknownClassInSplit
        case classBothSeenAndUnseen
        case emptySplitSide
        case splitWithoutSource
        case duplicateSplitName
        case badTemplate
        case ignoreOverlap
        case backgroundPolicy
        case keyMismatch
        case unknownVocabulary
        case unknownSplit
        /// A scene-classification vocabulary where a semantic one is needed, or the reverse.
        case wrongTask
    }

    public var kind: Kind
    /// The file as the user named it (or `Vocabularies/<key>.json` for bundled ones).
    public var file: String
    /// The entry at fault, e.g. `classes[2].name`; nil when the whole file is at fault.
    public var entry: String?
    /// What is wrong, in words.
    public var problem: String

    public init(_ kind: Kind, file: String, entry: String? = nil, _ problem: String) {
        self.kind = kind
        self.file = file
        self.entry = entry
        self.problem = problem
    }

    public var description: String {
        if let entry { return "\(file): \(entry): \(problem)" }
        return "\(file): \(problem)"
    }
}
