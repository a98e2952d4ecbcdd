import Harness
import Segmenter

/// Compensation distance between the tuned features of the global view and a frozen encoder's.
struct DriftMeter {
    static let definition =
        "SmoothL1 (beta 1, mean) between POD(ReLU(F)) of the tuned and the frozen encoder's dense features "
        + "of the global view (average pools 1x1, 2x2, 4x4; row and column sums), i.e. SGSeg's compensation "
        + "loss without its 0.1 weight; regions: cells whose most frequent ground-truth class is seen / unseen"
    let frozen: SegmenterBackbone
    let guidanceLayers: [Int]
    let unseen: Set<Int32>
    let seen: Set<Int32>
    let classCount: Int
    var images: [FeatureDrift.Image] = []

    init(
        path: String, backbone: SegmenterConfiguration.Backbone, guidanceLayers: [Int], unseen: Set<Int32>,
        seen: Set<Int32>, classCount: Int
    ) throws {
        frozen = try SegmenterBackbone.frozen(path: path, backbone: backbone)
        self.guidanceLayers = guidanceLayers
        self.unseen = unseen
        self.seen = seen
        self.classCount = classCount
    }

    mutating func measure(_ request: PredictionRequest, segmentation: Segmentation) throws {
        let views = segmentation.windowPixels.shape[0]
        let global = try segmentation.windowPixels.batchItem(views - 1)
        let tuned = try segmentation.dense.batchItem(views - 1)
        let reference = try frozen.features(global, taps: guidanceLayers).dense
        let grid = tuned.shape[2]
        func region(_ classes: Set<Int32>) throws -> Double? {
            guard !classes.isEmpty else { return nil }
            let mask = CompensationDistance.regionMask(
                labels: request.groundTruthIDs, width: request.width, height: request.height, grid: grid,
                classes: classes, classCount: classCount)
            guard mask.contains(true) else { return nil }
            return try CompensationDistance.distance(tuned: tuned, frozen: reference, mask: mask)
        }
        images.append(FeatureDrift.Image(
            id: request.id, whole: try CompensationDistance.distance(tuned: tuned, frozen: reference),
            seen: try region(seen), unseen: try region(unseen)))
    }
}

