/// How the values of a gray or palette prediction file stand for class ids.
///
/// Most tools write class ids, but mmseg 1.x writes `pred + 1` when its dataset uses
/// `reduce_zero_label` (its `format_only` output for LoveDA, Potsdam and Vaihingen): read as ids,
/// every pixel is one class off and the last class is out of range. Naming the encoding lets
/// such files be scored as they were meant, and the results file records how they were read.
///
/// The encoding changes how files are read, not what is measured: the same predictions written
/// as ids and as ids + 1 give the same counts when each is read with its encoding.
public enum PredictionEncoding: Sendable, Equatable, Hashable, Codable {
    /// Values are class ids (the default).
    case classIDs
    /// mmseg's `reduce_zero_label`, as for ground truth: value v holds class v − 1;
    /// 0 and 255 hold no class (they are out-of-range predictions).
    case reduceZeroLabel
    /// Value v holds class v − n; values below n hold no class. `offset(0)` is `classIDs`.
    case offset(Int)

    /// The class id a raw file value stands for, or nil when it stands for no class (the
    /// result may still be out of range for a vocabulary; the caller checks against K).
    public func classID(ofRaw raw: Int) -> Int? {
        switch self {
        case .classIDs:
            return raw
        case .reduceZeroLabel:
            return raw == 0 || raw == 255 ? nil : raw - 1
        case .offset(let n):
            return raw < n ? nil : raw - n
        }
    }

    /// The smallest raw value that stands for class `id`, to name the shift in messages.
    public func rawValue(ofClass id: Int) -> Int {
        switch self {
        case .classIDs: return id
        case .reduceZeroLabel: return id + 1
        case .offset(let n): return id + n
        }
    }

    /// The name recorded in results files: `ids`, `reduce-zero-label` or `offset-N`.
    public var name: String {
        switch self.normalized {
        case .classIDs: return "ids"
        case .reduceZeroLabel: return "reduce-zero-label"
        case .offset(let n): return "offset-\(n)"
        }
    }

    /// Parses `name`; nil for anything else.
    public init?(name: String) {
        switch name {
        case "ids": self = .classIDs
        case "reduce-zero-label": self = .reduceZeroLabel
        default:
            guard name.hasPrefix("offset-"), let n = Int(name.dropFirst("offset-".count)), n > 0, n <= 65_535 else {
                return nil
            }
            self = .offset(n)
        }
    }

    /// A phrase for people: how a value becomes a class id.
    public var explanation: String {
        switch self.normalized {
        case .classIDs: return "values are class ids"
        case .reduceZeroLabel: return "mmseg reduce_zero_label output: value v is class v − 1, 0 and 255 are no class"
        case .offset(let n): return "value v is class v − \(n), values below \(n) are no class"
        }
    }

    /// The command-line option that selects this encoding (empty for the default).
    public var option: String {
        switch self.normalized {
        case .classIDs: return ""
        case .reduceZeroLabel: return "--pred-reduce-zero-label"
        case .offset(let n): return "--pred-offset \(n)"
        }
    }

    /// `offset(0)` is `classIDs`; everything else is itself.
    public var normalized: PredictionEncoding {
        if case .offset(let n) = self, n == 0 { return .classIDs }
        return self
    }

    /// True when values are read as they are.
    public var isClassIDs: Bool { normalized == .classIDs }
}
