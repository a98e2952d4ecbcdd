import Foundation

/// COCO polygons rasterised as pycocotools does (docs/referring.md §2.3), so masks and areas are
/// identical to the reference evaluators' to the pixel.
///
/// The rule, in words: vertices are scaled by 5 and rounded (`Int(5 v + 0.5)`, truncating toward
/// zero as C's cast does); every edge is walked one step per unit of its longer axis, the other
/// coordinate rounded the same way; wherever the walk moves to another column, a boundary point is
/// kept when that column is a pixel column after scaling back (`(u + 0.5) / 5 − 0.5` an integer in
/// `0…width−1`), at row `ceil((v + 0.5) / 5 − 0.5)` clamped to `0…height`; the sorted
/// column-major positions of those points are the run boundaries, and two boundaries at the same
/// position cancel.
public enum PolygonRasterizer {
    /// Vertex coordinates beyond this magnitude are refused: the edge walk takes one step per
    /// fifth of a pixel, so a vertex at 10⁹ would take seconds per edge and overflow 32 bits.
    public static let coordinateLimit = 16_777_216.0

    /// The mask of one polygon `[x0, y0, x1, y1, …]` (at least three vertices).
    public static func rasterize(_ coordinates: [Double], height: Int, width: Int) throws(COCOMaskError) -> RunLengthMask {
        try RunLengthMask.checkSize(height: height, width: width)
        guard coordinates.count % 2 == 0 else {
            throw COCOMaskError("polygon has \(coordinates.count) coordinates; x and y come in pairs")
        }
        guard coordinates.count >= 6 else {
            throw COCOMaskError(
                "polygon has \(coordinates.count / 2) vertices; COCO polygons have at least 3 "
                    + "(pycocotools reads a 4-number list as a box, not a polygon)")
        }
        for value in coordinates where !(value.isFinite && abs(value) <= coordinateLimit) {
            throw COCOMaskError("polygon coordinate \(value) is not a finite number within ±\(Int(coordinateLimit))")
        }
        let scale = 5.0
        let k = coordinates.count / 2
        var xs = [Int](repeating: 0, count: k + 1)
        var ys = [Int](repeating: 0, count: k + 1)
        for j in 0..<k {
            xs[j] = Int(scale * coordinates[2 * j] + 0.5)
            ys[j] = Int(scale * coordinates[2 * j + 1] + 0.5)
        }
        xs[k] = xs[0]
        ys[k] = ys[0]

        // The dense boundary walk, consumed point by point: only consecutive points are compared.
        var boundary: [Int] = []
        var previous: (u: Int, v: Int)?
        let h = Double(height)
        let lastColumn = Double(width - 1)
        func visit(_ u: Int, _ v: Int) {
            defer { previous = (u, v) }
            guard let (pu, pv) = previous, u != pu else { return }
            var xd = Double(u < pu ? u : u - 1)
            xd = (xd + 0.5) / scale - 0.5
            if xd.rounded(.down) != xd || xd < 0 || xd > lastColumn { return }
            var yd = Double(v < pv ? v : pv)
            yd = (yd + 0.5) / scale - 0.5
            if yd < 0 { yd = 0 } else if yd > h { yd = h }
            yd.round(.up)
            boundary.append(Int(xd) * height + Int(yd))
        }
        for j in 0..<k {
            var xs0 = xs[j], xe = xs[j + 1], ys0 = ys[j], ye = ys[j + 1]
            let dx = abs(xe - xs0), dy = abs(ys0 - ye)
            let flip = (dx >= dy && xs0 > xe) || (dx < dy && ys0 > ye)
            if flip {
                swap(&xs0, &xe)
                swap(&ys0, &ye)
            }
            if dx == 0 && dy == 0 {
                // A repeated vertex: the reference divides 0 by 0 here and its row is whatever the
                // CPU makes of NaN (x86: INT_MIN). The point shares its column with both
                // neighbours, so it never becomes a boundary point; the value only keeps the walk
                // identical.
                visit(xs0, Int(Int32.min))
                continue
            }
            let slope = dx >= dy ? Double(ye - ys0) / Double(dx) : Double(xe - xs0) / Double(dy)
            if dx >= dy {
                for d in 0...dx {
                    let t = flip ? dx - d : d
                    visit(t + xs0, Int(Double(ys0) + slope * Double(t) + 0.5))
                }
            } else {
                for d in 0...dy {
                    let t = flip ? dy - d : d
                    visit(Int(Double(xs0) + slope * Double(t) + 0.5), t + ys0)
                }
            }
        }

        // Boundary positions → counts: sort, difference, and let equal positions cancel.
        var positions = boundary.map { UInt32(truncatingIfNeeded: $0) }
        positions.append(UInt32(height * width))
        positions.sort()
        var deltas = [UInt32](repeating: 0, count: positions.count)
        var last: UInt32 = 0
        for (index, position) in positions.enumerated() {
            deltas[index] = position &- last
            last = position
        }
        var counts: [UInt32] = [deltas[0]]
        var j = 1
        while j < deltas.count {
            if deltas[j] > 0 {
                counts.append(deltas[j])
                j += 1
            } else {
                j += 1
                if j < deltas.count {
                    counts[counts.count - 1] &+= deltas[j]
                    j += 1
                }
            }
        }
        return RunLengthMask(uncheckedHeight: height, width: width, counts: counts)
    }

    /// The union of several polygons, as COCO's `annToRLE` merges an annotation's polygon list
    /// (overlapping parts are not holes: COCO polygons cannot express holes).
    public static func rasterize(polygons: [[Double]], height: Int, width: Int) throws(COCOMaskError) -> RunLengthMask {
        guard !polygons.isEmpty else { throw COCOMaskError("the polygon list is empty") }
        var mask: BinaryMask?
        for (index, polygon) in polygons.enumerated() {
            let rle: RunLengthMask
            do {
                rle = try rasterize(polygon, height: height, width: width)
            } catch {
                throw polygons.count == 1 ? error : COCOMaskError("polygon \(index + 1): \(error.description)")
            }
            if polygons.count == 1 { return rle }
            mask = mask.map { $0.union(rle.decoded()) } ?? rle.decoded()
        }
        return RunLengthMask(encoding: mask ?? BinaryMask(height: height, width: width))
    }
}
