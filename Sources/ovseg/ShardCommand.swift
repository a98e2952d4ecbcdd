import ArgumentParser
import Foundation
import Harness
import Vocabulary

/// `ovseg shard --list k/N`: the image ids of one shard, for inference jobs outside ovseg.
struct ShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard",
        abstract: "List the image ids of shard k of N, one per line.",
        discussion: """
            Prints exactly the ids `ovseg score --shard k/N` scores (with --gt) or `ovseg eval --shard k/N` \
            evaluates (with --data), so that an external inference job can predict just those images. \
            An id is the ground-truth file's path relative to its folder, without its extension and the \
            ground-truth suffix; its shard is the first 8 bytes of SHA-256(id as UTF-8), big-endian, \
            modulo N, plus 1. With --vocab V --data DIR --layout NAME (or --pairs FILE), the ids are \
            those the release layout's labels (or the CSV) give, as `ovseg score` and `eval` use them.
            """)

    @Option(help: "The shard to list, k/N with 1 ≤ k ≤ N.")
    var list: String

    @Option(help: "Folder of ground-truth label maps (png, tif, tiff), as given to `ovseg score --gt`.")
    var gt: String?

    @Option(help: "Dataset folder with images/ and gt/, as given to `ovseg eval --data`.")
    var data: String?

    @OptionGroup var suffixes: SuffixOptions

    @Option(help: "With --layout: the vocabulary whose release layout lists the files.")
    var vocab: String?

    @OptionGroup var listing: DatasetLayoutOptions

    func run() throws {
        try runReportingErrors {
            let shard = try Shard(parsing: list)
            if listing.listsFiles {
                try listing.validate(data: data, gt: gt)
                if listing.erodedBoundary { throw ValidationError("--eroded-boundary does not change which images a shard holds: leave it out") }
                let vocabulary = try vocab.map { try Vocabulary.resolve($0) }
                guard let listed = try listing.listed(vocabulary: vocabulary, data: data, needsImages: false, needsPredictions: false)
                else { throw ValidationError("--layout NAME needs --data DIR, the folder the release is unpacked in") }
                for id in shard.selecting(listed.images.map(\.id)) { print(id) }
                return
            }
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
