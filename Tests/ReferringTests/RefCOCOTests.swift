import COCOMasks
import Foundation
import Referring
import Testing

/// RefCOCO-style refs (JSON conversion of refer's pickle) with a COCO instances file
/// (docs/referring.md §3.2).
@Suite struct RefCOCOTests {
    static let refs = """
        [
          {"ref_id": 7, "ann_id": 101, "image_id": 1, "split": "testA", "category_id": 3,
           "sentences": [{"sent": "left car", "sent_id": 70}, {"sent": "the car on the left", "sent_id": 71}]},
          {"ref_id": 8, "ann_id": 102, "image_id": 1, "split": "val", "category_id": 1,
           "sentences": [{"sent": "tall building", "sent_id": 80}]}
        ]
        """
    static let instances = """
        {"images": [{"id": 1, "height": 4, "width": 5}],
         "annotations": [
           {"id": 101, "image_id": 1, "category_id": 3, "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]]},
           {"id": 102, "image_id": 1, "category_id": 1, "segmentation": {"size": [4, 5], "counts": [16, 4]}}
         ],
         "categories": [{"id": 1, "name": "building"}, {"id": 3, "name": "car"}]}
        """

    func files(refs: String = refs, instances: String = instances) throws -> (String, String, String) {
        let folder = try Fixture.temporaryFolder()
        try Fixture.write(refs, to: folder + "/refs.json")
        try Fixture.write(instances, to: folder + "/instances.json")
        return (folder, folder + "/refs.json", folder + "/instances.json")
    }

    @Test func oneSamplePerSentence() throws {
        let (folder, refs, instances) = try files()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let all = try ReferringAnnotations.readRefCOCO(refs: refs, instances: instances, split: nil)
        #expect(all.samples.map(\.id) == ["7_0", "7_1", "8_0"])
        #expect(all.samples.map(\.text) == ["left car", "the car on the left", "tall building"])
        #expect(all.samples.map(\.className) == ["car", "car", "building"])
        #expect(all.samples.map(\.imageID) == ["1", "1", "1"])
        // The polygon covers the 2×2 block at the top left; the RLE the last column.
        #expect(all.samples[0].target.area == 4)
        #expect(all.samples[0].target.decoded()[x: 1, y: 1])
        #expect(all.samples[2].target.area == 4)
        #expect(all.samples[2].target.decoded()[x: 4, y: 3])
        #expect(all.format == .refcoco)
        let testA = try ReferringAnnotations.readRefCOCO(refs: refs, instances: instances, split: "testA")
        #expect(testA.samples.map(\.id) == ["7_0", "7_1"])
    }

    @Test func unknownAnnotationAndSplitAreErrors() throws {
        let (folder, refs, instances) = try files(refs: Self.refs.replacingOccurrences(of: "102", with: "999"))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            _ = try ReferringAnnotations.readRefCOCO(refs: refs, instances: instances, split: nil)
        } throws: { error in
            "\(error)".contains("ann_id 999")
        }
        #expect {
            _ = try ReferringAnnotations.readRefCOCO(refs: refs, instances: instances, split: "testB")
        } throws: { error in
            "\(error)".contains("testB")
        }
    }
}
