import CheckpointConversion
import Evaluation
import Harness
import Metrics
import Reports
import SyntheticData
import Vocabulary

/// The one place where the libraries' settings become this command line's options: errors name
/// settings (`HarnessSetting`, `ReportSetting`, `SplitSelectionError.Choice`,
/// `EvaluationError.Kind.setting`), and the message printed names the option that sets them.
enum OptionHints {
    /// The option (and value) that sets `setting`.
    static func option(for setting: HarnessSetting) -> String {
        switch setting {
        case .skipMissingPredictions: "--skip-missing"
        case .skipExtraPredictions: "--skip-extra"
        case .skipSizeMismatches: "--skip-size-mismatch"
        case .outOfRangeGroundTruth(let value): "--out-of-range-gt \(value.rawValue)"
        case .outOfRangePrediction(let value): "--out-of-range-prediction \(value.rawValue)"
        case .predictionEncoding(let encoding):
            switch encoding.normalized {
            case .reduceZeroLabel: "--pred-reduce-zero-label"
            case .offset(let n): "--pred-offset \(n)"
            case .classIDs: "reading class ids (no --pred-reduce-zero-label or --pred-offset)"
            }
        case .groundTruthSuffix(let suffix): "--gt-suffix \(suffix)"
        case .predictionSuffix(let suffix): "--pred-suffix \(suffix)"
        case .shard: "--shard"
        case .allowPartial: "--allow-partial"
        case .resume: "--resume"
        case .savePredictions: "--save-predictions DIR"
        }
    }

    /// The option (and value) that sets a report setting.
    static func option(for setting: ReportSetting) -> String {
        switch setting {
        case .predictionFolder(let method, let folder): "--pred \(method)=\(folder)"
        case .baseline(let method): "--baseline \(method)"
        case .allowMixed: "--allow-mixed"
        case .label(let text): "--label \(text)"
        }
    }

    /// The option that makes a split choice.
    static func option(for choice: SplitSelectionError.Choice) -> String {
        switch choice {
        case .name: "--split"
        case .none: "--no-split"
        case .classes: "--seen/--unseen"
        case .file: "--split-file"
        }
    }

    /// The option that sets an evaluation setting.
    static func option(for setting: EvaluationSetting) -> String {
        switch setting {
        case .attention: "--attention"
        case .background: "--background"
        case .longSide: "--long-side"
        case .threads: "--jobs"
        case .resume: "--resume"
        }
    }

    /// The option that sets a conversion setting.
    static func option(for setting: ConversionSetting) -> String {
        switch setting {
        case .visionHeads: "--vision-heads"
        case .textHeads: "--text-heads"
        case .hiddenActivation: "--hidden-act"
        }
    }

    /// The message to print for `error`, with settings named as options.
    static func message(for error: any Error) -> String {
        switch error {
        case let error as HarnessError:
            return error.message.rendered(naming: option(for:))
        case let error as ReportError:
            return error.message.rendered(naming: option(for:))
        case let error as SplitSelectionError:
            return error.message(naming: option(for:))
        case let error as EvaluationError:
            if case .setting(let setting) = error.kind { return "\(option(for: setting)): \(error.message)" }
            // A wrapped error whose description is the whole message: render it instead.
            if let underlying = error.underlying, error.message == "\(underlying)" { return message(for: underlying) }
            return error.description
        case let error as CheckpointConversionError:
            if case .setting(let setting, _)? = error.problem { return "\(error) (\(option(for: setting)))" }
            return error.description
        case let error as DemoCheckpointMissing:
            return "\(error) (--skip-model)"
        default:
            return "\(error)"
        }
    }
}
