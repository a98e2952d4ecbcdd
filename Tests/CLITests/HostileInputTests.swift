import Foundation
import Testing

/// Inputs an adversarial probe found that used to hang, overwrite an input or escape to the terminal.
@Suite("Hostile inputs on the command line", .serialized)
struct HostileInputTests {
    func demo(_ workspace: Workspace) throws -> (gt: String, pred: String) {
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "3", "--size", "64", "--skip-model"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return (workspace.path + "/d/gt", workspace.path + "/d/predictions/class-confusion")
    }

    @Test func aFIFONamedLikeALabelFileIsRefusedNotWaitedOn() throws {
        let workspace = try Workspace()
        let (gt, pred) = try demo(workspace)
        let names = try FileManager.default.contentsOfDirectory(atPath: gt).sorted()
        let victim = try #require(names.first)
        try FileManager.default.removeItem(atPath: gt + "/" + victim)
        #expect(mkfifo(gt + "/" + victim, 0o600) == 0)
        let outcome = try CLI.run(["score", "--vocab", "potsdam", "--gt", gt, "--pred", pred, "-o", workspace.path + "/run.ovseg.json"])
        // The folder walk lists regular files only, so the FIFO's prediction has no ground truth.
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(victim), "\(outcome.stderr)")
        #expect(!workspace.exists("run.ovseg.json"))
        // A FIFO given as a results file is refused instead of waiting for a writer.
        let fifo = workspace.path + "/baseline.ovseg.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let check = try CLI.run(["check", "--baseline", fifo, fifo])
        #expect(check.status == 2)
        #expect(check.stderr.contains("baseline.ovseg.json: not a regular file"), "\(check.stderr)")
    }

    @Test func outputsThatAreInputsAreRefusedBeforeWriting() throws {
        let workspace = try Workspace()
        let (gt, pred) = try demo(workspace)
        let tile = gt + "/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: gt).sorted().first))
        let before = try Data(contentsOf: URL(fileURLWithPath: tile))
        let clobber = try CLI.run(["score", "--vocab", "potsdam", "--gt", gt, "--pred", pred, "-o", tile])
        #expect(clobber.status == 2)
        #expect(clobber.stderr.contains("inside the ground-truth folder") || clobber.stderr.contains("would overwrite"), "\(clobber.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: tile)) == before, "the ground truth must be untouched")

        let baseline = workspace.path + "/base.ovseg.json"
        let scored = try CLI.run(["score", "--vocab", "potsdam", "--gt", gt, "--pred", pred, "-o", baseline, "--quiet"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let stored = try Data(contentsOf: URL(fileURLWithPath: baseline))
        let junit = try CLI.run(["check", "--baseline", baseline, baseline, "--junit", baseline])
        #expect(junit.status == 2)
        #expect(junit.stderr.contains("would overwrite the baseline"), "\(junit.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: baseline)) == stored, "the baseline must be untouched")

        let report = try CLI.run(["report", baseline, "--gt", gt, "-o", gt + "/report"])
        #expect(report.status == 2)
        #expect(report.stderr.contains("inside the ground-truth folder"), "\(report.stderr)")
        #expect(!FileManager.default.fileExists(atPath: gt + "/report"))
    }

    @Test func forgedResultsFilesGiveOneLineErrors() throws {
        let workspace = try Workspace()
        let (gt, pred) = try demo(workspace)
        let path = workspace.path + "/run.ovseg.json"
        let scored = try CLI.run(["score", "--vocab", "potsdam", "--gt", gt, "--pred", pred, "-o", path, "--quiet"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let forged = workspace.path + "/forged.ovseg.json"
        // A count json-c would clamp to 2^64 − 1, then an image id that climbs out of the dataset.
        let cases: [(String, String)] = [
            (text.replacingOccurrences(of: "\"width\": 64", with: "\"width\": 99999999999999999999999"), "2^64 − 1 or larger"),
            (text.replacingOccurrences(of: "\"id\": \"", with: "\"id\": \"../../"), "'..' path component"),
        ]
        for (content, expected) in cases {
            #expect(content != text, "the edit must change the file")
            try content.write(toFile: forged, atomically: true, encoding: .utf8)
            for command in [["check", "--baseline", path, forged], ["report", forged, "-o", workspace.path + "/r"]] {
                let outcome = try CLI.run(command)
                #expect(outcome.status == 2, "\(command): \(outcome.stderr)")
                #expect(outcome.stderr.contains("forged.ovseg.json") && outcome.stderr.contains(expected), "\(outcome.stderr)")
            }
        }
    }
}

@Suite("The demo never overwrites a user's folder", .serialized)
struct DemoFolderTests {
    @Test func aFolderWithOtherFilesIsRefusedAndLeftAlone() throws {
        let workspace = try Workspace()
        let data = workspace.path + "/mydata"
        try FileManager.default.createDirectory(atPath: data + "/gt", withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: data + "/gt/tile_0000.png"))
        let refused = try CLI.run(["demo", "--out", data, "--images", "2", "--size", "64", "--skip-model"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("already holds files and is not an earlier demo's folder"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: data + "/gt/tile_0000.png", encoding: .utf8) == "precious")

        // An earlier demo's folder may be written again.
        let demo = workspace.path + "/demo"
        for _ in 0..<2 {
            let made = try CLI.run(["demo", "--out", demo, "--images", "2", "--size", "64", "--skip-model"])
            #expect(made.status == 0, "\(made.stderr)")
        }
    }
}
