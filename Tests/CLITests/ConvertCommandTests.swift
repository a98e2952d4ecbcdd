import Foundation
import SafeTensors
import Segmenter
import Testing

/// A fixture of the checkpoint reader or converter tests, read from the source tree.
private func pthFixture(_ suite: String, _ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("\(suite)/Fixtures/\(name)").path
}

@Suite("ovseg convert")
struct ConvertCommandTests {
    static let tinyHead = ["--guidance-layers", "0,1", "--aggregator-heads", "2", "--aggregator-window", "2", "--pad-len", "5"]

    /// A converted detectron2 CAT-Seg checkpoint loads as a segmenter; the source's SHA-256 is recorded.
    @Test func convertsADetectron2CheckpointThatLoads() throws {
        let workspace = try Workspace()
        let output = workspace.path + "/catseg.safetensors"
        let outcome = try CLI.run(
            ["convert", pthFixture("CheckpointConversionTests", "catseg.pth"), "-o", output, "--vision-heads", "4", "--text-heads", "2"]
                + Self.tinyHead)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("catseg"))
        let file = try SafeTensorsFile(path: output)
        #expect(file.metadata["sgseg.arch"] == "catseg")
        #expect(file.metadata["sgseg.source"]?.contains("catseg.pth sha256 ") == true)
        let segmenter = try SoftGuidedSegmenter(file: file)
        #expect(segmenter.configuration.architecture == "catseg")
    }

    /// Bad input: exit 2, one line naming the file and the global or key, nothing written, an
    /// existing output left as it was.
    @Test func badInputWritesNothing() throws {
        let workspace = try Workspace()
        let basic = try Data(contentsOf: URL(fileURLWithPath: pthFixture("TorchCheckpointTests", "basic.pth")))
        let truncated = workspace.path + "/truncated.pth"
        try basic.prefix(basic.count / 2).write(to: URL(fileURLWithPath: truncated))
        let cases: [(String, [String])] = [
            (pthFixture("TorchCheckpointTests", "unsafe_system.pth"), ["posix.system"]),
            (pthFixture("TorchCheckpointTests", "clip_short_storage.pth"), ["'visual.conv1.weight'", "data/0", "has 100 bytes"]),
            (pthFixture("TorchCheckpointTests", "clip_missing_storage.pth"), ["'visual.conv1.weight'", "missing"]),
            (pthFixture("TorchCheckpointTests", "clip_complex.pth"), ["visual.conv1.weight", "ComplexFloatStorage"]),
            (pthFixture("TorchCheckpointTests", "legacy.pth"), ["legacy"]),
            (truncated, ["truncated"]),
            (pthFixture("CheckpointConversionTests", "sgseg.pth"), ["--vision-heads"]),
            (pthFixture("CheckpointConversionTests", "open_clip.pth"), ["--hidden-act"]),
        ]
        for (input, words) in cases {
            let output = workspace.path + "/out.safetensors"
            let clip = input.contains("clip")
            let outcome = try CLI.run(["convert", input, "-o", output, "--arch", clip ? "clip" : "sgseg"] + (clip && !input.contains("open_clip") ? ["--hidden-act", "gelu"] : []))
            #expect(outcome.status == 2, "\(input)")
            #expect(outcome.stderr.contains(input), "\(outcome.stderr)")
            for word in words { #expect(outcome.stderr.contains(word), "\(outcome.stderr)") }
            #expect(!workspace.exists("out.safetensors"), "\(input)")
        }
        let existing = workspace.path + "/kept.safetensors"
        try Data("old".utf8).write(to: URL(fileURLWithPath: existing))
        let failed = try CLI.run(["convert", pthFixture("TorchCheckpointTests", "unsafe_system.pth"), "-o", existing])
        #expect(failed.status == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("old".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.path).filter { $0.hasPrefix(".ovseg-tmp") }
        #expect(leftovers.isEmpty)
    }

    /// `ovseg eval` opens a .pth itself and, when the file lacks a setting, names the option that gives it.
    @Test func evalOpensPthFiles() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "1", "--size", "64", "--skip-model"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let pth = pthFixture("CheckpointConversionTests", "sgseg.pth")
        let outcome = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", workspace.path + "/d", "--checkpoint", pth, "-o", workspace.path + "/r.json",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(pth) && outcome.stderr.contains("--vision-heads"), "\(outcome.stderr)")
        #expect(!workspace.exists("r.json"))
    }
}
