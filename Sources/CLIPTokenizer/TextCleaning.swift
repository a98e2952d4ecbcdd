import Foundation

/// open_clip's `clean='lower'` text normalisation:
/// `whitespace_clean(basic_clean(text)).lower()`, where `basic_clean` is
/// `ftfy.fix_text`, then `html.unescape` twice, then `strip()`.
///
/// ftfy is re-stated for the fixers its default configuration runs on
/// ordinary text: HTML entities (only when the line has no `<`), C1 controls
/// read as Windows-1252, Latin ligatures, full/half-width forms, curly quotes,
/// line breaks, ANSI escapes, control characters, NFC — repeated to a fixed
/// point. **Not** re-stated: ftfy's mojibake repair (`fix_encoding`), and HTML
/// named entities beyond a common set (see `namedEntities`); text that needs
/// either can tokenize differently from open_clip.
enum TextCleaning {
    static func clean(_ text: String) -> [Unicode.Scalar] {
        var scalars = fixText(Array(text.unicodeScalars))
        scalars = htmlUnescape(htmlUnescape(scalars))
        // " ".join(text.split()) then .strip() (Python str.isspace semantics), then .lower().
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if isPythonSpace(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return lowercased(Array(words.joined(separator: [" "])))
    }

    /// Python `str.isspace()`: bidirectional class WS/B/S or category Zs.
    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Python `str.lower()`: full lower-case mappings plus the Final_Sigma rule.
    static func lowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for (i, scalar) in scalars.enumerated() {
            if scalar.value == 0x03A3 {
                var j = i - 1
                while j >= 0 && scalars[j].properties.isCaseIgnorable { j -= 1 }
                var final = j >= 0 && scalars[j].properties.isCased
                if final {
                    var k = i + 1
                    while k < scalars.count && scalars[k].properties.isCaseIgnorable { k += 1 }
                    final = k == scalars.count || !scalars[k].properties.isCased
                }
                result.append(final ? "\u{03C2}" : "\u{03C3}")
            } else if scalar.isASCII {
                let v = scalar.value
                result.append((0x41...0x5A).contains(v) ? Unicode.Scalar(UInt8(v + 32)) : scalar)
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return result
    }

    // MARK: ftfy.fix_text (default configuration, without mojibake repair)

    static func fixText(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // fix_text works line by line (segments end after "\n"); once a segment
        // contains "<", HTML unescaping stays off for the rest of the text.
        var output: [Unicode.Scalar] = []
        var unescape = true
        var start = 0
        while start < scalars.count {
            var end = start
            while end < scalars.count && scalars[end] != "\n" { end += 1 }
            if end < scalars.count { end += 1 }
            var segment = Array(scalars[start..<end])
            if segment.contains("<") { unescape = false }
            for _ in 0..<16 {  // fix_and_explain repeats until nothing changes
                let before = segment
                if unescape { segment = ftfyUnescape(segment) }
                segment = segment.flatMap(fixC1Ligature)
                segment = fixWidthAndQuotes(segment)
                segment = fixLineBreaks(segment)
                segment = removeTerminalEscapes(segment)
                segment = segment.filter { !isControl($0) }
                segment = Array(String(String.UnicodeScalarView(segment)).precomposedStringWithCanonicalMapping.unicodeScalars)
                if segment == before { break }
            }
            output += segment
            start = end
        }
        return output
    }

    /// Windows-1252 characters for C1 controls 0x80…0x9F (nil where undefined).
    static let windows1252: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
        0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018,
        0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC,
        0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A, 0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "\u{02BC}n", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
        0x01C4: "D\u{017D}", 0x01C5: "D\u{017E}", 0x01C6: "d\u{017E}", 0x01C7: "LJ", 0x01C8: "Lj", 0x01C9: "lj",
        0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj", 0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi",
        0xFB04: "ffl", 0xFB05: "\u{017F}t", 0xFB06: "st",
    ]

    /// fix_c1_controls then fix_latin_ligatures for one scalar.
    static func fixC1Ligature(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        if let mapped = windows1252[scalar.value], let replacement = Unicode.Scalar(mapped) { return [replacement] }
        if let text = ligatures[scalar.value] { return Array(text.unicodeScalars) }
        return [scalar]
    }

    /// fix_character_width (U+3000 and NFKC of U+FF01…U+FFEF) then uncurl_quotes.
    static func fixWidthAndQuotes(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        for scalar in scalars {
            switch scalar.value {
            case 0x3000:
                result.append(" ")
            case 0xFF01...0xFFEF:
                let folded = String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars
                result.append(contentsOf: folded.map(uncurl))
            default:
                result.append(uncurl(scalar))
            }
        }
        return result
    }

    static func uncurl(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x02BC, 0x2018...0x201B: return "'"
        case 0x201C...0x201F: return "\""
        default: return scalar
        }
    }

    /// fix_line_breaks: CRLF, CR, LS, PS, NEL → LF.
    static func fixLineBreaks(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        var i = 0
        while i < scalars.count {
            let v = scalars[i].value
            if v == 0x0D {
                result.append("\n")
                if i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
            } else if v == 0x2028 || v == 0x2029 || v == 0x85 {
                result.append("\n")
            } else {
                result.append(scalars[i])
            }
            i += 1
        }
        return result
    }

    /// remove_terminal_escapes: ESC [ (digits|;)* letter.
    static func removeTerminalEscapes(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        var i = 0
        while i < scalars.count {
            if scalars[i].value == 0x1B, i + 1 < scalars.count, scalars[i + 1] == "[" {
                var j = i + 2
                while j < scalars.count, scalars[j].properties.numericType == .decimal && scalars[j].isASCII || scalars[j] == ";" {
                    j += 1
                }
                if j < scalars.count, scalars[j].isASCII, scalars[j].properties.isAlphabetic {
                    i = j + 1
                    continue
                }
            }
            result.append(scalars[i])
            i += 1
        }
        return result
    }

    /// remove_control_chars.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }

    // MARK: HTML entities

    /// Named entities decoded here (a common subset of HTML5's table). The
    /// `legacy` ones are also accepted without a semicolon by Python's
    /// `html.unescape`.
    static let namedEntities: [String: (value: String, legacy: Bool)] = [
        "amp": ("&", true), "lt": ("<", true), "gt": (">", true), "quot": ("\"", true), "apos": ("'", false),
        "nbsp": ("\u{00A0}", true), "copy": ("\u{00A9}", true), "reg": ("\u{00AE}", true), "deg": ("\u{00B0}", true),
        "times": ("\u{00D7}", true), "middot": ("\u{00B7}", true), "laquo": ("\u{00AB}", true), "raquo": ("\u{00BB}", true),
        "ndash": ("\u{2013}", false), "mdash": ("\u{2014}", false), "lsquo": ("\u{2018}", false),
        "rsquo": ("\u{2019}", false), "ldquo": ("\u{201C}", false), "rdquo": ("\u{201D}", false),
        "hellip": ("\u{2026}", false), "eacute": ("\u{00E9}", true), "Eacute": ("\u{00C9}", true),
        "egrave": ("\u{00E8}", true), "agrave": ("\u{00E0}", true), "aacute": ("\u{00E1}", true),
        "ouml": ("\u{00F6}", true), "uuml": ("\u{00FC}", true), "auml": ("\u{00E4}", true), "szlig": ("\u{00DF}", true),
        "ccedil": ("\u{00E7}", true), "ntilde": ("\u{00F1}", true), "micro": ("\u{00B5}", true), "sup2": ("\u{00B2}", true),
    ]

    /// ftfy's `unescape_html`: only `&name;` / `&#n;` / `&#xh;` forms (with the semicolon).
    static func ftfyUnescape(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        unescape(scalars, requireSemicolon: true)
    }

    /// Python `html.unescape`.
    static func htmlUnescape(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        unescape(scalars, requireSemicolon: false)
    }

    static func unescape(_ s: [Unicode.Scalar], requireSemicolon: Bool) -> [Unicode.Scalar] {
        guard s.contains("&") else { return s }
        var result: [Unicode.Scalar] = []
        var i = 0
        while i < s.count {
            guard s[i] == "&", i + 1 < s.count else { result.append(s[i]); i += 1; continue }
            if s[i + 1] == "#" {
                // Numeric reference: &#123; or &#x1F; (semicolon optional for html.unescape).
                var j = i + 2
                let hex = j < s.count && (s[j] == "x" || s[j] == "X")
                if hex { j += 1 }
                let digitsStart = j
                while j < s.count, let _ = Int(String(s[j]), radix: hex ? 16 : 10), s[j].isASCII { j += 1 }
                let hasSemicolon = j < s.count && s[j] == ";"
                if j > digitsStart, hasSemicolon || !requireSemicolon {
                    let digits = String(String.UnicodeScalarView(s[digitsStart..<j]))
                    result += characterReference(UInt64(digits.prefix(12), radix: hex ? 16 : 10) ?? UInt64.max)
                    i = hasSemicolon ? j + 1 : j
                    continue
                }
                result.append(s[i]); i += 1
                continue
            }
            var j = i + 1
            while j < s.count, j - i <= 32, s[j].isASCII, s[j].properties.isAlphabetic || s[j].properties.numericType != nil { j += 1 }
            let name = String(String.UnicodeScalarView(s[(i + 1)..<j]))
            if j < s.count, s[j] == ";", let entity = namedEntities[name] {
                result += entity.value.unicodeScalars
                i = j + 1
                continue
            }
            if !requireSemicolon {
                // Longest legacy entity that prefixes the name, as html.unescape does.
                if let length = (1...max(1, name.count)).reversed().first(where: { namedEntities[String(name.prefix($0))]?.legacy == true }),
                   let entity = namedEntities[String(name.prefix(length))] {
                    result += entity.value.unicodeScalars
                    i += 1 + length
                    continue
                }
            }
            result.append(s[i])
            i += 1
        }
        return result
    }

    /// Python `html._replace_charref` for a numeric reference.
    static func characterReference(_ value: UInt64) -> [Unicode.Scalar] {
        if value <= 0x9F, value >= 0x80, let mapped = windows1252[UInt32(value)], let scalar = Unicode.Scalar(mapped) {
            return [scalar]
        }
        if value == 0 || (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return ["\u{FFFD}"] }
        if value == 0x0D { return ["\r"] }
        if value == 0x81 || value == 0x8D || value == 0x8F || value == 0x90 || value == 0x9D {
            return [Unicode.Scalar(UInt32(value)) ?? "\u{FFFD}"]
        }
        let v = UInt32(value)
        let invalid = (0x1...0x8).contains(v) || v == 0xB || (0xE...0x1F).contains(v) || (0x7F...0x9F).contains(v)
            || (0xFDD0...0xFDEF).contains(v) || (v & 0xFFFE) == 0xFFFE
        if invalid { return [] }
        guard let scalar = Unicode.Scalar(v) else { return ["\u{FFFD}"] }
        return [scalar]
    }
}
