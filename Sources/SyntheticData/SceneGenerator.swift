import LabelMaps

/// The classes of the synthetic scenes, in ISPRS Potsdam evaluation-id order.
public enum SceneClass: UInt16, CaseIterable, Sendable {
    case impervious = 0, building, lowVegetation, tree, car, clutter
}

/// A synthetic aerial tile: its label map (class ids, with `ignore` on eroded boundaries)
/// and an RGB rendering with per-class texture.
public struct Scene: Sendable {
    public let id: String
    /// Ground truth as released: class ids, `ignore` on eroded building outlines.
    public let labels: LabelMap
    /// The complete class of every pixel (what a perfect model predicts).
    public let classes: LabelMap
    /// Interleaved RGB, `width * height * 3` bytes.
    public let image: [UInt8]
    /// Value used for unlabeled (eroded boundary) pixels.
    public static let ignore: UInt16 = 255
}

/// Draws remote-sensing-like tiles: a road grid with cars, buildings with eroded outlines,
/// tree crowns, grass and clutter, deterministically from a seed.
public struct SceneGenerator: Sendable {
    public let width: Int
    public let height: Int

    public init(width: Int = 256, height: Int = 256) {
        self.width = width
        self.height = height
    }

    public func scene(index: Int, seed: UInt64) -> Scene {
        var random = SeededGenerator(seed: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
        var labels = [UInt16](repeating: SceneClass.lowVegetation.rawValue, count: width * height)
        func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ value: SceneClass) {
            guard max(0, y0) < min(height, y1), max(0, x0) < min(width, x1) else { return }
            for y in max(0, y0)..<min(height, y1) {
                for x in max(0, x0)..<min(width, x1) { labels[y * width + x] = value.rawValue }
            }
        }
        func disc(_ cx: Int, _ cy: Int, _ r: Int, _ value: SceneClass, over: SceneClass? = nil) {
            let top = max(0, cy - r)
            let bottom = min(height, cy + r + 1)
            let left = max(0, cx - r)
            let right = min(width, cx + r + 1)
            guard top < bottom, left < right else { return }
            for y in top..<bottom {
                for x in left..<right where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                    if let over, labels[y * width + x] != over.rawValue { continue }
                    labels[y * width + x] = value.rawValue
                }
            }
        }

        // Roads: one or two horizontal and vertical strips.
        var roadRows: [(Int, Int)] = []
        var roadColumns: [(Int, Int)] = []
        for _ in 0..<random.int(1...2) {
            let w = random.int(10...20)
            let y = random.int(0...(height - w))
            fill(0, y, width, y + w, .impervious)
            roadRows.append((y, w))
        }
        for _ in 0..<random.int(1...2) {
            let w = random.int(10...20)
            let x = random.int(0...(width - w))
            fill(x, 0, x + w, height, .impervious)
            roadColumns.append((x, w))
        }
        // Buildings: rectangles on free ground, with a paved yard around some.
        for _ in 0..<random.int(8...16) {
            let w = random.int(16...min(56, width / 3))
            let h = random.int(16...min(56, height / 3))
            let x = random.int(0...(width - w))
            let y = random.int(0...(height - h))
            var free = true
            for yy in stride(from: y, to: y + h, by: 4) {
                for xx in stride(from: x, to: x + w, by: 4) where labels[yy * width + xx] == SceneClass.impervious.rawValue {
                    free = false
                }
            }
            guard free else { continue }
            if random.chance(0.5) { fill(x - 4, y - 4, x + w + 4, y + h + 4, .impervious) }
            fill(x, y, x + w, y + h, .building)
        }
        // Trees: crowns on grass.
        for _ in 0..<random.int(10...24) {
            disc(random.int(0...(width - 1)), random.int(0...(height - 1)), random.int(5...14), .tree, over: .lowVegetation)
        }
        // Cars: small boxes along roads.
        for (y, w) in roadRows {
            for _ in 0..<random.int(1...5) {
                let x = random.int(0...(width - 12))
                let lane = y + random.int(1...max(1, w - 7))
                fill(x, lane, x + 11, lane + 5, .car)
            }
        }
        for (x, w) in roadColumns {
            for _ in 0..<random.int(1...4) {
                let y = random.int(0...(height - 12))
                let lane = x + random.int(1...max(1, w - 7))
                fill(lane, y, lane + 5, y + 11, .car)
            }
        }
        // Clutter: a few irregular patches.
        for _ in 0..<random.int(1...4) {
            let cx = random.int(0...(width - 1))
            let cy = random.int(0...(height - 1))
            for _ in 0..<random.int(2...5) {
                disc(cx + random.int(-6...6), cy + random.int(-6...6), random.int(2...5), .clutter)
            }
        }

        let image = render(labels, random: &random)
        // Eroded ground truth: building outlines become unlabeled, as in the ISPRS "noBoundary" labels.
        var eroded = labels
        for y in 0..<height {
            for x in 0..<width where labels[y * width + x] == SceneClass.building.rawValue {
                let onEdge = [(1, 0), (-1, 0), (0, 1), (0, -1)].contains { dx, dy in
                    let nx = x + dx
                    let ny = y + dy
                    return nx >= 0 && ny >= 0 && nx < width && ny < height
                        && labels[ny * width + nx] != SceneClass.building.rawValue
                }
                if onEdge { eroded[y * width + x] = Scene.ignore }
            }
        }
        let id = "tile_" + String(repeating: "0", count: max(0, 4 - String(index).count)) + String(index)
        return Scene(
            id: id, labels: LabelMap(width: width, height: height, values: eroded),
            classes: LabelMap(width: width, height: height, values: labels), image: image)
    }

    /// Per-class base colours of an aerial photo, with texture noise.
    private func render(_ labels: [UInt16], random: inout SeededGenerator) -> [UInt8] {
        let base: [(Int, Int, Int)] = [
            (128, 128, 132),  // impervious: asphalt grey
            (178, 96, 80),  // building: roof tiles
            (120, 170, 90),  // low vegetation: grass
            (40, 95, 45),  // tree: dark crowns
            (30, 60, 170),  // car: painted metal
            (150, 120, 90),  // clutter: soil and debris
        ]
        var pixels = [UInt8](repeating: 0, count: labels.count * 3)
        for index in labels.indices {
            let (r, g, b) = base[Int(labels[index])]
            let noise = random.int(-18...18)
            pixels[index * 3] = UInt8(clamping: r + noise + random.int(-6...6))
            pixels[index * 3 + 1] = UInt8(clamping: g + noise + random.int(-6...6))
            pixels[index * 3 + 2] = UInt8(clamping: b + noise + random.int(-6...6))
        }
        return pixels
    }
}
