#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The largest image (width × height) ovseg decodes, checked against the file's header before
/// any pixel buffer is allocated (docs/robustness.md §3).
///
/// The built-in 2^31 pixels (a 46 340² tile) keeps a forged 60-byte header from asking for
/// gigabytes. A user with larger real tiles raises it with the environment variable
/// `OVSEG_MAX_PIXELS`; it bounds memory only and never changes a count, so results files do not
/// record it.
public enum PixelLimit {
    /// The environment variable that replaces the built-in limit.
    public static let variable = "OVSEG_MAX_PIXELS"
    /// The limit when the variable is not set.
    public static let builtIn = 1 << 31
    /// The largest value the variable may take (2^40 pixels: a terabyte of 8-bit labels).
    public static let ceiling = 1 << 40

    /// The limit in force: `OVSEG_MAX_PIXELS` if it is set and valid, else `builtIn` (the command
    /// line refuses an invalid value before running, see `validateEnvironment`).
    public static let current: Int = {
        guard let text = getenv(variable).map({ String(cString: $0) }), let value = parse(text) else { return builtIn }
        return value
    }()

    /// A whole number of pixels from 1 to `ceiling` (digits only, `_` allowed as a separator).
    public static func parse(_ text: String) -> Int? {
        let digits = text.filter { $0 != "_" }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
              (1...ceiling).contains(value) else { return nil }
        return value
    }

    /// An error message when `OVSEG_MAX_PIXELS` is set to something that is not a valid limit, else nil.
    public static func validateEnvironment() -> String? {
        guard let text = getenv(variable).map({ String(cString: $0) }), parse(text) == nil else { return nil }
        return "\(variable)=\(text.debugDescription): expected a whole number of pixels from 1 to \(ceiling) "
            + "(the largest width × height ovseg decodes; default \(builtIn))"
    }

    /// What the refusal of a too-large image adds: the limit's name and how to raise it.
    static func hint(_ limit: Int) -> String {
        "the limit is \(limit) pixels per image; raise it with the environment variable \(variable) (docs/robustness.md §3)"
    }
}
