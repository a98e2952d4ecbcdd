import COCOMasks
import Foundation
import Hashing
import JSON

/// One referring sample: an instruction (text) about an image and the mask that answers it.
public struct ReferringSample: Sendable, Equatable {
    /// Unique within the annotations; predictions are matched by it.
    public var id: String
    public var imageID: String
    /// The referring expression or instruction.
    public var text: String
    /// The target's class, when the annotations give one (per-class breakdowns).
    public var className: String?
    public var height: Int
    public var width: Int
    /// The target mask.
    public var target: RunLengthMask
    public var encoding: SegmentationEncoding

    public init(
        id: String, imageID: String, text: String, className: String?, target: RunLengthMask,
        encoding: SegmentationEncoding
    ) {
        self.id = id
        self.imageID = imageID
        self.text = text
        self.className = className
        self.height = target.height
        self.width = target.width
        self.target = target
        self.encoding = encoding
    }
}

/// The ground truth of a referring run, read from one of the forms of docs/referring.md §3.
public struct ReferringAnnotations: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable {
        /// `{"samples": [{"id", "image_id", "text", "class"?, "height", "width", "segmentation"}]}`.
        case samples
        /// RefCOCO-style `refs` (JSON conversion of refer's pickle) plus a COCO `instances` file.
        case refcoco
    }

    /// Samples sorted by id.
    public var samples: [ReferringSample]
    public var format: Format
    /// The files read (one, or refs then instances).
    public var paths: [String]
    /// SHA-256 of each file's bytes, in the order of `paths`.
    public var fileSHA256: [String]

    public init(samples: [ReferringSample], format: Format, paths: [String], fileSHA256: [String]) {
        self.samples = samples.sorted { $0.id < $1.id }
        self.format = format
        self.paths = paths
        self.fileSHA256 = fileSHA256
    }

    /// Reads the minimal `{"samples": […]}` form (docs/referring.md §3.1).
    public static func read(path: String) throws(ReferringError) -> ReferringAnnotations {
        let (document, sha) = try readJSON(path, kind: .annotations)
        guard let root = document.objectValue, let list = root["samples"]?.arrayValue else {
            if document.arrayValue != nil {
                throw ReferringError(.annotations,
                    "\(path): the top level is a list; for RefCOCO-style refs give the COCO instances file too (--instances)")
            }
            throw ReferringError(.annotations, "\(path): expected an object with a \"samples\" list")
        }
        var samples: [ReferringSample] = []
        samples.reserveCapacity(list.count)
        var seen: Set<String> = []
        for (index, item) in list.enumerated() {
            let place = "\(path): samples[\(index)]"
            guard let object = item.objectValue else { throw ReferringError(.annotations, "\(place) is not an object") }
            let id = try identifier(object["id"], place: place, key: "id", kind: .annotations)
            let context = "\(path): sample \"\(id)\""
            guard seen.insert(id).inserted else {
                throw ReferringError(.annotations, "\(context): the id occurs twice; sample ids must be unique")
            }
            let imageID = try identifier(object["image_id"], place: context, key: "image_id", kind: .annotations)
            guard let text = object["text"]?.stringValue else {
                throw ReferringError(.annotations, "\(context): \"text\" (the instruction) is missing or not a string")
            }
            var className: String?
            if let value = object["class"], !value.isNull {
                guard let name = value.stringValue else { throw ReferringError(.annotations, "\(context): \"class\" is not a string") }
                className = name
            }
            let height = try dimension(object["height"], context: context, key: "height")
            let width = try dimension(object["width"], context: context, key: "width")
            guard let segmentation = object["segmentation"] else {
                throw ReferringError(.annotations, "\(context): \"segmentation\" is missing")
            }
            let (mask, encoding) = try SegmentationReader.read(
                segmentation, height: height, width: width, context: context, kind: .annotations)
            samples.append(ReferringSample(
                id: id, imageID: imageID, text: text, className: className, target: mask, encoding: encoding))
        }
        guard !samples.isEmpty else { throw ReferringError(.annotations, "\(path): \"samples\" is empty") }
        return ReferringAnnotations(samples: samples, format: .samples, paths: [path], fileSHA256: [sha])
    }

    /// Reads RefCOCO-style annotations (docs/referring.md §3.2): `refs` is the JSON conversion of
    /// refer's `refs(unc).p` (a list of refs with `ref_id`, `ann_id`, `image_id`, `split`,
    /// `category_id`, `sentences[].sent`), `instances` the COCO file with the masks. One sample per
    /// sentence, id `<ref_id>_<sentence index>`; `split` keeps only refs of that split.
    public static func readRefCOCO(refs: String, instances: String, split: String?) throws(ReferringError) -> ReferringAnnotations {
        let (refsDocument, refsSHA) = try readJSON(refs, kind: .annotations)
        let (instancesDocument, instancesSHA) = try readJSON(instances, kind: .annotations)
        guard let refList = refsDocument.arrayValue else {
            throw ReferringError(.annotations, "\(refs): expected a list of refs (the JSON conversion of refs(unc).p)")
        }
        guard let coco = instancesDocument.objectValue, let images = coco["images"]?.arrayValue,
            let annotations = coco["annotations"]?.arrayValue
        else {
            throw ReferringError(.annotations, "\(instances): expected a COCO instances file with \"images\" and \"annotations\"")
        }
        var sizes: [Int64: (height: Int, width: Int)] = [:]
        for (index, image) in images.enumerated() {
            let place = "\(instances): images[\(index)]"
            guard let object = image.objectValue, let id = object["id"]?.intValue else {
                throw ReferringError(.annotations, "\(place) has no integer \"id\"")
            }
            sizes[Int64(id)] = (
                try dimension(object["height"], context: place, key: "height"),
                try dimension(object["width"], context: place, key: "width")
            )
        }
        var annotationsByID: [Int64: JSONObject] = [:]
        for (index, annotation) in annotations.enumerated() {
            guard let object = annotation.objectValue, let id = object["id"]?.intValue else {
                throw ReferringError(.annotations, "\(instances): annotations[\(index)] has no integer \"id\"")
            }
            annotationsByID[Int64(id)] = object
        }
        var categories: [Int64: String] = [:]
        for category in coco["categories"]?.arrayValue ?? [] {
            if let id = category["id"]?.intValue, let name = category["name"]?.stringValue { categories[Int64(id)] = name }
        }
        var samples: [ReferringSample] = []
        var seen: Set<String> = []
        for (index, item) in refList.enumerated() {
            let place = "\(refs): refs[\(index)]"
            guard let ref = item.objectValue else { throw ReferringError(.annotations, "\(place) is not an object") }
            if let split, ref["split"]?.stringValue != split { continue }
            guard let refID = ref["ref_id"]?.intValue, let annID = ref["ann_id"]?.intValue else {
                throw ReferringError(.annotations, "\(place) has no integer \"ref_id\" and \"ann_id\"")
            }
            guard let annotation = annotationsByID[Int64(annID)] else {
                throw ReferringError(.annotations, "\(place): ann_id \(annID) is not in \(instances)")
            }
            guard let imageID = annotation["image_id"]?.intValue ?? ref["image_id"]?.intValue,
                let size = sizes[Int64(imageID)]
            else {
                throw ReferringError(.annotations, "\(place): the image of ann_id \(annID) is not in \(instances)'s images")
            }
            guard let segmentation = annotation["segmentation"] else {
                throw ReferringError(.annotations, "\(instances): annotation \(annID) has no \"segmentation\"")
            }
            let context = "\(instances): annotation \(annID) (ref \(refID))"
            let (mask, encoding) = try SegmentationReader.read(
                segmentation, height: size.height, width: size.width, context: context, kind: .annotations)
            let categoryID = (ref["category_id"] ?? annotation["category_id"])?.intValue
            let className = categoryID.map { categories[Int64($0)] ?? String($0) }
            guard let sentences = ref["sentences"]?.arrayValue, !sentences.isEmpty else {
                throw ReferringError(.annotations, "\(place) (ref_id \(refID)) has no \"sentences\"")
            }
            for (sentenceIndex, sentence) in sentences.enumerated() {
                guard let text = sentence["sent"]?.stringValue ?? sentence["raw"]?.stringValue else {
                    throw ReferringError(.annotations, "\(place): sentences[\(sentenceIndex)] has no \"sent\"")
                }
                let id = "\(refID)_\(sentenceIndex)"
                guard seen.insert(id).inserted else {
                    throw ReferringError(.annotations, "\(place): ref_id \(refID) occurs twice")
                }
                samples.append(ReferringSample(
                    id: id, imageID: String(imageID), text: text, className: className, target: mask, encoding: encoding))
            }
        }
        guard !samples.isEmpty else {
            throw ReferringError(.annotations,
                "\(refs): no refs" + (split.map { " in split \"\($0)\" (refs' \"split\" values name it)" } ?? ""))
        }
        return ReferringAnnotations(
            samples: samples, format: .refcoco, paths: [refs, instances], fileSHA256: [refsSHA, instancesSHA])
    }

    // MARK: - Helpers shared with the prediction reader

    static func readJSON(_ path: String, kind: ReferringError.Kind) throws(ReferringError) -> (JSONValue, String) {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ReferringError(kind, "\(path): cannot read the file (\((error as NSError).localizedDescription))")
        }
        do {
            return (try JSONCodec.parse(bytes, source: path), SHA256.hex(bytes))
        } catch {
            throw ReferringError(kind, error.description)
        }
    }

    static func identifier(_ value: JSONValue?, place: String, key: String, kind: ReferringError.Kind) throws(ReferringError) -> String {
        switch value {
        case .string(let text)? where !text.isEmpty: return text
        case .int(let number)?: return String(number)
        case .uint(let number)?: return String(number)
        default:
            throw ReferringError(kind, "\(place): \"\(key)\" is missing or not a non-empty string or integer")
        }
    }

    static func dimension(_ value: JSONValue?, context: String, key: String) throws(ReferringError) -> Int {
        guard let number = value?.intValue, number >= 1, number <= 1 << 20 else {
            throw ReferringError(.annotations,
                "\(context): \"\(key)\" is \(value.map { JSONCodec.serialize($0, pretty: false) } ?? "missing"); expected an integer 1…1048576")
        }
        return number
    }
}
