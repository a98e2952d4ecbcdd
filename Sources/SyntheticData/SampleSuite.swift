import FileOutput
import LabelMaps

/// A small synthetic benchmark suite for `ovseg demo`: the same kind of generated scenes drawn
/// in the classes of three real vocabularies (ISPRS Potsdam, LoveDA, OpenEarthMap), each with
/// its release's label encoding, and every simulated method's predictions on each.
///
/// Layout under the root: `data/<key>/gt/<id>.png` and `predictions/<method>/<key>/<id>.png`.
public struct SampleSuite: Sendable {
    /// One test dataset: a vocabulary, how scene classes map into it, how its labels are stored.
    public struct Dataset: Sendable {
        /// The bundled vocabulary key (also the dataset key).
        public let key: String
        /// The column title.
        public let title: String
        /// Class id in the vocabulary of each `SceneClass` (impervious, building, low vegetation,
        /// tree, car, clutter).
        let classIDs: [UInt16]
        /// The vocabulary's colours, for palette predictions and RGB ground truth.
        let colors: [RGB]
        let groundTruth: GroundTruthEncoding
        /// Added to the scene seed so each dataset has its own scenes.
        let seedOffset: UInt64
    }

    enum GroundTruthEncoding: Sendable {
        /// Colour-coded with the vocabulary's colours, black where unlabeled (ISPRS).
        case rgb
        /// Gray class id + 1, 0 where unlabeled (mmseg reduce_zero_label, LoveDA).
        case grayPlusOne
        /// Gray class id, 255 where unlabeled (OpenEarthMap).
        case gray
    }

    /// The three datasets, with the class correspondences documented in docs/suites.md §6.
    public static let datasets: [Dataset] = [
        Dataset(key: "potsdam", title: "Potsdam (synthetic)", classIDs: [0, 1, 2, 3, 4, 5], colors: SampleDataset.classColors, groundTruth: .rgb, seedOffset: 0),
        // LoveDA: background, building, road, water, barren, forest, agricultural. Cars lie on the road.
        Dataset(
            key: "loveda", title: "LoveDA (synthetic)", classIDs: [2, 1, 6, 5, 2, 4],
            colors: [RGB(255, 255, 255), RGB(255, 0, 0), RGB(255, 255, 0), RGB(0, 0, 255), RGB(159, 129, 183), RGB(0, 255, 0), RGB(255, 195, 128)],
            groundTruth: .grayPlusOne, seedOffset: 1_000),
        // OpenEarthMap: background, bareland, rangeland, developed space, road, tree, water,
        // agriculture land, building. Cars count as developed space, clutter as bareland.
        Dataset(
            key: "openearthmap", title: "OpenEarthMap (synthetic)", classIDs: [4, 8, 2, 5, 3, 1],
            colors: [RGB(0, 0, 0), RGB(128, 0, 0), RGB(0, 255, 36), RGB(148, 148, 148), RGB(255, 255, 255), RGB(34, 97, 38),
                     RGB(0, 69, 255), RGB(75, 181, 73), RGB(222, 31, 7)],
            groundTruth: .gray, seedOffset: 2_000),
    ]

    public var imageCount: Int
    public var width: Int
    public var height: Int
    public var seed: UInt64

    public init(imageCount: Int = 6, width: Int = 128, height: Int = 128, seed: UInt64 = 2025) {
        self.imageCount = imageCount
        self.width = width
        self.height = height
        self.seed = seed
    }

    public static func groundTruthDirectory(_ key: String) -> String { "data/\(key)/gt" }
    public static func predictionDirectory(_ key: String, method: SimulatedMethod) -> String {
        "predictions/\(method.rawValue)/\(key)"
    }

    /// Writes every dataset's ground truth and every method's predictions under `root`.
    public func write(to root: String, methods: [SimulatedMethod] = SimulatedMethod.allCases) throws {
        let generator = SceneGenerator(width: width, height: height)
        for dataset in Self.datasets {
            let gtFolder = root + "/" + Self.groundTruthDirectory(dataset.key)
            try AtomicFile.createDirectory(gtFolder)
            for method in methods { try AtomicFile.createDirectory(root + "/" + Self.predictionDirectory(dataset.key, method: method)) }
            for index in 0..<imageCount {
                let scene = generator.scene(index: index, seed: seed &+ dataset.seedOffset)
                try writeGroundTruth(scene.labels, dataset: dataset, to: gtFolder + "/\(scene.id).png")
                for method in methods {
                    let prediction = mapped(method.predict(scene, seed: seed &+ dataset.seedOffset), dataset: dataset, unlabeled: 0)
                    try LabelMapWriter.writePalette(
                        prediction, palette: dataset.colors,
                        to: root + "/" + Self.predictionDirectory(dataset.key, method: method) + "/\(scene.id).png")
                }
            }
        }
    }

    /// The scene's classes as the dataset's class ids; `Scene.ignore` becomes `unlabeled`.
    func mapped(_ labels: LabelMap, dataset: Dataset, unlabeled: UInt16) -> LabelMap {
        LabelMap(width: labels.width, height: labels.height, values: labels.values.map { value in
            Int(value) < dataset.classIDs.count ? dataset.classIDs[Int(value)] : unlabeled
        })
    }

    private func writeGroundTruth(_ labels: LabelMap, dataset: Dataset, to path: String) throws {
        switch dataset.groundTruth {
        case .rgb:
            let ids = mapped(labels, dataset: dataset, unlabeled: UInt16.max)
            var pixels = [UInt8](repeating: 0, count: ids.values.count * 3)
            for (index, id) in ids.values.enumerated() where Int(id) < dataset.colors.count {
                let color = dataset.colors[Int(id)]
                pixels[index * 3] = color.r
                pixels[index * 3 + 1] = color.g
                pixels[index * 3 + 2] = color.b
            }
            try LabelMapWriter.writeRGB(width: labels.width, height: labels.height, pixels: pixels, to: path)
        case .grayPlusOne:
            let ids = mapped(labels, dataset: dataset, unlabeled: UInt16.max)
            try LabelMapWriter.writeGray8(
                LabelMap(width: ids.width, height: ids.height, values: ids.values.map { $0 == UInt16.max ? 0 : $0 + 1 }), to: path)
        case .gray:
            try LabelMapWriter.writeGray8(mapped(labels, dataset: dataset, unlabeled: 255), to: path)
        }
    }
}
