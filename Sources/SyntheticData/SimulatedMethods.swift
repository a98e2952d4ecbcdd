import LabelMaps

/// Predictions of imaginary segmenters, each with an error pattern seen in real models.
public enum SimulatedMethod: String, CaseIterable, Sendable {
    /// Good, but boundaries drift by a pixel or two (misregistration, blurry upsampling).
    case boundaryDrift = "boundary-drift"
    /// Mixes up look-alike classes: grass and trees, roofs and pavement.
    case classConfusion = "class-confusion"
    /// Misses small objects: cars vanish into the road, clutter into the surroundings.
    case smallObjectMisses = "small-object-misses"
    /// Open-vocabulary collapse: unseen classes are often predicted as the closest seen class.
    case seenCollapse = "seen-collapse"

    public var summary: String {
        switch self {
        case .boundaryDrift: "boundaries shifted by 1–2 px, light speckle"
        case .classConfusion: "grass↔tree and roof→pavement confusions in patches"
        case .smallObjectMisses: "cars and clutter missed or shrunk"
        case .seenCollapse: "unseen classes collapse onto seen ones (impervious→building, grass→tree, clutter→car)"
        }
    }

    /// The prediction for `scene`, deterministic from the seed.
    public func predict(_ scene: Scene, seed: UInt64) -> LabelMap {
        let width = scene.classes.width
        let height = scene.classes.height
        let truth = scene.classes.values
        var random = SeededGenerator(seed: seed ^ UInt64(truncatingIfNeeded: scene.id.hashValueStable) ^ rawSalt)
        var out = truth
        func at(_ x: Int, _ y: Int) -> UInt16 {
            truth[min(height - 1, max(0, y)) * width + min(width - 1, max(0, x))]
        }
        switch self {
        case .boundaryDrift:
            let dx = random.int(-2...2)
            let dy = random.int(-2...2)
            for y in 0..<height {
                for x in 0..<width {
                    out[y * width + x] = at(x + dx, y + dy)
                    if random.chance(0.01) { out[y * width + x] = UInt16(random.int(0...5)) }
                }
            }
        case .classConfusion:
            for _ in 0..<random.int(3...7) {
                let cx = random.int(0...(width - 1))
                let cy = random.int(0...(height - 1))
                let r = random.int(20...50)
                for y in max(0, cy - r)..<min(height, cy + r) {
                    for x in max(0, cx - r)..<min(width, cx + r) {
                        let i = y * width + x
                        switch SceneClass(rawValue: truth[i]) {
                        case .lowVegetation: out[i] = SceneClass.tree.rawValue
                        case .tree: out[i] = SceneClass.lowVegetation.rawValue
                        case .building where random.chance(0.6): out[i] = SceneClass.impervious.rawValue
                        default: break
                        }
                    }
                }
            }
            speckle(&out, random: &random, rate: 0.005)
        case .smallObjectMisses:
            for y in 0..<height {
                for x in 0..<width {
                    let i = y * width + x
                    if truth[i] == SceneClass.car.rawValue {
                        out[i] = SceneClass.impervious.rawValue
                    } else if truth[i] == SceneClass.clutter.rawValue {
                        // Take the class of a nearby non-clutter pixel.
                        out[i] = [at(x - 6, y), at(x + 6, y), at(x, y - 6), at(x, y + 6)]
                            .first { $0 != SceneClass.clutter.rawValue } ?? SceneClass.lowVegetation.rawValue
                    }
                }
            }
            // Keep the centres of a few cars.
            for y in 0..<height {
                for x in 0..<width where truth[y * width + x] == SceneClass.car.rawValue {
                    if at(x - 2, y) == SceneClass.car.rawValue && at(x + 2, y) == SceneClass.car.rawValue
                        && at(x, y - 2) == SceneClass.car.rawValue && at(x, y + 2) == SceneClass.car.rawValue
                        && (x / 16 + y / 16) % 3 == 0
                    {
                        out[y * width + x] = SceneClass.car.rawValue
                    }
                }
            }
            speckle(&out, random: &random, rate: 0.003)
        case .seenCollapse:
            // Patches where every unseen-class pixel goes to a seen look-alike.
            let collapseTo: [SceneClass: SceneClass] = [.impervious: .building, .lowVegetation: .tree, .clutter: .car]
            for _ in 0..<random.int(4...8) {
                let cx = random.int(0...(width - 1))
                let cy = random.int(0...(height - 1))
                let r = random.int(25...60)
                for y in max(0, cy - r)..<min(height, cy + r) {
                    for x in max(0, cx - r)..<min(width, cx + r) {
                        let i = y * width + x
                        if let from = SceneClass(rawValue: truth[i]), let to = collapseTo[from] { out[i] = to.rawValue }
                    }
                }
            }
            speckle(&out, random: &random, rate: 0.004)
        }
        return LabelMap(width: width, height: height, values: out)
    }

    private var rawSalt: UInt64 {
        UInt64(truncatingIfNeeded: rawValue.hashValueStable)
    }

    private func speckle(_ values: inout [UInt16], random: inout SeededGenerator, rate: Double) {
        for i in values.indices where random.chance(rate) { values[i] = UInt16(random.int(0...5)) }
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across runs (Swift's `hashValue` is randomly seeded).
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }
}
