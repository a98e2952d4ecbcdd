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
              ovseg vocab export loveda --reduce-zero-label false -o loveda-ids.json
            """,
        subcommands: [List.self, Show.self, Validate.self, Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a vocabulary's JSON file, to edit it or to score ground truth encoded another way.",
            discussion: """
                The copy is the vocabulary's file with its key replaced. --reduce-zero-label false reads ground \
                truth as 0-based class ids where the dataset's release stores ids + 1 (e.g. LoveDA relabelled \
                by a training pipeline), true the reverse; the copy's key then gets -ids or -reduce-zero-label \
                (--key overrides it) and its runs have another vocabulary fingerprint than the original's, \
                so they are never compared with runs of the release encoding by mistake. Score with the copy \
                as --vocab FILE. `ovseg inspect` says when ground truth needs this.

                Examples:
                  ovseg vocab export potsdam -o my-potsdam.json
                  ovseg vocab export loveda --reduce-zero-label false -o loveda-ids.json
                  ovseg score --vocab loveda-ids.json --gt gt --pred pred -o run.ovseg.json
                """)

        @Argument(help: "A bundled key or a path to a vocabulary JSON file.")
        var vocabulary: String

        @Option(help: "Set the ground-truth encoding of the copy: true (ids + 1, 0 ignored) or false (0-based ids).")
        var reduceZeroLabel: Bool?

        @Option(help: "The copy's key (default: the original's, plus -ids or -reduce-zero-label when the encoding changes).")
        var key: String?

        @Option(name: .shortAndLong, help: "Vocabulary file to write (*.json).")
        var output: String

        func run() throws {
            try runReportingErrors {
                let original = try Vocabulary.resolve(vocabulary)
                let copy = try original.export(to: output, reduceZeroLabel: reduceZeroLabel, key: key)
                print("wrote \(output): \(copy.key), \(copy.classCount) classes, reduce_zero_label \(copy.encoding.reduceZeroLabel), fingerprint \(copy.fingerprint)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the bundled vocabularies.")

        func run() throws {
            try runReportingErrors {
                for key in Vocabulary.bundledKeys {
                    let vocabulary = try Vocabulary.load(key: key)
                    let splits = vocabulary.splits.map(\.name).joined(separator: ", ")
                    print("\(key.padding(toLength: 14, withPad: " ", startingAt: 0)) \(vocabulary.name) — \(vocabulary.classCount) classes; splits: \(splits)")
                }
                print("\nScene classification (ovseg classify score):")
                for key in SceneVocabulary.bundledKeys {
                    let vocabulary = try SceneVocabulary.load(key: key)
                    print("\(key.padding(toLength: 14, withPad: " ", startingAt: 0)) \(vocabulary.name) — \(vocabulary.classCount) scene classes")
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
                do {
                    print(try Vocabulary.resolve(vocabulary).summary(), terminator: "")
                } catch let error as VocabularyError where error.kind == .wrongTask {
                    // A scene-classification vocabulary (docs/scene-classification.md §1).
                    print(try SceneVocabulary.resolve(vocabulary).summary(), terminator: "")
                }
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
