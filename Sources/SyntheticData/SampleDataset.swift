import Dispatch
import FileOutput
import LabelMaps
import Synchronization

/// Writes a complete synthetic dataset: images, colour-coded ground truth in the
/// ISPRS Potsdam colours, and palette-PNG predictions of every simulated method.
///
/// Layout: `images/<id>.png`, `gt/<id>.png`, `predictions/<method>/<id>.png`.
public struct SampleDataset: Sendable {
    public var imageCount: Int
    public var width: Int
    public var height: Int
    public var seed: UInt64

    /// RGB colour of each scene class (ISPRS colours, as in `Vocabularies/potsdam.json`).
    public static let classColors: [RGB] = [
        RGB(255, 255, 255), RGB(0, 0, 255), RGB(0, 255, 255), RGB(0, 255, 0), RGB(255, 255, 0), RGB(255, 0, 0),
    ]
    /// Colour of unlabeled ground-truth pixels.
    public static let ignoreColor = RGB(0, 0, 0)
    /// The bundled vocabulary the dataset is drawn in.
    public static let vocabularyKey = "potsdam"

    public init(imageCount: Int = 24, width: Int = 256, height: Int = 256, seed: UInt64 = 2025) {
        self.imageCount = imageCount
        self.width = width
        self.height = height
        self.seed = seed
    }

    public func groundTruthDirectory(in root: String) -> String { root + "/gt" }
    public func imageDirectory(in root: String) -> String { root + "/images" }
    public func predictionDirectory(in root: String, method: SimulatedMethod) -> String {
        root + "/predictions/" + method.rawValue
    }

    /// Generates everything under `root` (created if missing), using `jobs` threads.
    public func write(to root: String, methods: [SimulatedMethod] = SimulatedMethod.allCases, jobs: Int = 2) throws {
        try AtomicFile.createDirectory(groundTruthDirectory(in: root))
        try AtomicFile.createDirectory(imageDirectory(in: root))
        for method in methods { try AtomicFile.createDirectory(predictionDirectory(in: root, method: method)) }
        let generator = SceneGenerator(width: width, height: height)
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: max(1, jobs)) { worker in
            for index in stride(from: worker, to: imageCount, by: max(1, jobs)) {
                if failure.withLock({ $0 != nil }) { return }
                do {
                    let scene = generator.scene(index: index, seed: seed)
                    try LabelMapWriter.writeRGB(
                        width: width, height: height, pixels: scene.image,
                        to: imageDirectory(in: root) + "/\(scene.id).png")
                    try LabelMapWriter.writeRGB(
                        width: width, height: height, pixels: colorCoded(scene.labels),
                        to: groundTruthDirectory(in: root) + "/\(scene.id).png")
                    for method in methods {
                        try LabelMapWriter.writePalette(
                            method.predict(scene, seed: seed), palette: Self.classColors,
                            to: predictionDirectory(in: root, method: method) + "/\(scene.id).png")
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func colorCoded(_ labels: LabelMap) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: labels.values.count * 3)
        for (index, value) in labels.values.enumerated() {
            let color = value < Self.classColors.count ? Self.classColors[Int(value)] : Self.ignoreColor
            pixels[index * 3] = color.r
            pixels[index * 3 + 1] = color.g
            pixels[index * 3 + 2] = color.b
        }
        return pixels
    }
}
