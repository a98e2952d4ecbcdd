import ArgumentParser
import Vocabulary

struct Vocab: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and validate vocabularies.",
        discussion: """
            Examples:
              ovseg vocab list
              ovseg vocab show potsdam
              ovseg vocab validate my_dataset.json
            """,
        subcommands: [List.self, Show.self, Validate.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the bundled vocabularies.")

        func run() throws {
            try runReportingErrors {
                for key in Vocabulary.bundledKeys {
                    let vocabulary = try Vocabulary.load(key: key)
                    let splits = vocabulary.splits.map(\.name).joined(separator: ", ")
                    print("\(key.padding(toLength: 14, withPad: " ", startingAt: 0)) \(vocabulary.name) — \(vocabulary.classCount) classes; splits: \(splits)")
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a vocabulary's classes, colours, encoding and splits.")

        @Argument(help: "A bundled key or a path to a vocabulary JSON file.")
        var vocabulary: String

        func run() throws {
            try runReportingErrors {
                print(try Vocabulary.resolve(vocabulary).summary(), terminator: "")
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate vocabulary files (default: the bundled ones); exit 2 if any is invalid.")

        @Argument(help: "Vocabulary files or folders to validate.")
        var paths: [String] = []

        func run() throws {
            var reports: [VocabularyFileReport] = []
            if paths.isEmpty {
                reports = Vocabulary.validateAll()
            } else {
                for path in paths {
                    if path.hasSuffix(".json") {
                        let problems = Vocabulary.problems(inFileAt: path)
                        reports.append(VocabularyFileReport(file: path, key: nil, fingerprint: nil, problems: problems))
                    } else {
                        reports += Vocabulary.validateAll(directory: path)
                    }
                }
            }
            var invalid = 0
            for report in reports {
                if report.isValid {
                    print("ok       \(report.file)\(report.fingerprint.map { "  \($0)" } ?? "")")
                } else {
                    invalid += 1
                    print("invalid  \(report.file)")
                    for problem in report.problems { print("         \(problem)") }
                }
            }
            if reports.isEmpty {
                Terminal.error("no vocabulary files found")
                throw ExitCode(2)
            }
            if invalid > 0 { throw ExitCode(2) }
        }
    }
}
