import Foundation
import LabelMaps
import Vocabulary

/// A fresh folder per test, removed when the value goes away.
final class Scratch {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-inspect-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes small label folders in the encodings users meet: one class map per image (blocks of
/// every class), its predictions (a quarter of the pixels wrong), each saved in a chosen way.
struct LabelFolders {
    let root: String
    let vocabulary: Vocabulary
    var images = 4
    var size = 32

    init(in scratch: Scratch, vocabulary key: String) throws {
        root = scratch.path
        vocabulary = try Vocabulary.load(key: key)
    }

    var k: Int { vocabulary.classCount }

    /// The class of pixel (x, y) of image `image`.
    func truth(_ image: Int, _ x: Int, _ y: Int) -> Int { (x / 5 + y / 7 + image) % k }

    /// The predicted class: the truth, except on a quarter of the pixels.
    func predicted(_ image: Int, _ x: Int, _ y: Int) -> Int {
        let id = truth(image, x, y)
        return (y * size + x) &* 2_654_435_761 % 4 == 0 ? (id + 2) % k : id
    }

    enum Encoding {
        /// Gray class ids; `ignoreCorner` puts 255 in a 3×3 corner.
        case ids
        /// mmseg's reduce_zero_label: id + 1, 0 in the corner.
        case reduceZeroLabel
        /// Gray ids + 1 (mmseg 1.x's prediction files for reduce_zero_label datasets).
        case plusOne
        /// 16-bit gray ids, 255 in the corner.
        case ids16
        /// Palette PNG of ids in the vocabulary's colours.
        case palette
        /// Palette PNG of ids whose palette lists the vocabulary's colours in reverse order.
        case reversedPalette
        /// RGB in the vocabulary's colours.
        case colors
        /// RGB in another vocabulary's colours.
        case otherColors(Vocabulary)
        /// 0 for class 0, 255 elsewhere.
        case binary
        /// Every pixel the given value.
        case constant(UInt16)
        /// A value computed from the class.
        case mapped((Int) -> UInt16)
    }

    /// Writes `folder` with the ground truth (`prediction` false) or the predictions.
    @discardableResult
    func write(_ folder: String, _ encoding: Encoding, prediction: Bool = false) throws -> String {
        let directory = root + "/" + folder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for image in 0..<images {
            var ids = [Int](repeating: 0, count: size * size)
            for y in 0..<size { for x in 0..<size { ids[y * size + x] = prediction ? predicted(image, x, y) : truth(image, x, y) } }
            let corner = { (i: Int) in !prediction && i % self.size < 3 && i / self.size < 3 }
            let path = directory + "/tile_\(image).png"
            func gray(_ value: (Int, Int) -> UInt16) -> LabelMap {
                LabelMap(width: size, height: size, values: ids.enumerated().map { value($0.offset, $0.element) })
            }
            switch encoding {
            case .ids: try LabelMapWriter.writeGray8(gray { corner($0) ? 255 : UInt16($1) }, to: path)
            case .reduceZeroLabel: try LabelMapWriter.writeGray8(gray { corner($0) ? 0 : UInt16($1 + 1) }, to: path)
            case .plusOne: try LabelMapWriter.writeGray8(gray { UInt16($1 + 1) }, to: path)
            case .ids16: try LabelMapWriter.writeGray16(gray { corner($0) ? 255 : UInt16($1) }, to: path)
            case .palette:
                try LabelMapWriter.writePalette(gray { UInt16($1) }, palette: vocabulary.classes.map(\.color), to: path)
            case .reversedPalette:
                try LabelMapWriter.writePalette(gray { UInt16($1) }, palette: vocabulary.classes.map(\.color).reversed(), to: path)
            case .colors, .otherColors:
                var palette = vocabulary.classes.map(\.color)
                if case .otherColors(let other) = encoding { palette = other.classes.map(\.color) }
                let pixels = ids.flatMap { [palette[$0 % palette.count].r, palette[$0 % palette.count].g, palette[$0 % palette.count].b] }
                try LabelMapWriter.writeRGB(width: size, height: size, pixels: pixels, to: path)
            case .binary: try LabelMapWriter.writeGray8(gray { $1 == 0 ? 0 : 255 }, to: path)
            case .constant(let value): try LabelMapWriter.writeGray8(gray { _, _ in value }, to: path)
            case .mapped(let map): try LabelMapWriter.writeGray8(gray { map($1) }, to: path)
            }
        }
        return directory
    }
}
