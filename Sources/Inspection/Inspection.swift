import Foundation
import Harness
import LabelMaps
import Metrics
import Vocabulary

/// One thing `ovseg inspect` found: a problem (a likely misconfiguration that would give wrong
/// numbers or an error) or a note, with the `ovseg score` option that addresses it, if any.
public struct Finding: Sendable, Equatable {
    public enum Severity: String, Sendable { case problem, note }
    public let severity: Severity
    /// A stable name for tools (`gt-zero-based-ids`, `pred-shifted`, …).
    public let code: String
    public let message: String
    /// Options for `ovseg score` that fix it (empty when none does).
    public let options: [String]

    public init(_ severity: Severity, _ code: String, _ message: String, options: [String] = []) {
        self.severity = severity
        self.code = code
        self.message = message
        self.options = options
    }
}

/// Whether a folder's values fit one encoding of the vocabulary.
public struct EncodingFit: Sendable, Equatable {
    /// `ids`, `reduce_zero_label`, `colours`, `ids + 1`, …
    public let name: String
    /// Pixels whose value stands for no class and no ignore value under this encoding.
    public let outsidePixels: UInt64
    /// Pixels that would not be evaluated (ignore values or colours).
    public let ignoredPixels: UInt64
    public var consistent: Bool { outsidePixels == 0 }
}

/// One folder as the report shows it.
public struct FolderReport: Sendable, Equatable {
    public let role: String
    public let directory: String
    public let fileCount: Int
    /// Format name → number of files.
    public let formats: [(format: String, files: Int)]
    /// Gray and palette values over all such files.
    public let valueHistogram: [ValueCount]
    /// Colours over all RGB files.
    public let colorHistogram: [ValueCount]
    public let encodings: [EncodingFit]
    /// The encoding the verdict reads the folder with.
    public let chosenEncoding: String
    /// Files with values outside the chosen encoding, with those values.
    public let filesOutside: [(path: String, values: [UInt32], isColor: Bool)]

    public static func == (lhs: FolderReport, rhs: FolderReport) -> Bool {
        lhs.directory == rhs.directory && lhs.fileCount == rhs.fileCount && lhs.valueHistogram == rhs.valueHistogram
            && lhs.colorHistogram == rhs.colorHistogram && lhs.encodings == rhs.encodings
            && lhs.chosenEncoding == rhs.chosenEncoding
    }
}

/// What `ovseg inspect` concludes about a dataset's label files for one vocabulary.
public struct InspectionReport: Sendable, Equatable {
    public let vocabularyKey: String
    public let classCount: Int
    public let groundTruth: FolderReport
    public let predictions: FolderReport?
    public let findings: [Finding]
    /// The options to pass to `ovseg score` (besides --vocab, --gt, --pred, -o).
    public let scoreOptions: [String]
    /// The `--vocab` argument the verdict recommends (the vocabulary's key; another encoding is
    /// recommended as `--reduce-zero-label` in `scoreOptions`).
    public let vocabArgument: String
    /// An `ovseg vocab export` command writing a copy of the vocabulary; nil since encodings are
    /// overridden on the command line (kept for the JSON report's `vocab_export`).
    public let vocabExportCommand: String?

    /// True when nothing looks misconfigured.
    public var isConsistent: Bool { !findings.contains { $0.severity == .problem } }

    public static func == (lhs: InspectionReport, rhs: InspectionReport) -> Bool {
        lhs.groundTruth == rhs.groundTruth && lhs.predictions == rhs.predictions && lhs.findings == rhs.findings
            && lhs.scoreOptions == rhs.scoreOptions
    }
}

/// Reads a dataset's label files and says which encodings of a vocabulary they fit.
public enum Inspector {
    /// The vocabularies a folder may fit better than the one given.
    public static func bundledVocabularies() -> [Vocabulary] {
        Vocabulary.bundledKeys.compactMap { try? Vocabulary.load(key: $0) }
    }

    /// Reads the folders (each file once, in parallel) and diagnoses them.
    public static func inspect(
        vocabulary: Vocabulary, groundTruthDirectory: String, predictionDirectory: String?,
        pairing: PairingOptions = PairingOptions(), jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        others: [Vocabulary]? = nil, encodingArguments: [String] = []
    ) throws(HarnessError) -> InspectionReport {
        var buckets: [UInt32: UInt16] = [:]
        for color in vocabulary.encoding.ignoreColors { buckets[color.packed] = UInt16(JointCounts.ignoreColorBucket) }
        for item in vocabulary.classes where item.id < JointCounts.otherBucket { buckets[item.color.packed] = UInt16(item.id) }
        let survey = try LabelSurvey.read(
            groundTruthDirectory: groundTruthDirectory, predictionDirectory: predictionDirectory, colorBuckets: buckets,
            pairing: pairing, jobs: jobs)
        return diagnose(
            survey, vocabulary: vocabulary, others: others ?? bundledVocabularies(), encodingArguments: encodingArguments)
    }

    /// The diagnosis of a survey: pure, so tests can feed it surveys directly. `encodingArguments`
    /// are the encoding options `vocabulary` was overridden with (`--ignore 0`, …): the recommended
    /// score command starts with them.
    public static func diagnose(
        _ survey: LabelSurvey, vocabulary: Vocabulary, others: [Vocabulary], encodingArguments: [String] = []
    ) -> InspectionReport {
        var diagnosis = Diagnosis(
            vocabulary: vocabulary, others: others.filter { $0.key != vocabulary.key }, encodingArguments: encodingArguments)
        return diagnosis.run(survey)
    }
}

extension RGB {
    var packed: UInt32 { UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) }
}

/// Percent with one decimal, for messages.
func percent(_ part: UInt64, of whole: UInt64) -> String {
    whole == 0 ? "0 %" : String(format: "%.1f %%", 100 * Double(part) / Double(whole))
}

func colorName(_ packed: UInt32) -> String {
    "(\(packed >> 16 & 255),\(packed >> 8 & 255),\(packed & 255))"
}

/// The reasoning, one folder after the other.
struct Diagnosis {
    let vocabulary: Vocabulary
    let others: [Vocabulary]
    var findings: [Finding] = []
    var options: [String] = []
    var vocabArgument: String
    var vocabExportCommand: String?

    var k: Int { vocabulary.classCount }
    var ignore: Set<Int> { Set(vocabulary.encoding.ignoreValues) }

    init(vocabulary: Vocabulary, others: [Vocabulary], encodingArguments: [String] = []) {
        self.vocabulary = vocabulary
        self.others = others
        vocabArgument = vocabulary.key
        options = encodingArguments
    }

    /// Recommends scoring with `--reduce-zero-label` (replacing one the inspection was run with)
    /// instead of the vocabulary's setting.
    mutating func recommendReading(reduceZeroLabel: Bool) {
        if let position = options.firstIndex(of: "--reduce-zero-label"), position + 1 < options.count {
            options.removeSubrange(position...(position + 1))
        }
        options += ["--reduce-zero-label", reduceZeroLabel ? "yes" : "no"]
    }

    mutating func problem(_ code: String, _ message: String, options fix: [String] = []) {
        findings.append(Finding(.problem, code, message, options: fix))
        for option in fix where !options.contains(option) { options.append(option) }
    }

    mutating func note(_ code: String, _ message: String) {
        findings.append(Finding(.note, code, message))
    }

    // MARK: ground-truth encodings

    /// The class a ground-truth value stands for under ids (`reduce` false) or reduce_zero_label;
    /// −1 ignored, nil outside.
    func groundTruthClass(_ value: Int, reduce: Bool) -> Int? {
        let v = reduce ? ((value == 0 || value == 255) ? 255 : value - 1) : value
        if ignore.contains(v) { return -1 }
        return v >= 0 && v < k ? v : nil
    }

    func fit(_ histogram: [ValueCount], name: String, classOf: (Int) -> Int?) -> EncodingFit {
        var outside: UInt64 = 0, ignored: UInt64 = 0
        for entry in histogram {
            switch classOf(Int(entry.value)) {
            case nil: outside += entry.pixels
            case .some(-1): ignored += entry.pixels
            default: break
            }
        }
        return EncodingFit(name: name, outsidePixels: outside, ignoredPixels: ignored)
    }

    static func merged(_ files: [FileSummary], color: Bool) -> [ValueCount] {
        var counts: [UInt32: UInt64] = [:]
        for file in files where file.isColor == color {
            for entry in file.values { counts[entry.value, default: 0] += entry.pixels }
        }
        return counts.keys.sorted().map { ValueCount(value: $0, pixels: counts[$0] ?? 0) }
    }

    static func formats(_ files: [FileSummary]) -> [(format: String, files: Int)] {
        var counts: [String: Int] = [:]
        for file in files { counts[file.format, default: 0] += 1 }
        return counts.keys.sorted().map { ($0, counts[$0] ?? 0) }
    }

    static func filesOutside(_ files: [FileSummary], color: Bool, valid: (UInt32) -> Bool) -> [(path: String, values: [UInt32], isColor: Bool)] {
        files.compactMap { file in
            guard file.isColor == color else { return nil }
            let bad = file.values.map(\.value).filter { !valid($0) }
            return bad.isEmpty ? nil : (file.path, bad, color)
        }
    }

    static func listFiles(_ files: [(path: String, values: [UInt32], isColor: Bool)], limit: Int = 3) -> String {
        let shown = files.prefix(limit).map { file in
            let values = file.values.prefix(4).map { file.isColor ? colorName($0) : "\($0)" }.joined(separator: ", ")
            return "\(file.path) (\(values)\(file.values.count > 4 ? ", …" : ""))"
        }.joined(separator: "; ")
        return files.count > limit ? shown + "; … (\(files.count - limit) more files)" : shown
    }

    /// Colours a vocabulary knows: its class colours and ignore colours.
    static func knownColors(_ vocabulary: Vocabulary) -> Set<UInt32> {
        Set(vocabulary.classes.map(\.color.packed) + vocabulary.encoding.ignoreColors.map(\.packed))
    }

    /// The shipped vocabulary whose colours cover the most pixels, when it covers more than `vocabulary`.
    func betterColorVocabulary(_ histogram: [ValueCount]) -> (Vocabulary, UInt64)? {
        func covered(_ v: Vocabulary) -> UInt64 {
            let known = Self.knownColors(v)
            return histogram.filter { known.contains($0.value) }.reduce(0) { $0 + $1.pixels }
        }
        let own = covered(vocabulary)
        let best = others.map { ($0, covered($0)) }.max { $0.1 < $1.1 }
        guard let best, best.1 > own else { return nil }
        return best
    }

    /// A shipped vocabulary whose class count fits gray values that `vocabulary` cannot hold.
    func betterCountVocabulary(maxValue: Int) -> Vocabulary? {
        // Ids 0…max: the smallest vocabulary with more than max classes, preferring an exact count.
        let fitting = others.filter { $0.classCount > maxValue }.sorted { $0.classCount < $1.classCount }
        return fitting.first { $0.classCount == maxValue + 1 } ?? fitting.first
    }

    // MARK: run

    mutating func run(_ survey: LabelSurvey) -> InspectionReport {
        let (gtReport, gtReduce) = groundTruth(survey.groundTruth)
        var predictionReport: FolderReport?
        if let predictions = survey.predictions {
            if !survey.missingPredictions.isEmpty {
                problem(
                    "missing-predictions",
                    "\(survey.missingPredictions.count) ground-truth image(s) have no prediction (first: \(survey.missingPredictions[0]))",
                    options: ["--skip-missing"])
            }
            if !survey.extraPredictions.isEmpty {
                problem(
                    "extra-predictions",
                    "\(survey.extraPredictions.count) prediction(s) have no ground truth (first: \(survey.extraPredictions[0]))",
                    options: ["--skip-extra"])
            }
            if !survey.sizeMismatches.isEmpty {
                problem(
                    "size-mismatch",
                    "\(survey.sizeMismatches.count) pair(s) differ in size (first: \(survey.sizeMismatches[0]))",
                    options: ["--skip-size-mismatch"])
            }
            predictionReport = prediction(predictions, groundTruth: survey.groundTruth, joint: survey.joint ?? JointCounts(), reduce: gtReduce)
        }
        return InspectionReport(
            vocabularyKey: vocabulary.key, classCount: k, groundTruth: gtReport, predictions: predictionReport,
            findings: findings, scoreOptions: options, vocabArgument: vocabArgument, vocabExportCommand: vocabExportCommand)
    }

    /// Diagnoses the ground truth; returns its report and whether its gray values are read
    /// with reduce_zero_label.
    mutating func groundTruth(_ folder: FolderSurvey) -> (FolderReport, Bool) {
        let files = folder.files
        let values = Self.merged(files, color: false)
        let colors = Self.merged(files, color: true)
        let declared = vocabulary.encoding.reduceZeroLabel
        var encodings: [EncodingFit] = []
        var reduce = declared
        var chosen = declared ? "reduce_zero_label" : "ids"
        let key = vocabulary.key
        if !values.isEmpty {
            let ids = fit(values, name: "ids") { groundTruthClass($0, reduce: false) }
            let reduced = fit(values, name: "reduce_zero_label") { groundTruthClass($0, reduce: true) }
            encodings += [ids, reduced]
            let total = values.reduce(0) { $0 + $1.pixels }
            let count = { (v: Int) in values.first { $0.value == UInt32(v) }?.pixels ?? 0 }
            let present = Set(values.map { Int($0.value) })
            let copyText = { (flag: Bool) in
                "score with --reduce-zero-label \(flag ? "yes" : "no") (the vocabulary file stays as it is)"
            }
            if present.isSubset(of: [0, 255]) && present.count == 2 {
                problem(
                    "gt-binary-mask",
                    "the ground truth looks like binary 0/255 masks: \(percent(count(255), of: total)) of the pixels are 255, "
                        + "which \(key) ignores, so the foreground would not be scored; write class ids (0–\(k - 1)) instead")
            } else if ids.consistent && reduced.consistent {
                if declared && count(k) == 0 && Double(count(0)) >= 0.05 * Double(total) {
                    reduce = false
                    chosen = "ids"
                    recommendReading(reduceZeroLabel: false)
                    problem(
                        "gt-zero-based-ids",
                        "the ground truth looks like 0-based class ids: \(key) declares reduce_zero_label, which would ignore "
                            + "the \(percent(count(0), of: total)) of pixels at 0 and never see class \(k - 1) (value \(k) "
                            + "never occurs); \(copyText(false))")
                } else if !declared && count(0) == 0 && count(k) == 0 {
                    note("gt-encoding-ambiguous", "values 1–\(k - 1) fit both ids and reduce_zero_label; read as \(key) declares (ids)")
                }
            } else if !ids.consistent && reduced.consistent && !declared {
                reduce = true
                chosen = "reduce_zero_label"
                recommendReading(reduceZeroLabel: true)
                problem(
                    "gt-reduce-zero-label",
                    "the ground truth looks reduce_zero_label-encoded (values 1–\(k) with 0 as no-data; value \(k) is no class id "
                        + "of \(key)), but \(key) declares plain ids; \(copyText(true))")
            } else if ids.consistent && !reduced.consistent && declared {
                reduce = false
                chosen = "ids"
                recommendReading(reduceZeroLabel: false)
                problem(
                    "gt-zero-based-ids",
                    "the ground truth fits 0-based ids but not reduce_zero_label, which \(key) declares; \(copyText(false))")
            } else if !ids.consistent && !reduced.consistent {
                let outside = declared ? reduced.outsidePixels : ids.outsidePixels
                var message = "\(percent(outside, of: total)) of the ground-truth pixels hold values that are neither a class "
                    + "nor an ignore value of \(key) under any encoding (values up to \(values.last?.value ?? 0))"
                if let maxValue = values.map({ Int($0.value) }).filter({ !ignore.contains($0) }).max(),
                    let better = betterCountVocabulary(maxValue: maxValue)
                {
                    message += "; they fit \(better.key) (\(better.classCount) classes): check --vocab"
                }
                let small = Double(outside) < 0.01 * Double(total)
                problem("gt-out-of-range", message, options: small ? ["--out-of-range-gt", "ignore"] : [])
            }
            if let palettes = paletteCheck(files, classOf: { groundTruthClass($0, reduce: reduce) }) {
                encodings.append(palettes.fit)
                if let text = palettes.note { note("gt-palette", text) }
            }
            let ignoredPixels = (reduce ? reduced : ids).ignoredPixels
            if Double(ignoredPixels) > 0.5 * Double(total) && !findings.contains(where: { $0.code == "gt-binary-mask" }) {
                problem(
                    "gt-mostly-ignored",
                    "\(percent(ignoredPixels, of: total)) of the ground-truth pixels are ignore values of \(key) as read (\(chosen))")
            }
        }
        var outsideFiles: [(path: String, values: [UInt32], isColor: Bool)] =
            Self.filesOutside(files, color: false) { groundTruthClass(Int($0), reduce: reduce) != nil }
        if !colors.isEmpty {
            let known = Self.knownColors(vocabulary)
            let ignoreColors = Set(vocabulary.encoding.ignoreColors.map(\.packed))
            let outside = colors.filter { !known.contains($0.value) }.reduce(0) { $0 + $1.pixels }
            let ignored = colors.filter { ignoreColors.contains($0.value) }.reduce(0) { $0 + $1.pixels }
            let fit = EncodingFit(name: "colours", outsidePixels: outside, ignoredPixels: ignored)
            encodings.append(fit)
            if values.isEmpty { chosen = "colours" }
            let colorFiles = Self.filesOutside(files, color: true) { known.contains($0) }
            outsideFiles += colorFiles
            if !fit.consistent { colourProblem("gt", colors, outside: outside, files: colorFiles) }
            let total = colors.reduce(0) { $0 + $1.pixels }
            if Double(ignored) > 0.5 * Double(total) {
                problem(
                    "gt-mostly-ignored",
                    "\(percent(ignored, of: total)) of the ground-truth RGB pixels are ignore colours of \(key)")
            }
        }
        let report = FolderReport(
            role: "ground truth", directory: folder.directory, fileCount: files.count, formats: Self.formats(files),
            valueHistogram: values, colorHistogram: colors, encodings: encodings, chosenEncoding: chosen,
            filesOutside: outsideFiles)
        return (report, reduce)
    }

    mutating func colourProblem(_ side: String, _ colors: [ValueCount], outside: UInt64, files: [(path: String, values: [UInt32], isColor: Bool)]) {
        let total = colors.reduce(0) { $0 + $1.pixels }
        let known = Self.knownColors(vocabulary)
        let unknown = colors.filter { !known.contains($0.value) }.sorted { $0.pixels > $1.pixels }
        let who = side == "gt" ? "ground-truth" : "prediction"
        var message = "\(percent(outside, of: total)) of the \(who) RGB pixels have colours that are not \(vocabulary.key)'s ("
            + unknown.prefix(4).map { colorName($0.value) }.joined(separator: ", ") + (unknown.count > 4 ? ", …" : "") + ")"
        if colors.allSatisfy({ ($0.value >> 16) & 255 == ($0.value >> 8) & 255 && ($0.value >> 8) & 255 == $0.value & 255 }) {
            message += "; every colour is gray (r = g = b): the files look like class ids saved as RGB, save them as 8-bit gray PNGs"
        } else if let better = betterColorVocabulary(colors) {
            message += "; \(better.0.key)'s colours cover \(percent(better.1, of: total)) of them: check --vocab"
        }
        message += "; e.g. \(Self.listFiles(files, limit: 2))"
        problem("\(side)-unknown-colours", message)
    }

    /// How the palettes of palette files agree with the vocabulary: the encoding line "palette in
    /// the vocabulary's colours" (pixels whose index's colour is not its class's colour are outside),
    /// and a note when the colours mostly name other classes of the vocabulary than the indices do.
    func paletteCheck(_ files: [FileSummary], classOf: (Int) -> Int?) -> (fit: EncodingFit, note: String?)? {
        let colorIDs = Dictionary(vocabulary.classes.map { ($0.color.packed, $0.id) }, uniquingKeysWith: { a, _ in a })
        var mismatched: UInt64 = 0, other: UInt64 = 0, total: UInt64 = 0
        var example: String?
        for file in files {
            guard let palette = file.palette else { continue }
            for entry in file.values {
                total += entry.pixels
                guard let c = classOf(Int(entry.value)), c >= 0, c < k else { continue }
                guard Int(entry.value) < palette.count, palette[Int(entry.value)] == vocabulary.classes[c].color else {
                    other += entry.pixels
                    if Int(entry.value) < palette.count, let named = colorIDs[palette[Int(entry.value)].packed] {
                        mismatched += entry.pixels
                        if example == nil {
                            example = "\(file.path): index \(entry.value) (class \(vocabulary.classes[c].name)) has the colour of \(vocabulary.classes[named].name)"
                        }
                    }
                    continue
                }
            }
        }
        guard total > 0 else { return nil }
        let fit = EncodingFit(name: "palette in \(vocabulary.key)'s colours", outsidePixels: other, ignoredPixels: 0)
        guard let example, mismatched * 2 > total else { return (fit, nil) }
        return (fit, "the palettes' colours name other classes than the indices, which ovseg reads (\(example)); the colours only affect viewers")
    }

    // MARK: predictions

    mutating func prediction(_ folder: FolderSurvey, groundTruth: FolderSurvey, joint: JointCounts, reduce: Bool) -> FolderReport {
        let files = folder.files
        let values = Self.merged(files, color: false)
        let colors = Self.merged(files, color: true)
        let key = vocabulary.key
        let base = self
        let k = self.k
        var encodings: [EncodingFit] = []
        var chosen = "ids"
        var outsideFiles: [(path: String, values: [UInt32], isColor: Bool)] = []
        // Ground-truth class of a joint bucket: gray tables hold raw values, colour tables class ids.
        let gtClass: (Int, Int) -> Int? = { table, bucket in
            if table >= 2 { return bucket < k ? bucket : nil }
            guard bucket < JointCounts.otherBucket, let c = base.groundTruthClass(bucket, reduce: reduce), c >= 0 else { return nil }
            return c
        }
        // Per class: ground-truth pixels, and predicted pixels under the chosen reading.
        var gtHistogram = [UInt64](repeating: 0, count: k)
        var evaluated: UInt64 = 0
        for t in 0..<4 {
            for g in 0..<JointCounts.bucketCount {
                guard let c = gtClass(t, g) else { continue }
                for p in 0..<JointCounts.bucketCount {
                    let n = joint[t, g, p]
                    gtHistogram[c] += n
                    evaluated += n
                }
            }
        }
        var encoding = PredictionEncoding.classIDs
        if !values.isEmpty {
            let total = values.reduce(0) { $0 + $1.pixels }
            let present = Set(values.map { Int($0.value) })
            // Agreement with the ground truth when value = class + shift, over gray predictions.
            var agreement: [Int: UInt64] = [:]
            var grayEvaluated: UInt64 = 0
            for t in [0, 2] {
                for g in 0..<JointCounts.bucketCount {
                    guard let c = gtClass(t, g) else { continue }
                    for p in 0..<JointCounts.otherBucket {
                        let n = joint[t, g, p]
                        guard n > 0 else { continue }
                        grayEvaluated += n
                        let s = p - c
                        if (-1...8).contains(s) { agreement[s, default: 0] += n }
                    }
                }
            }
            let asRead = agreement[0] ?? 0
            let shifted = agreement.filter { $0.key != 0 }.max { ($0.value, -abs($0.key)) < ($1.value, -abs($1.key)) }
            var shift = 0
            if let shifted, Double(shifted.value) >= PredictionReadingDiagnostics.shiftedAgreementMinimum * Double(grayEvaluated),
                Double(shifted.value) > PredictionReadingDiagnostics.shiftedAgreementFactor * Double(asRead)
            {
                shift = shifted.key
            } else if grayEvaluated == 0 || asRead == 0 {
                // No overlap to go by: the histogram of values against the ground truth's classes.
                shift = histogramShift(values, gtHistogram: gtHistogram) ?? 0
            }
            encodings.append(fit(values, name: "ids") { $0 < k ? $0 : nil })
            if shift > 0 { encodings.append(fit(values, name: "ids + \(shift)") { $0 >= shift && $0 - shift < k ? $0 : nil }) }
            if present.isSubset(of: [0, 255]) && present.contains(255) {
                problem(
                    "pred-binary-mask",
                    "the predictions look like binary 0/255 masks (\(percent(values.first { $0.value == 255 }?.pixels ?? 0, of: total)) "
                        + "of the pixels are 255, no class of \(key)); write class ids (0–\(k - 1)), one per pixel")
            } else if shift > 0 {
                encoding = shift == 1 ? .reduceZeroLabel : .offset(shift)
                chosen = "ids + \(shift)"
                let evidence = agreement[shift].map {
                    " (\(percent($0, of: grayEvaluated)) of the evaluated pixels match read as ids + \(shift), "
                        + "\(percent(asRead, of: grayEvaluated)) read as ids)"
                } ?? ""
                problem(
                    "pred-shifted",
                    "the predictions hold class ids + \(shift)\(shift == 1 ? ", as mmseg's reduce_zero_label output does" : "")\(evidence); "
                        + "read them with \(encoding.option)",
                    options: encoding.option.split(separator: " ").map(String.init))
            } else if shift < 0 {
                problem(
                    "pred-shifted-down",
                    "the predictions hold class ids − \(-shift) (\(percent(agreement[shift] ?? 0, of: grayEvaluated)) of the "
                        + "evaluated pixels match that way, \(percent(asRead, of: grayEvaluated)) as ids); no option reads them: "
                        + "write class ids")
            }
            let reading = encoding
            let valid: (UInt32) -> Bool = { raw in
                guard let id = reading.classID(ofRaw: Int(raw)) else { return false }
                return id >= 0 && id < k
            }
            outsideFiles = Self.filesOutside(files, color: false, valid: valid)
            let outside = values.filter { !valid($0.value) }.reduce(0) { $0 + $1.pixels }
            if outside > 0 && !findings.contains(where: { $0.code == "pred-binary-mask" }) {
                var message = "\(percent(outside, of: total)) of the predicted pixels hold values that are no class of \(key) "
                    + "read as \(chosen) (e.g. \(Self.listFiles(outsideFiles)))"
                if let maxValue = values.last.map({ Int($0.value) }), let better = betterCountVocabulary(maxValue: maxValue - (shift > 0 ? shift : 0)) {
                    message += "; values up to \(maxValue) fit \(better.key) (\(better.classCount) classes) better: check --vocab"
                }
                let small = Double(outside) < 0.01 * Double(total)
                problem("pred-out-of-range", message, options: small ? ["--out-of-range-prediction", "void"] : [])
            }
            if let palettes = paletteCheck(files, classOf: { reading.classID(ofRaw: $0) }) {
                encodings.append(palettes.fit)
                if let text = palettes.note { note("pred-palette", text) }
            }
            if groundTruth.files.contains(where: \.isColor) {
                note("pred-other-encoding", "the predictions hold gray/palette values while the ground truth is colour-coded; each file is read by its own type")
            }
        }
        if !colors.isEmpty {
            let known = Set(vocabulary.classes.map(\.color.packed))
            let outside = colors.filter { !known.contains($0.value) }.reduce(0) { $0 + $1.pixels }
            encodings.append(EncodingFit(name: "colours", outsidePixels: outside, ignoredPixels: 0))
            if values.isEmpty { chosen = "colours" }
            let colorFiles = Self.filesOutside(files, color: true) { known.contains($0) }
            outsideFiles += colorFiles
            if outside > 0 { colourProblem("pred", colors, outside: outside, files: colorFiles) }
            if !encoding.isClassIDs {
                problem("pred-mixed", "some predictions are RGB, which \(encoding.option) does not apply to; save all predictions the same way")
            }
            if groundTruth.files.contains(where: { !$0.isColor }) {
                note("pred-other-encoding", "the predictions are colour-coded while the ground truth holds gray/palette values; each file is read by its own type")
            }
        }
        // Predicted pixels per class under the chosen reading, over evaluated pixels.
        var predicted = [UInt64](repeating: 0, count: k)
        for t in 0..<4 {
            for g in 0..<JointCounts.bucketCount where gtClass(t, g) != nil {
                for p in 0..<JointCounts.bucketCount {
                    let n = joint[t, g, p]
                    guard n > 0 else { continue }
                    let id: Int? = t % 2 == 1 ? (p < k ? p : nil) : (p < JointCounts.otherBucket ? encoding.classID(ofRaw: p) : nil)
                    if let id, id >= 0, id < k { predicted[id] += n }
                }
            }
        }
        if evaluated > 0 {
            if let top = predicted.indices.max(by: { predicted[$0] < predicted[$1] }),
                Double(predicted[top]) >= 0.95 * Double(evaluated), Double(gtHistogram[top]) < 0.5 * Double(evaluated),
                gtHistogram.filter({ $0 > 0 }).count > 1
            {
                problem(
                    "pred-one-class",
                    "\(percent(predicted[top], of: evaluated)) of the evaluated pixels are predicted as \(vocabulary.classes[top].name), "
                        + "which holds \(percent(gtHistogram[top], of: evaluated)) of the ground truth")
            }
            let absent = predicted.indices.filter { gtHistogram[$0] == 0 }.reduce(0) { $0 + predicted[$1] }
            if Double(absent) > 0.5 * Double(evaluated) {
                problem(
                    "pred-absent-classes",
                    "\(percent(absent, of: evaluated)) of the evaluated pixels are predicted as classes that never occur in the "
                        + "ground truth: the predictions may use another vocabulary's ids or order (check --vocab)")
            }
            let never = gtHistogram.indices.filter { gtHistogram[$0] > 0 && predicted[$0] == 0 }
            if !never.isEmpty {
                note("pred-classes-never-predicted", "never predicted, though in the ground truth: " + never.map { vocabulary.classes[$0].name }.joined(separator: ", "))
            }
        }
        let gtByID = Dictionary(groundTruth.files.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let single = files.filter { $0.values.count == 1 }
        if !single.isEmpty {
            let gtMulti = single.filter { (gtByID[$0.id]?.values.count ?? 0) > 1 }
            let ids = single.prefix(5).map(\.id).joined(separator: ", ") + (single.count > 5 ? ", …" : "")
            if gtMulti.count * 2 >= files.count && files.count > 0 {
                problem("pred-single-class-images", "\(single.count) of \(files.count) predictions are a single value (\(ids)) while their ground truth has several classes")
            } else {
                note("pred-single-class-images", "\(single.count) of \(files.count) predictions are a single value: \(ids)")
            }
        }
        return FolderReport(
            role: "predictions", directory: folder.directory, fileCount: files.count, formats: Self.formats(files),
            valueHistogram: values, colorHistogram: colors, encodings: encodings, chosenEncoding: chosen,
            filesOutside: outsideFiles)
    }

    /// A shift s ≥ 1 whose histogram of value − s is far closer to the ground truth's class
    /// histogram than the values as read (a quarter of the distance), or nil.
    func histogramShift(_ values: [ValueCount], gtHistogram: [UInt64]) -> Int? {
        let gtTotal = Double(gtHistogram.reduce(0, +)), total = Double(values.reduce(0) { $0 + $1.pixels })
        guard gtTotal > 0, total > 0 else { return nil }
        func distance(_ s: Int) -> Double {
            var shares = [Double](repeating: 0, count: k)
            var outside = 0.0
            for entry in values {
                let id = Int(entry.value) - s
                if id >= 0 && id < k { shares[id] += Double(entry.pixels) / total } else { outside += Double(entry.pixels) / total }
            }
            return outside + zip(shares, gtHistogram).reduce(0) { $0 + abs($1.0 - Double($1.1) / gtTotal) }
        }
        let asRead = distance(0)
        guard let best = (1...8).min(by: { distance($0) < distance($1) }), distance(best) * 4 < asRead, asRead > 0.2 else { return nil }
        return best
    }
}
