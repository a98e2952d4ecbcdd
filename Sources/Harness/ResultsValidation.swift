import Metrics

/// Bounds and invariants a results file must satisfy before any number is computed from it.
///
/// A results file is input like any other: it may be edited, damaged or forged. These checks turn
/// what would otherwise be an arithmetic trap, an unbounded allocation or a path outside the
/// dataset into an error that names the file and the key.
enum ResultsValidation {
    /// Largest number of pixels one matrix (or one image) may hold: 2^53. Far above any real run
    /// (a million 10⁸-pixel tiles is 10¹⁴), it keeps every sum ovseg forms (rows, columns, unions,
    /// per-image totals) inside UInt64 and exactly representable as a Double.
    static let maximumPixels: UInt64 = 1 << 53

    /// Largest shard count accepted anywhere (`--shard k/N`, results files, merges).
    static let maximumShards = Shard.maximumCount

    static func checkSplit(seen: [Int], unseen: [Int], classNames: [String], source: String) throws(HarnessError) {
        var owner: [Int: String] = [:]
        for (id, side) in seen.map({ ($0, "seen_ids") }) + unseen.map({ ($0, "unseen_ids") }) {
            if let first = owner[id] {
                let what = first == side ? "twice in split.\(side)" : "in both split.seen_ids and split.unseen_ids"
                throw HarnessError(.resultsFile, "\(source): class \(classNames[id]) (id \(id)) is listed \(what)")
            }
            owner[id] = side
        }
    }

    static func checkShard(_ shard: ShardInfo, source: String) throws(HarnessError) {
        guard shard.count >= 1, shard.count <= maximumShards else {
            throw HarnessError(.resultsFile,
                "\(source): shard.count is \(shard.count); it must be between 1 and \(maximumShards)")
        }
        guard !shard.indices.isEmpty else {
            throw HarnessError(.resultsFile, "\(source): shard.indices is empty; a shard file covers at least one shard")
        }
        var seen = Set<Int>()
        for index in shard.indices {
            guard index >= 1, index <= shard.count else {
                throw HarnessError(.resultsFile,
                    "\(source): shard.indices contains \(index), outside 1…\(shard.count)")
            }
            guard seen.insert(index).inserted else {
                throw HarnessError(.resultsFile, "\(source): shard.indices lists shard \(index) twice")
            }
        }
    }

    /// The matrix's cells and side vectors must add up to at most `maximumPixels`.
    static func checkMatrixTotal(_ parts: [[UInt64]], source: String) throws(HarnessError) {
        guard boundedSum(parts.joined(), limit: maximumPixels) != nil else {
            throw HarnessError(.resultsFile,
                "\(source): the confusion matrix holds more than 2^53 pixels, which no real run reaches "
                    + "(the file was edited or damaged)")
        }
    }

    /// The sum of `values`, or nil when it exceeds `limit` (overflow included).
    static func boundedSum(_ values: some Sequence<UInt64>, limit: UInt64) -> UInt64? {
        var total: UInt64 = 0
        for value in values {
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow, sum <= limit else { return nil }
            total = sum
        }
        return total
    }

    /// One image's id, size and counts.
    static func checkImage(_ image: ImageRecord, at path: String, source: String) throws(HarnessError) {
        if let problem = ImageID.problem(image.id) {
            throw HarnessError(.resultsFile, "\(source): \(path).id \(ImageID.quoted(image.id)) \(problem)")
        }
        guard image.width > 0, image.height > 0 else {
            throw HarnessError(.resultsFile,
                "\(source): \(path) (\(ImageID.quoted(image.id))) has size \(image.width)×\(image.height); both must be positive")
        }
        let (pixels, overflow) = UInt64(image.width).multipliedReportingOverflow(by: UInt64(image.height))
        guard !overflow, pixels <= maximumPixels else {
            throw HarnessError(.resultsFile,
                "\(source): \(path) (\(ImageID.quoted(image.id))) claims \(image.width)×\(image.height) pixels, more than 2^53")
        }
        for (name, values) in [("gt", image.counts.map(\.groundTruth)), ("pred", image.counts.map(\.predicted))]
        where boundedSum(values, limit: pixels) == nil {
            throw HarnessError(.resultsFile,
                "\(source): \(path).\(name) (\(ImageID.quoted(image.id))) counts more pixels than its "
                    + "\(image.width)×\(image.height) = \(pixels) (the file was edited or damaged)")
        }
    }

    static func checkUniqueIDs(_ images: [ImageRecord], source: String) throws(HarnessError) {
        var seen = Set<String>()
        for (index, image) in images.enumerated() where !seen.insert(image.id).inserted {
            throw HarnessError(.resultsFile, "\(source): images[\(index)].id \(ImageID.quoted(image.id)) occurs twice")
        }
    }
}

/// What an image id may be: the label file's path relative to its folder, without extension.
///
/// Ids are joined to folders given on the command line (`report --gt`, `--images`, `--pred`) and
/// printed into Markdown, HTML and terminals, so an id that leaves its folder or carries control
/// characters is refused wherever ids are read or made.
public enum ImageID {
    /// Why `id` is not a usable image id, or `nil` when it is.
    public static func problem(_ id: String) -> String? {
        if id.isEmpty { return "is empty" }
        if id.unicodeScalars.contains(where: isControl) {
            return "contains a control character (line break, tab, escape…); rename the file"
        }
        if id.hasPrefix("/") { return "is an absolute path; ids are relative to the dataset folder" }
        if id.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
            return "has an empty, '.' or '..' path component; ids stay inside the dataset folder"
        }
        return nil
    }

    /// Refuses the first file whose id is unusable, naming the file.
    static func validate(_ ids: [(id: String, file: String)]) throws(HarnessError) {
        for (id, file) in ids {
            if let problem = problem(id) {
                throw HarnessError(.pairing, file: file, "\(quoted(file)): its image id \(quoted(id)) \(problem)")
            }
        }
    }

    /// The id in double quotes with control characters shown as escapes, safe for any message.
    public static func quoted(_ id: String) -> String {
        var text = "\""
        for scalar in id.unicodeScalars {
            if isControl(scalar) || scalar == "\"" || scalar == "\\" {
                text += scalar.escaped(asASCII: true)
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
