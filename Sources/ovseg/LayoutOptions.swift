import ArgumentParser
import Foundation
import Harness
import Vocabulary

/// Where a run's files are listed instead of found in `--gt`/`images/`+`gt/` folders: a
/// vocabulary's release layout in `--data DIR`, or a `--pairs` CSV (docs/dataset-layouts.md).
struct DatasetLayoutOptions: ParsableArguments {
    @Option(help: "With --data DIR: find the files as the vocabulary's release layout NAME lays them out (e.g. official; see docs/dataset-layouts.md).")
    var layout: String?

    @Option(help: "With --layout: only the layout's subset NAME (e.g. val: the official validation tiles).")
    var subset: String?

    @Flag(help: "With --layout: score against the layout's eroded-boundary labels (ISPRS noBoundary ground truth).")
    var erodedBoundary = false

    @Option(help: "CSV listing the files, header image,label[,prediction][,id]; paths relative to the CSV's folder (see docs/dataset-layouts.md §5).")
    var pairs: String?

    /// True when files are listed (a layout or a pairs file).
    var listsFiles: Bool { layout != nil || pairs != nil }

    /// Refuses layout options without `--layout`, and both ways of listing at once.
    func validate(data: String?, gt: String?) throws {
        if layout != nil && pairs != nil { throw ValidationError("give --layout NAME (with --data DIR) or --pairs FILE, not both") }
        if layout == nil {
            if subset != nil { throw ValidationError("--subset selects part of a release layout: give --layout NAME too") }
            if erodedBoundary { throw ValidationError("--eroded-boundary selects a release layout's labels: give --layout NAME too") }
        }
        if layout != nil {
            guard data != nil else { throw ValidationError("--layout NAME needs --data DIR, the folder the release is unpacked in") }
            if gt != nil { throw ValidationError("--layout finds the ground truth in --data DIR: leave out --gt") }
        }
        if pairs != nil, let other = [("--data", data), ("--gt", gt)].first(where: { $0.1 != nil }) {
            throw ValidationError("--pairs FILE lists the files itself: leave out \(other.0)")
        }
    }

    /// The listed dataset, or nil when neither `--layout` nor `--pairs` was given. A layout needs
    /// the vocabulary that declares it; a pairs file needs none.
    func listed(
        vocabulary: Vocabulary?, data: String?, needsImages: Bool, needsPredictions: Bool
    ) throws -> ListedDataset? {
        if let pairs { return try PairsFile.read(pairs, needsImages: needsImages, needsPredictions: needsPredictions) }
        guard let name = layout, let data else { return nil }
        guard let vocabulary else { throw ValidationError("--layout needs --vocab: the vocabulary declares the layout") }
        let layout = try vocabulary.layout(named: name)
        var variant: String?
        if erodedBoundary {
            guard layout.variant(named: LayoutLabelVariant.eroded) != nil else {
                throw ValidationError(
                    "--eroded-boundary: layout \(name) of \(vocabulary.key) has no eroded label variant; "
                        + "vocabularies whose layouts have one: \(Self.vocabulariesWithErodedLabels().joined(separator: ", "))")
            }
            variant = LayoutLabelVariant.eroded
        }
        return try LayoutDiscovery.discover(LayoutDiscovery.Request(
            layout: layout, vocabulary: vocabulary.key, root: data, subset: subset, labelVariant: variant,
            needsImages: needsImages))
    }

    /// Bundled vocabularies with a layout that has an `eroded` label variant.
    static func vocabulariesWithErodedLabels() -> [String] {
        Vocabulary.bundledKeys.filter { key in
            guard let vocabulary = try? Vocabulary.load(key: key) else { return false }
            return vocabulary.layouts.contains { $0.variant(named: LayoutLabelVariant.eroded) != nil }
        }
    }
}
