import COCOMasks
import Foundation
import Hashing
import JSON
import LabelMaps

/// Where a run's predicted masks come from (docs/referring.md §4): a JSON file of
/// `{"samples": [{"id", "segmentation"}]}` or a folder of PNG masks `<id>.png`.
public enum ReferringPredictionSource: Sendable, Equatable {
    case json(path: String)
    case folder(path: String)

    /// A folder when `path` is a directory, otherwise a JSON file.
    public init(path: String) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            self = .folder(path: path)
        } else {
            self = .json(path: path)
        }
    }

    public var path: String {
        switch self {
        case .json(let path), .folder(let path): path
        }
    }

    public var formatName: String {
        switch self {
        case .json: "samples-json"
        case .folder: "png-folder"
        }
    }
}

/// Reads the predicted masks of the samples, checking them against the annotations.
public struct ReferringPredictionReader: Sendable {
    public let source: ReferringPredictionSource
    /// JSON predictions by id (nil for a folder).
    private let entries: [String: JSONValue]?
    /// SHA-256 of the JSON file (nil for a folder).
    public let fileSHA256: String?

    /// Opens the predictions; a JSON file is read and checked for unknown and duplicate ids here,
    /// a folder is listed and checked for PNG files that name no sample.
    public init(source: ReferringPredictionSource, annotations: ReferringAnnotations) throws(ReferringError) {
        self.source = source
        let known = Set(annotations.samples.map(\.id))
        switch source {
        case .json(let path):
            let (document, sha) = try ReferringAnnotations.readJSON(path, kind: .predictions)
            guard let list = document["samples"]?.arrayValue else {
                throw ReferringError(.predictions, "\(path): expected an object with a \"samples\" list of {\"id\", \"segmentation\"}")
            }
            var entries: [String: JSONValue] = [:]
            for (index, item) in list.enumerated() {
                let place = "\(path): samples[\(index)]"
                guard let object = item.objectValue else { throw ReferringError(.predictions, "\(place) is not an object") }
                let id = try ReferringAnnotations.identifier(object["id"], place: place, key: "id", kind: .predictions)
                guard known.contains(id) else {
                    throw ReferringError(.predictions, "\(path): prediction for sample \"\(id)\", which the annotations do not have")
                }
                guard entries[id] == nil else {
                    throw ReferringError(.predictions, "\(path): sample \"\(id)\" has two predictions")
                }
                guard let segmentation = object["segmentation"] else {
                    throw ReferringError(.predictions, "\(path): sample \"\(id)\": \"segmentation\" is missing")
                }
                entries[id] = segmentation
            }
            self.entries = entries
            fileSHA256 = sha
        case .folder(let path):
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw ReferringError(.predictions, "\(path): cannot list the folder (\((error as NSError).localizedDescription))")
            }
            for name in names.sorted() where name.lowercased().hasSuffix(".png") {
                let id = String(name.dropLast(4))
                guard known.contains(id) else {
                    throw ReferringError(.predictions, "\(path)/\(name): prediction for sample \"\(id)\", which the annotations do not have")
                }
            }
            entries = nil
            fileSHA256 = nil
        }
    }

    /// The predicted mask of `sample`, or nil when there is none.
    public func mask(for sample: ReferringSample) throws(ReferringError) -> BinaryMask? {
        switch source {
        case .json(let path):
            guard let value = entries?[sample.id] else { return nil }
            let (mask, _) = try SegmentationReader.read(
                value, height: sample.height, width: sample.width,
                context: "\(path): sample \"\(sample.id)\"", kind: .predictions)
            return mask.decoded()
        case .folder(let path):
            let file = (path as NSString).appendingPathComponent(sample.id + ".png")
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            let map: LabelMap
            do {
                map = try LabelMapReader.read(path: file, colors: nil)
            } catch let error as LabelMapError where error.kind == .colorTableNeeded {
                throw ReferringError(.predictions,
                    "\(file): sample \"\(sample.id)\": an RGB PNG; prediction masks are gray or palette PNGs (non-zero = inside)")
            } catch let error as LabelMapError {
                throw ReferringError(.predictions, "\(error.description) (the prediction of sample \"\(sample.id)\")")
            } catch {
                throw ReferringError(.predictions, "\(file): sample \"\(sample.id)\": \(error)")
            }
            guard map.width == sample.width, map.height == sample.height else {
                throw ReferringError(.predictions,
                    "\(file): sample \"\(sample.id)\": mask size \(map.height)×\(map.width) (height×width) differs from the image's \(sample.height)×\(sample.width)")
            }
            return BinaryMask(height: map.height, width: map.width, rowMajor: map.values.map { $0 == 0 ? 0 : 1 })
        }
    }
}
