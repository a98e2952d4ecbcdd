import Metrics

/// A setting of a Harness request (scoring, pairing, merging, model evaluation) that an error
/// message suggests changing. Libraries name settings, never command-line options: a command
/// renders each setting as the option that sets it (`SettingMessage.rendered(naming:)`).
public enum HarnessSetting: Sendable, Hashable, CustomStringConvertible {
    /// `PairingOptions.skipMissingPredictions`.
    case skipMissingPredictions
    /// `PairingOptions.skipExtraPredictions`.
    case skipExtraPredictions
    /// `ScoreOptions.skipSizeMismatches`.
    case skipSizeMismatches
    /// `ScoreOptions.outOfRangeGroundTruth` with this value.
    case outOfRangeGroundTruth(OutOfRangeGroundTruth)
    /// `ScoreOptions.outOfRangePrediction` with this value.
    case outOfRangePrediction(OutOfRangePrediction)
    /// `ScoreOptions.predictionEncoding` with this value.
    case predictionEncoding(PredictionEncoding)
    /// `PairingOptions.groundTruthSuffix` with this value.
    case groundTruthSuffix(String)
    /// `PairingOptions.predictionSuffix` with this value.
    case predictionSuffix(String)
    /// `ScoreOptions.shard`.
    case shard
    /// `ShardMerger.merge(_:allowPartial:command:)`'s `allowPartial`.
    case allowPartial
    /// Model evaluation's `resume`.
    case resume
    /// Model evaluation's folder of saved predictions.
    case savePredictions

    /// The setting in words, with its value, e.g. "out-of-range prediction policy `void`".
    public var description: String {
        switch self {
        case .skipMissingPredictions: "the skip-missing-predictions setting"
        case .skipExtraPredictions: "the skip-extra-predictions setting"
        case .skipSizeMismatches: "the skip-size-mismatches setting"
        case .outOfRangeGroundTruth(let value): "out-of-range ground-truth policy `\(value.rawValue)`"
        case .outOfRangePrediction(let value): "out-of-range prediction policy `\(value.rawValue)`"
        case .predictionEncoding(let encoding): "prediction encoding `\(encoding.name)`"
        case .groundTruthSuffix(let suffix): "ground-truth suffix `\(suffix)`"
        case .predictionSuffix(let suffix): "prediction suffix `\(suffix)`"
        case .shard: "a shard setting"
        case .allowPartial: "the allow-partial setting"
        case .resume: "the resume setting"
        case .savePredictions: "a saved-predictions folder"
        }
    }
}

/// A message for a person that may name settings of a library (`HarnessSetting`, Reports'
/// `ReportSetting`). `description` names them as the library does; a command line renders them as
/// its options with `rendered(naming:)`, so the sentence stays one.
public struct SettingMessage<Setting: Sendable & Equatable & CustomStringConvertible>:
    Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation
{
    public enum Part: Sendable, Equatable {
        case text(String)
        case setting(Setting)
    }

    public private(set) var parts: [Part]

    public init(_ text: String) { parts = [.text(text)] }

    public init(stringLiteral value: String) { parts = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    /// The settings the message suggests, in order: the machine-readable hint.
    public var settings: [Setting] {
        parts.compactMap { if case .setting(let setting) = $0 { setting } else { nil } }
    }

    /// The message with each setting named by `name`.
    public func rendered(naming name: (Setting) -> String) -> String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .setting(let setting): name(setting)
            }
        }.joined()
    }

    public var description: String { rendered { $0.description } }

    public static func + (lhs: SettingMessage, rhs: SettingMessage) -> SettingMessage {
        var result = lhs
        result.parts += rhs.parts
        return result
    }

    public static func + (lhs: SettingMessage, rhs: String) -> SettingMessage { lhs + SettingMessage(rhs) }

    public static func + (lhs: String, rhs: SettingMessage) -> SettingMessage { SettingMessage(lhs) + rhs }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }

        public mutating func appendInterpolation(_ value: some Any) { parts.append(.text("\(value)")) }

        public mutating func appendInterpolation(setting: Setting) { parts.append(.setting(setting)) }

        public mutating func appendInterpolation(_ message: SettingMessage) { parts += message.parts }
    }
}

/// A message of Harness, naming `HarnessSetting`s.
public typealias HarnessMessage = SettingMessage<HarnessSetting>

/// Why a run could not be scored, merged, read or evaluated: a kind, the file it concerns where
/// there is one, a message for a person naming the file and the problem (and the settings that
/// would accept the input), and the lower-level error it wraps.
public struct HarnessError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Ground truth and predictions (or images) could not be paired by id.
        case pairing
        /// A label or image file could not be read or decoded.
        case labelFile
        /// A pair of files has different sizes.
        case sizeMismatch
        /// A label value is neither a class nor ignored.
        case outOfRange
        /// A results file could not be read, is invalid, or could not be written.
        case resultsFile
        /// Runs that measured different things were to be combined.
        case incomparable
        /// Sharding or merging shards failed.
        case shard
        /// The resume journal of a model evaluation is unusable.
        case journal
        /// A model evaluation could not run.
        case evaluation
        /// Anything else a caller gave that cannot be used.
        case input
    }

    public let kind: Kind
    /// The file or folder concerned, where there is one.
    public let file: String?
    public let message: HarnessMessage
    /// The error this one wraps, where there is one.
    public let underlying: (any Error)?

    public init(_ kind: Kind, file: String? = nil, _ message: HarnessMessage, underlying: (any Error)? = nil) {
        self.kind = kind
        self.file = file
        self.message = message
        self.underlying = underlying
    }

    public init(_ kind: Kind, file: String? = nil, _ message: String, underlying: (any Error)? = nil) {
        self.init(kind, file: file, HarnessMessage(message), underlying: underlying)
    }

    /// A message-only error of kind `input`.
    public init(_ message: String) { self.init(.input, HarnessMessage(message)) }

    /// Wraps a lower-level error: its description becomes the message.
    public init(_ kind: Kind, file: String? = nil, wrapping error: any Error) {
        self.init(kind, file: file, HarnessMessage("\(error)"), underlying: error)
    }

    /// The settings the message suggests changing.
    public var settings: [HarnessSetting] { message.settings }

    public var description: String { message.description }

    public static func == (lhs: HarnessError, rhs: HarnessError) -> Bool {
        lhs.kind == rhs.kind && lhs.file == rhs.file && lhs.message == rhs.message
    }
}
