import ArgumentParser
import Foundation
import Harness

/// `ovseg shard --list k/N`: the image ids of one shard, for inference jobs outside ovseg.
struct ShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard",
        abstract: "List the image ids of shard k of N, one per line.",
        discussion: """
            Prints exactly the ids `ovseg score --shard k/N` scores (with --gt) or `ovseg eval --shard k/N` \
            evaluates (with --data), so that an external inference job can predict just those images. \
            An id is the ground-truth file's path relative to its folder, without .png and the \
            ground-truth suffix; its shard is the first 8 bytes of SHA-256(id as UTF-8), big-endian, \
            modulo N, plus 1.
            """)

    @Option(help: "The shard to list, k/N with 1 ≤ k ≤ N.")
    var list: String

    @Option(help: "Folder of ground-truth label maps (PNG), as given to `ovseg score --gt`.")
    var gt: String?

    @Option(help: "Dataset folder with images/ and gt/, as given to `ovseg eval --data`.")
    var data: String?

    @OptionGroup var suffixes: SuffixOptions

    func run() throws {
        try runReportingErrors {
            let shard = try Shard(parsing: list)
            let ids: [String]
            switch try GroundTruthSource(gt: gt, data: data) {
            case .groundTruth(let gt):
                ids = try shard.imageIDs(groundTruthDirectory: gt, groundTruthSuffix: suffixes.gtSuffix)
            case .dataset(let dataset):
                ids = try shard.imageIDs(
                    dataset: dataset, groundTruthSuffix: suffixes.gtSuffix, imageSuffix: suffixes.predSuffix)
            }
            for id in ids { print(id) }
        }
    }
}
