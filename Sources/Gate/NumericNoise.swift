import Harness
import Metrics

/// The numeric-noise comparison of two model runs: same images and ground truth, and a label
/// agreement bounded from the per-image counts.
///
/// **What is measured.** A results file keeps, per image and class, the true positives (TP), the
/// ground-truth pixels (GT) and the predicted pixels (pred), not the label maps. When one pixel's
/// predicted label changes (from a class or void to another class or void), its image's true
/// positives change by at most one in total (only the pixel's own ground-truth class can gain or
/// lose one), and its true plus false positives (FP = pred − TP) by at most two (one count leaves
/// the old class, one arrives at the new one). So an image whose counts differ by
/// T = Σ_c |ΔTP_c| and F = Σ_c |ΔFP_c| has **at least** max(T, ⌈(T + F) / 2⌉) pixels whose label
/// changed; N sums this over the images. N is a lower bound, never a count: changes that cancel in
/// an image's counts (two pixels of one ground-truth class trading labels a and b) and changes on
/// ignored pixels leave no trace in the counts.
///
/// M is the number of pixels the counts cover: per image the larger of its ground-truth and
/// predicted totals, that is, the evaluated pixels (plus, under `--out-of-range-gt mmseg-compatible`,
/// the out-of-range ground-truth pixels that received a prediction; when that policy and
/// `--out-of-range-prediction void` were both used, M can undercount them, which only makes the
/// figure stricter). The reported label agreement, 1 − N/M, is therefore an **upper bound** on the
/// share of pixels whose label is unchanged: "at least N of M pixels changed label". The check
/// fails when even this bound is below ``NoiseLimits/minLabelAgreement``; passing does not prove
/// that the true agreement reaches it.
///
/// Both runs must also list the same images with the same ground truth (file hash, size and
/// per-class ground-truth counts): the ground truth cannot move between two runs on the same data.
public struct NoiseComparison: Sendable, Equatable {
    /// The limits the comparison was made with.
    public let limits: NoiseLimits
    /// Images in the baseline.
    public let imageCount: Int
    /// How the images or their ground truth differ, or nil when they are identical.
    public let groundTruthDifference: String?
    /// The label-change bound; nil when the ground truth differs (the bound assumes it does not).
    public let labels: LabelChanges?

    /// True when the ground truth is identical and the label agreement bound reaches the minimum.
    public var passed: Bool { groundTruthDifference == nil && labels?.withinLimit == true }

    /// Compares the per-image counts of two runs.
    /// - Throws: when either file has no per-image counts.
    public init(baseline: RunRecord, run: RunRecord, limits: NoiseLimits) throws(HarnessError) {
        for (role, record) in [("baseline", baseline), ("run", run)] where record.images.isEmpty {
            throw HarnessError(.incomparable,
                "the \(role) (\(record.method)) has no per-image counts; the numeric-noise mode measures label "
                    + "agreement from them")
        }
        self.limits = limits
        imageCount = baseline.images.count
        groundTruthDifference = Self.groundTruthDifference(baseline, run)
        if groundTruthDifference == nil {
            labels = LabelChanges(baseline: baseline.images, run: run.images, minimumAgreement: limits.minLabelAgreement)
        } else {
            labels = nil
        }
    }

    /// At least how many pixels changed label between two sets of counts of one image:
    /// max(T, ⌈(T + F) / 2⌉) with T = Σ|ΔTP|, F = Σ|ΔFP| (see the type's documentation).
    public static func changedPixelsLowerBound(_ baseline: [ClassCounts], _ run: [ClassCounts]) -> UInt64 {
        var t: Int128 = 0
        var f: Int128 = 0
        for (b, r) in zip(baseline, run) {
            let deltaTP = Int128(r.truePositives) - Int128(b.truePositives)
            let deltaPredicted = Int128(r.predicted) - Int128(b.predicted)
            t += abs(deltaTP)
            f += abs(deltaPredicted - deltaTP)
        }
        return clamp(max(t, (t + f + 1) / 2))
    }

    /// The first way the image lists or the ground truth differ, with the number of images concerned.
    static func groundTruthDifference(_ baseline: RunRecord, _ run: RunRecord) -> String? {
        let baseIDs = baseline.images.map(\.id)
        let runIDs = run.images.map(\.id)
        if baseIDs != runIDs {
            let runSet = Set(runIDs)
            let baseSet = Set(baseIDs)
            let onlyBaseline = baseIDs.filter { !runSet.contains($0) }
            let onlyRun = runIDs.filter { !baseSet.contains($0) }
            var text = "the image lists differ (baseline \(baseIDs.count) images, run \(runIDs.count))"
            if let first = onlyBaseline.first {
                text += "; \(onlyBaseline.count) only in the baseline, first \(first)"
            }
            if let first = onlyRun.first {
                text += "; \(onlyRun.count) only in the run, first \(first)"
            }
            if onlyBaseline.isEmpty && onlyRun.isEmpty { text += "; the same ids in another order or repeated" }
            return text
        }
        var differing: [String] = []
        for (b, r) in zip(baseline.images, run.images) {
            if let difference = groundTruthDifference(b, r, classNames: baseline.classNames) {
                differing.append(difference)
            }
        }
        guard let first = differing.first else { return nil }
        return "the ground truth differs in \(differing.count) of \(baseIDs.count) images (it cannot move between "
            + "runs on the same data); first: \(first)"
    }

    static func groundTruthDifference(_ b: ImageRecord, _ r: ImageRecord, classNames: [String]) -> String? {
        if let labelsB = b.groundTruthLabelsSHA256, let labelsR = r.groundTruthLabelsSHA256 {
            // Both have decoded-label hashes: the files' encoding may differ, the labels may not.
            if labelsB != labelsR {
                return "image \(b.id): ground-truth labels \(labelsB) in the baseline, \(labelsR) in the run"
            }
        } else if b.groundTruthSHA256 != r.groundTruthSHA256 {
            return "image \(b.id): ground-truth file \(b.groundTruthSHA256) in the baseline, \(r.groundTruthSHA256) in the run"
        }
        if b.width != r.width || b.height != r.height {
            return "image \(b.id): \(b.width)×\(b.height) in the baseline, \(r.width)×\(r.height) in the run"
        }
        if b.counts.count != r.counts.count {
            return "image \(b.id): \(b.counts.count) classes in the baseline, \(r.counts.count) in the run"
        }
        for c in b.counts.indices where b.counts[c].groundTruth != r.counts[c].groundTruth {
            let name = c < classNames.count ? classNames[c] : "class \(c)"
            return "image \(b.id), \(name): \(b.counts[c].groundTruth) ground-truth pixels in the baseline, "
                + "\(r.counts[c].groundTruth) in the run"
        }
        return nil
    }

    static func clamp(_ value: Int128) -> UInt64 {
        value <= 0 ? 0 : (value >= Int128(UInt64.max) ? UInt64.max : UInt64(value))
    }
}

/// The label-change bound of a numeric-noise comparison (see ``NoiseComparison``).
public struct LabelChanges: Sendable, Equatable {
    /// One image's share of the bound.
    public struct Image: Sendable, Equatable {
        /// The image id (its path relative to the ground-truth folder, without extension).
        public let id: String
        /// At least this many of the image's pixels changed label.
        public let changedAtLeast: UInt64
        /// Pixels of the image the counts cover.
        public let coveredPixels: UInt64
    }

    /// M: pixels the per-image counts cover, over all images.
    public let coveredPixels: UInt64
    /// N: at least this many pixels changed label (a lower bound, see ``NoiseComparison``).
    public let changedAtLeast: UInt64
    /// Images whose counts show at least one changed pixel.
    public let imagesChanged: Int
    /// The image with the largest bound (the first by id on a tie); nil when no image changed.
    public let mostChanged: Image?
    /// The required agreement, in percent.
    public let minimumAgreement: Double
    /// True when 1 − N/M reaches the minimum (decided on integers, the minimum resolved to 1e-9 %).
    public let withinLimit: Bool

    /// 1 − N/M as a fraction: an upper bound on the share of unchanged labels; nil when M is 0.
    public var agreementUpperBound: Double? {
        coveredPixels == 0 ? nil : 1 - Double(min(changedAtLeast, coveredPixels)) / Double(coveredPixels)
    }

    /// Bounds the label changes between per-image counts listed in the same order.
    init(baseline: [ImageRecord], run: [ImageRecord], minimumAgreement: Double) {
        var covered: UInt64 = 0
        var changed: UInt64 = 0
        var imagesChanged = 0
        var mostChanged: Image?
        for (b, r) in zip(baseline, run) {
            let groundTruth = b.counts.reduce(UInt64(0)) { $0 &+ $1.groundTruth }
            let predicted = max(
                b.counts.reduce(UInt64(0)) { $0 &+ $1.predicted }, r.counts.reduce(UInt64(0)) { $0 &+ $1.predicted })
            let imagePixels = max(groundTruth, predicted)
            let imageChanged = NoiseComparison.changedPixelsLowerBound(b.counts, r.counts)
            covered = covered.addingReportingOverflow(imagePixels).overflow ? .max : covered + imagePixels
            changed = changed.addingReportingOverflow(imageChanged).overflow ? .max : changed + imageChanged
            if imageChanged > 0 {
                imagesChanged += 1
                if imageChanged > mostChanged?.changedAtLeast ?? 0 {
                    mostChanged = Image(id: b.id, changedAtLeast: imageChanged, coveredPixels: imagePixels)
                }
            }
        }
        self.init(
            coveredPixels: covered, changedAtLeast: changed, imagesChanged: imagesChanged, mostChanged: mostChanged,
            minimumAgreement: minimumAgreement)
    }

    /// A bound from its totals; `withinLimit` is computed.
    init(coveredPixels: UInt64, changedAtLeast: UInt64, imagesChanged: Int, mostChanged: Image?, minimumAgreement: Double) {
        self.coveredPixels = coveredPixels
        self.changedAtLeast = changedAtLeast
        self.imagesChanged = imagesChanged
        self.mostChanged = mostChanged
        self.minimumAgreement = minimumAgreement
        withinLimit = Self.agreementReaches(minimumAgreement, changed: changedAtLeast, covered: coveredPixels)
    }

    /// Whether (M − N)/M · 100 ≥ `percent`, exactly on integers with the percentage resolved to 1e-9.
    static func agreementReaches(_ percent: Double, changed: UInt64, covered: UInt64) -> Bool {
        guard covered > 0 else { return true }
        let unchanged = covered - min(changed, covered)
        let units = UInt64((min(max(percent, 0), 100) * 1e9).rounded())  // 1e-9 percent
        let lhs = unchanged.multipliedFullWidth(by: 100_000_000_000)  // 100 % in the same units
        let rhs = units.multipliedFullWidth(by: covered)
        return (lhs.high, lhs.low) >= (rhs.high, rhs.low)
    }
}
