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

    @Option(help: "Suffix removed from ground-truth file names before matching (as in score and eval).")
    var gtSuffix: String = ""

    @Option(help: "With --data: suffix removed from image file names (as `ovseg eval --pred-suffix`).")
    var predSuffix: String = ""

    func run() throws {
        try runReportingErrors {
            let shard = try Shard(parsing: list)
            let ids: [String]
            switch (gt, data) {
            case (let gt?, nil):
                ids = try shard.imageIDs(groundTruthDirectory: gt, groundTruthSuffix: gtSuffix)
            case (nil, let data?):
                ids = try shard.imageIDs(
                    dataset: EvaluationDataset(root: data), groundTruthSuffix: gtSuffix, imageSuffix: predSuffix)
            default:
                throw HarnessError("give exactly one of --gt DIR (a ground-truth folder) or --data DIR (images/ and gt/)")
            }
            for id in ids { print(id) }
        }
    }
}
