import Dispatch
import Foundation
import Harness
import LabelMaps
import Synchronization

/// A value of a label file and how many pixels hold it: a gray or palette value, or for
/// colour files a colour packed as `0xRRGGBB`.
public struct ValueCount: Sendable, Equatable {
    public let value: UInt32
    public let pixels: UInt64

    public init(value: UInt32, pixels: UInt64) {
        self.value = value
        self.pixels = pixels
    }
}

/// What one label file holds, read once: its format and the histogram of its values.
public struct FileSummary: Sendable, Equatable {
    /// The image id (path relative to its folder, without extension).
    public let id: String
    public let path: String
    /// The file's layout as read (`PNG gray 8-bit`, `PNG palette 8-bit`, `PNG RGB 8-bit`, …).
    public let format: String
    /// True for RGB/RGBA files, whose values are colours.
    public let isColor: Bool
    public let width: Int
    public let height: Int
    /// Distinct values (or colours) with their pixel counts, ascending by value; at most
    /// `LabelSurvey.maximumDistinctValues`, see `truncated`.
    public let values: [ValueCount]
    /// True when the file held more distinct colours than are kept (a photo, not a label map);
    /// the pixels of the colours not kept are missing from `values`.
    public let truncated: Bool
    /// The palette of a palette PNG.
    public let palette: [RGB]?

    public var pixels: Int { width * height }
}

/// The files of one folder.
public struct FolderSurvey: Sendable, Equatable {
    public let directory: String
    /// Sorted by id.
    public let files: [FileSummary]
}

/// Joint pixel counts of ground-truth and prediction values over all pairs, bucketed: a gray or
/// palette value below 256 is its own bucket, a colour of the vocabulary its class id, any other
/// value `otherBucket`, an ignore colour `ignoreColorBucket`.
public struct JointCounts: Sendable, Equatable {
    public static let otherBucket = 256
    public static let ignoreColorBucket = 257
    public static let bucketCount = 258

    /// Counts for (ground-truth kind, prediction kind): index 0 gray/palette, 1 colour.
    public var tables: [[UInt64]]

    public init() {
        tables = Array(repeating: [UInt64](repeating: 0, count: Self.bucketCount * Self.bucketCount), count: 4)
    }

    public static func table(groundTruthIsColor: Bool, predictionIsColor: Bool) -> Int {
        (groundTruthIsColor ? 2 : 0) + (predictionIsColor ? 1 : 0)
    }

    public subscript(table: Int, groundTruth: Int, prediction: Int) -> UInt64 {
        tables[table][groundTruth * Self.bucketCount + prediction]
    }

    mutating func add(_ other: JointCounts) {
        for t in 0..<4 { for i in 0..<tables[t].count { tables[t][i] &+= other.tables[t][i] } }
    }
}

/// A dataset read for inspection: the ground truth, the predictions if given, how they paired.
public struct LabelSurvey: Sendable, Equatable {
    /// Colour files with more distinct colours than this keep only the first ones seen.
    public static let maximumDistinctValues = 4096

    public var groundTruth: FolderSurvey
    public var predictions: FolderSurvey?
    /// Counts over the pairs of equal size (only with predictions).
    public var joint: JointCounts?
    public var missingPredictions: [String] = []
    public var extraPredictions: [String] = []
    public var sizeMismatches: [String] = []

    /// Reads every label file once, in parallel, streaming: each worker decodes a file (or a
    /// ground-truth/prediction pair) and keeps only its histogram and the joint counts.
    ///
    /// - Parameter colorBuckets: packed colour → joint bucket (the vocabulary's class colours to
    ///   their ids, its ignore colours to `JointCounts.ignoreColorBucket`).
    public static func read(
        groundTruthDirectory: String, predictionDirectory: String?, colorBuckets: [UInt32: UInt16],
        pairing: PairingOptions = PairingOptions(), jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws(HarnessError) -> LabelSurvey {
        var items: [(id: String, groundTruth: String, prediction: String?)]
        var missing: [String] = [], extra: [String] = []
        if let predictionDirectory {
            var options = pairing
            options.skipMissingPredictions = true
            options.skipExtraPredictions = true
            let paired = try DatasetScanner.pair(
                groundTruthDirectory: groundTruthDirectory, predictionDirectory: predictionDirectory, options: options)
            items = paired.pairs.map { (id: $0.id, groundTruth: $0.groundTruthPath, prediction: Optional($0.predictionPath)) }
            missing = paired.missingPredictions
            extra = paired.extraPredictions
        } else {
            let files = try DatasetScanner.labelFiles(in: groundTruthDirectory, suffix: pairing.groundTruthSuffix)
            guard !files.isEmpty else { throw HarnessError(.pairing, file: groundTruthDirectory, "\(groundTruthDirectory): no PNG label maps found") }
            items = files.keys.sorted().map { (id: $0, groundTruth: files[$0] ?? "", prediction: nil) }
        }
        let work = items
        let workers = max(1, min(jobs, work.count))
        let withPredictions = predictionDirectory != nil
        let state = Mutex(SurveyState(count: work.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var scratch = Scratch()
            var joint = withPredictions ? JointCounts() : nil
            while let index = state.withLock({ $0.takeNext() }) {
                let item = work[index]
                do {
                    let gt = try scan(
                        path: item.groundTruth, id: item.id, colorBuckets: colorBuckets, keepBuckets: withPredictions,
                        scratch: &scratch)
                    var prediction: (summary: FileSummary, buckets: [UInt16])?
                    var mismatch = false
                    if let path = item.prediction {
                        let scanned = try scan(
                            path: path, id: item.id, colorBuckets: colorBuckets, keepBuckets: true, scratch: &scratch)
                        prediction = scanned
                        if scanned.summary.width == gt.summary.width && scanned.summary.height == gt.summary.height {
                            let t = JointCounts.table(groundTruthIsColor: gt.summary.isColor, predictionIsColor: scanned.summary.isColor)
                            joint?.tables[t].withUnsafeMutableBufferPointer { cells in
                                for (g, p) in zip(gt.buckets, scanned.buckets) {
                                    cells[Int(g) * JointCounts.bucketCount + Int(p)] &+= 1
                                }
                            }
                        } else {
                            mismatch = true
                        }
                    }
                    let predictionSummary = prediction?.summary
                    state.withLock { $0.finish(index, gt.summary, predictionSummary, mismatch: mismatch) }
                } catch {
                    state.withLock { $0.fail(error, at: index) }
                }
            }
            if let joint { state.withLock { $0.absorb(joint) } }
        }
        let final = state.withLock { $0 }
        if let failure = final.failure { throw failure }
        return LabelSurvey(
            groundTruth: FolderSurvey(directory: groundTruthDirectory, files: final.groundTruth.compactMap { $0 }),
            predictions: predictionDirectory.map { FolderSurvey(directory: $0, files: final.predictions.compactMap { $0 }) },
            joint: final.joint, missingPredictions: missing, extraPredictions: extra,
            sizeMismatches: final.mismatches.sorted())
    }

    /// Per-worker buffers reused from file to file.
    struct Scratch {
        var wide = [UInt64](repeating: 0, count: 65_536)
        var touched: [UInt16] = []
    }

    /// `PNG gray 8-bit`, `TIFF RGB 8-bit` and so on.
    static func formatName(_ layout: PNGLayout, container: String = "PNG") -> String {
        switch layout {
        case .gray(let depth): "\(container) gray \(depth)-bit"
        case .grayAlpha(let depth): "\(container) gray+alpha \(depth)-bit"
        case .palette(let depth, _): "\(container) palette \(depth)-bit"
        case .rgb(let depth): "\(container) RGB \(depth)-bit"
        case .rgba(let depth): "\(container) RGBA \(depth)-bit"
        }
    }

    /// Reads one file: its summary and, when asked, its joint bucket per pixel.
    static func scan(
        path: String, id: String, colorBuckets: [UInt32: UInt16], keepBuckets: Bool, scratch: inout Scratch
    ) throws(HarnessError) -> (summary: FileSummary, buckets: [UInt16]) {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path: path) } catch { throw HarnessError(.labelFile, file: path, wrapping: error) }
        do {
            return try RawSamples.withSamples(bytes: bytes, name: path) { width, height, layout, samples in
                let n = width * height
                let channels = layout.channels
                var values: [ValueCount] = []
                var truncated = false
                var buckets: [UInt16] = []
                var isColor = false
                var palette: [RGB]?
                if case .palette(_, let entries) = layout { palette = entries }
                switch (layout, samples) {
                case (.rgb, .uint8(let s)), (.rgba, .uint8(let s)):
                    isColor = true
                    (values, truncated, buckets) = colorHistogram(
                        s, channels: channels, pixels: n, colorBuckets: colorBuckets, keepBuckets: keepBuckets)
                case (.rgb, .uint16), (.rgba, .uint16):
                    throw HarnessError(.labelFile, file: path,
                        "\(path): 16-bit \(channels == 3 ? "RGB" : "RGBA") PNG; colour-coded label maps must be 8-bit")
                case (_, .uint8(let s)):
                    var counts = [UInt64](repeating: 0, count: 256)
                    if keepBuckets {
                        buckets = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
                            counts.withUnsafeMutableBufferPointer { counts in
                                for i in 0..<n {
                                    let v = s[i * channels]
                                    counts[Int(v)] &+= 1
                                    out[i] = UInt16(v)
                                }
                            }
                            initialized = n
                        }
                    } else {
                        counts.withUnsafeMutableBufferPointer { counts in
                            for i in 0..<n { counts[Int(s[i * channels])] &+= 1 }
                        }
                    }
                    for v in 0..<256 where counts[v] > 0 { values.append(ValueCount(value: UInt32(v), pixels: counts[v])) }
                case (_, .uint16(let s)):
                    var touched = scratch.touched
                    touched.removeAll(keepingCapacity: true)
                    let other = UInt16(JointCounts.otherBucket)
                    if keepBuckets { buckets = [UInt16](repeating: 0, count: n) }
                    scratch.wide.withUnsafeMutableBufferPointer { counts in
                        for i in 0..<n {
                            let v = s[i * channels]
                            if counts[Int(v)] == 0 { touched.append(v) }
                            counts[Int(v)] &+= 1
                            if keepBuckets { buckets[i] = v < 256 ? v : other }
                        }
                    }
                    touched.sort()
                    for v in touched {
                        values.append(ValueCount(value: UInt32(v), pixels: scratch.wide[Int(v)]))
                        scratch.wide[Int(v)] = 0
                    }
                    scratch.touched = touched
                }
                let summary = FileSummary(
                    id: id, path: path, format: formatName(layout, container: RasterFileFormat.sniff(bytes) == .tiff ? "TIFF" : "PNG"), isColor: isColor, width: width, height: height,
                    values: values, truncated: truncated, palette: palette)
                return (summary, buckets)
            }
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError(.labelFile, wrapping: error)
        }
    }

    /// Colour histogram of 8-bit RGB(A) samples; label maps are runs of one colour, so counts
    /// are added per run.
    static func colorHistogram(
        _ s: UnsafeBufferPointer<UInt8>, channels: Int, pixels n: Int, colorBuckets: [UInt32: UInt16], keepBuckets: Bool
    ) -> (values: [ValueCount], truncated: Bool, buckets: [UInt16]) {
        var counts: [UInt32: UInt64] = [:]
        var truncated = false
        var buckets = keepBuckets ? [UInt16](repeating: 0, count: n) : []
        let other = UInt16(JointCounts.otherBucket)
        var last = UInt32.max
        var lastBucket = other
        var run: UInt64 = 0
        func flush() {
            guard run > 0 else { return }
            if counts[last] != nil || counts.count < maximumDistinctValues {
                counts[last, default: 0] += run
            } else {
                truncated = true
            }
        }
        var offset = 0
        for i in 0..<n {
            let key = UInt32(s[offset]) << 16 | UInt32(s[offset + 1]) << 8 | UInt32(s[offset + 2])
            offset += channels
            if key != last {
                flush()
                last = key
                run = 0
                if keepBuckets { lastBucket = colorBuckets[key] ?? other }
            }
            run += 1
            if keepBuckets { buckets[i] = lastBucket }
        }
        flush()
        let values = counts.keys.sorted().map { ValueCount(value: $0, pixels: counts[$0] ?? 0) }
        return (values, truncated, buckets)
    }
}

/// Shared by the workers, always under the mutex.
private struct SurveyState: Sendable {
    var next = 0
    var groundTruth: [FileSummary?]
    var predictions: [FileSummary?]
    var mismatches: [String] = []
    var joint: JointCounts?
    var failure: HarnessError?
    var failureIndex = Int.max

    init(count: Int) {
        groundTruth = Array(repeating: nil, count: count)
        predictions = Array(repeating: nil, count: count)
    }

    mutating func takeNext() -> Int? {
        guard failure == nil, next < groundTruth.count else { return nil }
        defer { next += 1 }
        return next
    }

    mutating func finish(_ index: Int, _ gt: FileSummary, _ prediction: FileSummary?, mismatch: Bool) {
        groundTruth[index] = gt
        predictions[index] = prediction
        if mismatch { mismatches.append(gt.id) }
    }

    /// Keeps the error of the earliest file, so the message does not depend on thread timing.
    mutating func fail(_ error: any Error, at index: Int) {
        guard index < failureIndex else { return }
        failureIndex = index
        failure = (error as? HarnessError) ?? HarnessError(.input, wrapping: error)
    }

    mutating func absorb(_ other: JointCounts) {
        if joint == nil { joint = other } else { joint?.add(other) }
    }
}
