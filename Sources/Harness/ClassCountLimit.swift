import Vocabulary

/// The most classes a run can score (docs/robustness.md §3).
///
/// Every count lives in a K×K confusion matrix, which the results file (schema
/// `ovseg-results/1`) stores densely, and each image record holds 3·K counts. At K = 10 000 that
/// is 10^8 matrix cells: 800 MB in memory per copy and over a gigabyte of results file, almost
/// all zeros. The largest open-vocabulary benchmarks have under a thousand classes (ADE20K-847),
/// so a vocabulary above the limit is refused before anything is read or allocated.
public enum ClassCountLimit {
    /// The largest vocabulary `score` and `eval` accept: 2048² cells = 32 MiB per matrix.
    public static let maximum = 2048

    /// Throws when `vocabulary` has more classes than `maximum`.
    public static func check(_ vocabulary: Vocabulary) throws(HarnessError) {
        let k = vocabulary.classCount
        guard k > maximum else { return }
        let cells = k * k
        throw HarnessError(.input, file: vocabulary.file,
            "\(vocabulary.file): vocabulary \(vocabulary.key) has \(k) classes; ovseg scores at most \(maximum): its confusion "
                + "matrix holds K² = \(cells) counts (\(cells * 8 / 1_000_000) MB per copy in memory, and the results file stores "
                + "all of them); merge classes or score a subset of the vocabulary")
    }
}
