/// Escaping of user-supplied text (method and class names, titles, paths) for every output format.
///
/// Nothing a user typed ever reaches a report unescaped: HTML and SVG text goes through
/// `HTMLText.escape`, Markdown text through `MarkdownText.escape`.
public enum HTMLText {
    /// Escapes `& < > " '` so the text is inert in element content and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

public enum MarkdownText {
    /// Characters that would start Markdown or HTML syntax inside a GFM table cell or paragraph.
    static let special: Set<Character> = ["\\", "`", "*", "_", "[", "]", "<", ">", "|", "&", "~", "#", "!", "$"]

    /// Escapes text for a GFM table cell or a line of prose: backslash-escapes Markdown
    /// punctuation (so `|` cannot split a cell, backticks cannot open code, `<script>` is text)
    /// and turns line breaks and tabs into spaces (a table row must stay on one line).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            if character.isNewline || character == "\t" {
                out.append(" ")
            } else if special.contains(character) {
                out.append("\\")
                out.append(character)
            } else if character == "\u{0}" {
                out.append("\u{FFFD}")
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// A small builder for HTML that escapes all text and attribute values it is given.
///
/// Only `raw` inserts markup as is, and it is used solely for markup this module generated
/// (the SVG charts, themselves built with escaped text).
struct HTMLWriter {
    private(set) var output = ""

    mutating func raw(_ markup: String) { output += markup }

    mutating func text(_ text: String) { output += HTMLText.escape(text) }

    mutating func open(_ tag: String, _ attributes: [(String, String)] = []) {
        output += "<" + tag
        for (name, value) in attributes { output += " \(name)=\"\(HTMLText.escape(value))\"" }
        output += ">"
    }

    mutating func close(_ tag: String) { output += "</\(tag)>" }

    mutating func line() { output += "\n" }

    /// `<tag attributes>escaped text</tag>`.
    mutating func element(_ tag: String, _ attributes: [(String, String)] = [], text: String) {
        open(tag, attributes)
        self.text(text)
        close(tag)
    }

    /// `<tag attributes>…</tag>` around whatever `body` writes.
    mutating func element(_ tag: String, _ attributes: [(String, String)] = [], body: (inout HTMLWriter) -> Void) {
        open(tag, attributes)
        body(&self)
        close(tag)
    }
}

/// Text for a terminal or a log: control characters other than line feed and tab (carriage
/// return, escape sequences, C1 controls) are shown as `\u{…}` escapes, so a method, class or file
/// name cannot move the cursor, recolour the screen or overwrite a `FAIL:` line.
public enum TerminalText {
    public static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) { out += scalar.escaped(asASCII: true) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
    }
}
