import COCOMasks
import JSON

/// How a mask was given in a JSON file (docs/referring.md §2).
public enum SegmentationEncoding: String, Sendable, Equatable {
    case compressedRLE = "rle-compressed"
    case uncompressedRLE = "rle-uncompressed"
    case polygons
}

/// Reads a COCO `segmentation` value — an RLE object with `size` and `counts` (string or
/// integers) or a list of polygons — into a mask of the given image size.
enum SegmentationReader {
    /// `context` names the file and sample for errors ("ann.json: sample \"12\"").
    static func read(
        _ value: JSONValue, height: Int, width: Int, context: String, kind: ReferringError.Kind
    ) throws(ReferringError) -> (mask: RunLengthMask, encoding: SegmentationEncoding) {
        do {
            switch value {
            case .object(let object):
                guard let sizeValue = object["size"], let size = sizeValue.arrayValue, size.count == 2,
                    let h = size[0].intValue, let w = size[1].intValue
                else {
                    throw ReferringError(kind, "\(context): segmentation RLE has no \"size\": [height, width]")
                }
                guard h == height, w == width else {
                    throw ReferringError(kind,
                        "\(context): mask size \(h)×\(w) (height×width) differs from the image's \(height)×\(width)")
                }
                switch object["counts"] {
                case .string(let text)?:
                    return (try RunLengthMask(height: h, width: w, compressed: text), .compressedRLE)
                case .array(let items)?:
                    var counts: [UInt32] = []
                    counts.reserveCapacity(items.count)
                    for (index, item) in items.enumerated() {
                        guard let count = item.uint64Value, count <= UInt64(UInt32.max) else {
                            throw ReferringError(kind,
                                "\(context): segmentation counts[\(index)] is \(JSONCodec.serialize(item, pretty: false)); "
                                    + "expected a non-negative integer below 2³²")
                        }
                        counts.append(UInt32(count))
                    }
                    return (try RunLengthMask(height: h, width: w, counts: counts), .uncompressedRLE)
                default:
                    throw ReferringError(kind, "\(context): segmentation RLE has no \"counts\" (a string or a list of integers)")
                }
            case .array(let items):
                var polygons: [[Double]] = []
                for (index, item) in items.enumerated() {
                    guard let coordinates = item.arrayValue else {
                        throw ReferringError(kind,
                            "\(context): segmentation[\(index)] is not a polygon (a list of numbers x0, y0, x1, y1, …)")
                    }
                    var polygon: [Double] = []
                    polygon.reserveCapacity(coordinates.count)
                    for coordinate in coordinates {
                        guard let number = coordinate.doubleValue else {
                            throw ReferringError(kind,
                                "\(context): segmentation[\(index)] holds \(JSONCodec.serialize(coordinate, pretty: false)), not a number")
                        }
                        polygon.append(number)
                    }
                    polygons.append(polygon)
                }
                return (try PolygonRasterizer.rasterize(polygons: polygons, height: height, width: width), .polygons)
            default:
                throw ReferringError(kind,
                    "\(context): segmentation is \(JSONCodec.serialize(value, pretty: false).prefix(60)); "
                        + "expected an RLE object {\"size\", \"counts\"} or a list of polygons")
            }
        } catch let error as COCOMaskError {
            throw ReferringError(kind, "\(context): \(error.description)")
        } catch let error as ReferringError {
            throw error
        } catch {
            throw ReferringError(kind, "\(context): \(error)")
        }
    }
}
