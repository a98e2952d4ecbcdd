import COCOMasks
import FileOutput
import JSON
import LabelMaps

/// The demo's synthetic referring set (docs/referring.md §10): instances are the 4-connected
/// components of building, tree and car in the synthetic scenes, described by templates
/// ("the largest building in the north-west"), and a simulated method answers each with a mask
/// that has a programmed error.
public struct SyntheticReferringSet: Sendable {
    public struct Instance: Sendable {
        public var id: String
        public var imageID: String
        public var className: String
        public var text: String
        public var mask: BinaryMask
        /// The other instances of the same class in the image (the simulated method's wrong answers).
        public var others: [BinaryMask]
    }

    /// Method name of the simulated referring run.
    public static let methodName = "refer-demo"

    /// Components smaller than this are not described (too small to name).
    public static let minimumArea = 16

    public var instances: [Instance]

    /// Instances of the scenes `0..<imageCount` of the demo dataset.
    public init(imageCount: Int, width: Int, height: Int, seed: UInt64) {
        let generator = SceneGenerator(width: width, height: height)
        var instances: [Instance] = []
        for index in 0..<imageCount {
            instances += Self.instances(of: generator.scene(index: index, seed: seed))
        }
        self.instances = instances
    }

    static let described: [(SceneClass, String, [Int])] = [
        // class, name, ranks by area to describe (0 = largest, -1 = smallest)
        (.building, "building", [0, 1]),
        (.tree, "tree", [0]),
        (.car, "car", [0, -1]),
    ]

    static func instances(of scene: Scene) -> [Instance] {
        var result: [Instance] = []
        for (sceneClass, name, ranks) in described {
            let components = Self.components(of: sceneClass.rawValue, in: scene.classes)
                .filter { $0.area >= minimumArea }
                .sorted { $0.area != $1.area ? $0.area > $1.area : $0.pixels.first ?? 0 < $1.pixels.first ?? 0 }
            var used: Set<Int> = []
            for rank in ranks {
                let position = rank >= 0 ? rank : components.count + rank
                guard components.indices.contains(position), used.insert(position).inserted else { continue }
                let component = components[position]
                var mask = BinaryMask(height: scene.classes.height, width: scene.classes.width)
                for pixel in component.pixels { mask[x: pixel % mask.width, y: pixel / mask.width] = true }
                let others = components.indices.filter { $0 != position }.prefix(1).map { other in
                    var mask = BinaryMask(height: scene.classes.height, width: scene.classes.width)
                    for pixel in components[other].pixels { mask[x: pixel % mask.width, y: pixel / mask.width] = true }
                    return mask
                }
                let order = rank == 0 ? "the largest" : rank == 1 ? "the second largest" : "the smallest"
                let region = Self.region(of: component.pixels, width: mask.width, height: mask.height)
                result.append(Instance(
                    id: "\(scene.id)-\(name)-\(rank >= 0 ? String(rank + 1) : "last")", imageID: scene.id, className: name,
                    text: "\(order) \(name) in the \(region)", mask: mask, others: Array(others)))
            }
        }
        return result
    }

    /// 4-connected components of `value`: pixel indices (row-major) and area.
    static func components(of value: UInt16, in labels: LabelMap) -> [(pixels: [Int], area: Int)] {
        let width = labels.width
        let height = labels.height
        var seen = [Bool](repeating: false, count: width * height)
        var result: [(pixels: [Int], area: Int)] = []
        for start in 0..<(width * height) where !seen[start] && labels.values[start] == value {
            var stack = [start]
            seen[start] = true
            var pixels: [Int] = []
            while let pixel = stack.popLast() {
                pixels.append(pixel)
                let x = pixel % width
                let y = pixel / width
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && nx < width && ny >= 0 && ny < height {
                    let next = ny * width + nx
                    if !seen[next] && labels.values[next] == value {
                        seen[next] = true
                        stack.append(next)
                    }
                }
            }
            pixels.sort()
            result.append((pixels, pixels.count))
        }
        return result
    }

    /// Where the centroid lies in a 3×3 grid of the image: "north-west", "centre", ….
    static func region(of pixels: [Int], width: Int, height: Int) -> String {
        var sx = 0
        var sy = 0
        for pixel in pixels {
            sx += pixel % width
            sy += pixel / width
        }
        let column = min(2, 3 * sx / max(1, pixels.count * width))
        let row = min(2, 3 * sy / max(1, pixels.count * height))
        let names = [["north-west", "north", "north-east"], ["west", "centre", "east"], ["south-west", "south", "south-east"]]
        return names[row][column]
    }

    /// The simulated method's answer to instance number `index`: mostly the target with a
    /// boundary error (one pixel grown or shrunk, or shifted by two pixels), sometimes another
    /// instance of the class (a misread instruction), sometimes nothing.
    public static func prediction(for instance: Instance, index: Int) -> BinaryMask {
        let target = instance.mask
        if index % 11 == 5 { return BinaryMask(height: target.height, width: target.width) }
        if index % 7 == 3 { return instance.others.first ?? BinaryMask(height: target.height, width: target.width) }
        var result = BinaryMask(height: target.height, width: target.width)
        for y in 0..<target.height {
            for x in 0..<target.width {
                let neighbours = [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)].map { (nx, ny) in
                    nx >= 0 && nx < target.width && ny >= 0 && ny < target.height && target[x: nx, y: ny]
                }
                switch index % 3 {
                case 0: result[x: x, y: y] = target[x: x, y: y] || neighbours.contains(true)  // grown
                case 1: result[x: x, y: y] = target[x: x, y: y] && !neighbours.contains(false)  // shrunk
                default: result[x: x, y: y] = x >= 2 && target[x: x - 2, y: y]  // shifted right
                }
            }
        }
        return result
    }

    /// Writes `annotations.json` (the samples form, compressed RLE) and `predictions.json` into
    /// `folder`; returns their paths.
    public func write(to folder: String) throws -> (annotations: String, predictions: String) {
        try AtomicFile.createDirectory(folder)
        var samples: [JSONValue] = []
        var predictions: [JSONValue] = []
        for (index, instance) in instances.enumerated() {
            let size = JSONValue.array([.int(Int64(instance.mask.height)), .int(Int64(instance.mask.width))])
            samples.append(.object(JSONObject([
                ("id", .string(instance.id)), ("image_id", .string(instance.imageID)), ("text", .string(instance.text)),
                ("class", .string(instance.className)), ("height", .int(Int64(instance.mask.height))),
                ("width", .int(Int64(instance.mask.width))),
                ("segmentation", .object(JSONObject([
                    ("size", size), ("counts", .string(RunLengthMask(encoding: instance.mask).compressedString)),
                ]))),
            ])))
            let predicted = Self.prediction(for: instance, index: index)
            predictions.append(.object(JSONObject([
                ("id", .string(instance.id)),
                ("segmentation", .object(JSONObject([
                    ("size", size), ("counts", .string(RunLengthMask(encoding: predicted).compressedString)),
                ]))),
            ])))
        }
        let annotations = folder + "/annotations.json"
        let predictionsPath = folder + "/predictions.json"
        try JSONCodec.write(.object(JSONObject([("samples", .array(samples))])), to: annotations)
        try JSONCodec.write(.object(JSONObject([("samples", .array(predictions))])), to: predictionsPath)
        return (annotations, predictionsPath)
    }
}
