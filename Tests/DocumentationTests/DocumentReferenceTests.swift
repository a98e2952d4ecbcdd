import Foundation
import Testing

/// Every `*.md` file that the code, the scripts, the Python reference, the README or the docs name
/// must exist in the repository, and every `§N` cited right after a document of `docs/` must be one
/// of its section headings: a reader who clones the repository can follow every reference.
@Suite("Document references")
struct DocumentReferenceTests {
    @Test func everyNamedDocumentExists() throws {
        let checker = DocumentReferenceChecker(root: DocumentReferenceChecker.repositoryRoot)
        let files = try checker.scannedFiles()
        #expect(files.count > 100, "found only \(files.count) files to scan under \(checker.root.path)")
        var problems: [String] = []
        // This file quotes bogus references on purpose (`aBogusReferenceIsCaught`).
        let own = URL(fileURLWithPath: #filePath).standardizedFileURL.path
        for file in files where file.standardizedFileURL.path != own {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            problems += checker.problems(in: text, of: file)
        }
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
    }

    @Test func aBogusReferenceIsCaught() {
        let checker = DocumentReferenceChecker(root: DocumentReferenceChecker.repositoryRoot)
        let file = checker.root.appendingPathComponent("Sources/Metrics/Scores.swift")
        let text = """
            /// Fine: docs/metrics.md §4, README.md, Demo/README.md, [link](docs/reproducibility.md).
            /// Generated or run-time names: report.md, DIR/report.md, workspace.path + "/summary.md", \\(out)/report.md.
            /// A URL: https://github.com/open-mmlab/mmsegmentation/blob/main/README.md
            /// Missing: ovseg-metrics.md §4 and docs/no-such-page.md.
            /// Outside the repository: ../shared/reference/metrics.md.
            /// No such section: docs/metrics.md §99, docs/segmentation-core.md §4.9, §4.99.
            """
        let problems = checker.problems(in: text, of: file)
        #expect(problems.count == 5, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("Sources/Metrics/Scores.swift:4: ovseg-metrics.md ") })
        #expect(problems.contains { $0.hasPrefix("Sources/Metrics/Scores.swift:4: docs/no-such-page.md ") })
        #expect(problems.contains { $0.hasPrefix("Sources/Metrics/Scores.swift:5: ../shared/reference/metrics.md ") })
        #expect(problems.contains { $0.contains(":6: docs/metrics.md §99") })
        #expect(problems.contains { $0.contains(":6: docs/segmentation-core.md §4.99") })
    }
}

/// Finds `*.md` names in text files and checks them against the repository.
struct DocumentReferenceChecker {
    /// The repository: this file is `Tests/DocumentationTests/<name>.swift`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What is scanned, relative to the root.
    static let scannedPaths = [
        "Sources", "Tests", "scripts", "reference", "docs", "Demo", "examples", "Benchmarks", "README.md",
    ]
    /// Text files by extension.
    static let textExtensions: Set<String> = ["swift", "py", "sh", "md", "txt", "json", "yml", "yaml", "toml", "c", "h"]
    /// Folders of captured output (test fixtures, golden snapshots): they quote what the code
    /// generates, which is checked where it is generated.
    static let skippedFolders: Set<String> = ["Fixtures", "Snapshots", ".build", "__pycache__"]
    /// File names of Markdown files that ovseg or its tests write or read at run time (`ovseg
    /// report` output such as `DIR/report.md`, CI step summaries, the Gate tests' snapshot files,
    /// which `expectSnapshot` finds in `Tests/GateTests/Snapshots`): a name that does not resolve
    /// but ends in one of these is a run-time path, not a reference to a document.
    static let runtimeNames: Set<String> = [
        "report.md", "summary.md", "two-decimals.md", "noise-fail.md", "noise-pass.md", "suite.md",
    ]

    let root: URL

    /// A name ending in `.md`, not preceded by a path or word character (so `x + "/report.md"` and
    /// absolute paths are run-time paths, not references), then any `§N` sections cited right after it.
    private static let reference = try! NSRegularExpression(
        pattern: #"(?<![A-Za-z0-9_./\\-])([A-Za-z0-9_.][A-Za-z0-9_./-]*\.md)(?![A-Za-z0-9_])"#)
    private static let sections = try! NSRegularExpression(
        pattern: #"^`?\s*§\s?(\d+(?:\.\d+)*)((?:\s*(?:,|–|-|and)\s*§\s?\d+(?:\.\d+)*)*)"#)
    private static let sectionNumber = try! NSRegularExpression(pattern: #"§\s?(\d+(?:\.\d+)*)"#)
    private static let url = try! NSRegularExpression(pattern: #"[a-z]+://\S+"#)

    func scannedFiles() throws -> [URL] {
        var files: [URL] = []
        let manager = FileManager.default
        for path in Self.scannedPaths {
            let url = root.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            guard isDirectory.boolValue else {
                files.append(url)
                continue
            }
            guard let walker = manager.enumerator(at: url, includingPropertiesForKeys: [.isDirectoryKey]) else { continue }
            for case let item as URL in walker {
                if Self.skippedFolders.contains(item.lastPathComponent) {
                    walker.skipDescendants()
                    continue
                }
                if Self.textExtensions.contains(item.pathExtension) { files.append(item) }
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// One message per unresolved name or missing section: `path:line: name …`.
    func problems(in text: String, of file: URL) -> [String] {
        let relativePath = String(file.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
        var problems: [String] = []
        for (index, rawLine) in text.components(separatedBy: "\n").enumerated() {
            guard rawLine.contains(".md") else { continue }
            let line = Self.url.stringByReplacingMatches(
                in: rawLine, range: NSRange(rawLine.startIndex..., in: rawLine), withTemplate: "URL")
            let whole = line as NSString
            for match in Self.reference.matches(in: line, range: NSRange(location: 0, length: whole.length)) {
                let name = whole.substring(with: match.range(at: 1))
                guard let target = resolve(name, from: file) else {
                    if !Self.runtimeNames.contains((name as NSString).lastPathComponent) {
                        problems.append("\(relativePath):\(index + 1): \(name) does not exist in the repository")
                    }
                    continue
                }
                let rest = whole.substring(from: match.range.location + match.range.length)
                for section in citedSections(in: rest) where !document(target, hasSection: section) {
                    problems.append("\(relativePath):\(index + 1): \(name) §\(section) is not a section of \(name)")
                }
            }
        }
        return problems
    }

    /// The file a name refers to: relative to the repository root, to `docs/`, or to the naming
    /// file's folder; nil when none exists or the name leaves the repository.
    func resolve(_ name: String, from file: URL) -> URL? {
        let bases = [root, root.appendingPathComponent("docs"), file.deletingLastPathComponent()]
        let rootPath = root.standardizedFileURL.path + "/"
        for base in bases {
            let candidate = base.appendingPathComponent(name).standardizedFileURL
            if candidate.path.hasPrefix(rootPath), FileManager.default.fileExists(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }

    /// Section numbers cited right after a name: `§4`, `§4.5–§4.8`, `§3.1, §3.2 and §4`.
    func citedSections(in rest: String) -> [String] {
        let text = rest as NSString
        guard let match = Self.sections.firstMatch(in: rest, range: NSRange(location: 0, length: text.length)) else {
            return []
        }
        let cited = text.substring(with: match.range)
        return Self.sectionNumber.matches(in: cited, range: NSRange(location: 0, length: (cited as NSString).length))
            .map { (cited as NSString).substring(with: $0.range(at: 1)) }
    }

    /// Whether a Markdown document of `docs/` has a heading numbered `section` (`## 4. …`,
    /// `### 4.5 …`). Documents elsewhere are not numbered, so their sections are not checked.
    func document(_ target: URL, hasSection section: String) -> Bool {
        guard target.deletingLastPathComponent().lastPathComponent == "docs",
            let text = try? String(contentsOf: target, encoding: .utf8)
        else { return true }
        return text.components(separatedBy: "\n").contains { line in
            guard line.hasPrefix("#") else { return false }
            let title = line.drop { $0 == "#" }.drop { $0 == " " }
            guard title.hasPrefix(section) else { return false }
            let after = title.dropFirst(section.count)
            return after.hasPrefix(". ") || after.hasPrefix(" ")
        }
    }
}
