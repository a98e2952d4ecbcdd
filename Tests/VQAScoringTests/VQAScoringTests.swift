import Foundation
import Gate
import Harness
import JSON
import Reports
import Testing
import VQAScoring

/// A fresh temporary folder with the given files written into it.
private func folder(_ files: [String: String]) throws -> String {
    let path = NSTemporaryDirectory() + "ovseg-vqa-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/" + name)) }
    return path
}

private func expectError(_ kind: VQAError.Kind, containing parts: [String], _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a \(kind) error containing \(parts)")
    } catch let error as VQAError {
        #expect(error.kind == kind, "\(error)")
        for part in parts { #expect(error.description.contains(part), "\(error.description) lacks \(part)") }
        #expect(!error.description.contains("\n"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Suite struct NormalizationTests {
    let plain = AnswerNormalizer(countBuckets: nil, areaBuckets: nil)
    let lr = AnswerNormalizer(countBuckets: .rsvqa, areaBuckets: .rsvqa)

    @Test func caseWhitespaceAndTrailingPunctuation() {
        #expect(plain.normalize(" Yes. ", type: "presence") == "yes")
        #expect(plain.normalize("YES", type: "presence") == "yes")
        #expect(plain.normalize("no!", type: "presence") == "no")
        #expect(plain.normalize("yes?", type: "presence") == "yes")
        #expect(plain.normalize("  Rural \t area ", type: "rural_urban") == "rural area")
        // Only one trailing mark goes, as RSVQA's loader drops one.
        #expect(plain.normalize("no..", type: "presence") == "no.")
    }

    @Test func noSynonymsNoArticleStripping() {
        // RSVQA's evaluation compares answer tokens; "true" is not "yes" there and is not here.
        #expect(plain.normalize("true", type: "presence") == "true")
        #expect(plain.normalize("an urban area", type: "rural_urban") == "an urban area")
    }

    @Test func numbers() {
        #expect(plain.normalize("Three", type: "count") == "3")
        #expect(plain.normalize("3.0", type: "count") == "3")
        #expect(plain.normalize("3.00", type: "count") == "3")
        #expect(plain.normalize("03", type: "count") == "3")
        #expect(plain.normalize("3.5", type: "count") == "3.5")
        #expect(plain.normalize("-3", type: "count") == "-3")
        #expect(plain.normalize("twelve", type: "count") == "12")
    }

    @Test func countBucketsAsRSVQALowResolution() {
        // Buckets 0 | (0, 10] | (10, 100] | (100, 1000] | > 1000.
        #expect(lr.normalize("0", type: "count") == "0")
        #expect(lr.normalize("zero", type: "count") == "0")
        #expect(lr.normalize("1", type: "count") == "between 0 and 10")
        #expect(lr.normalize("ten", type: "count") == "between 0 and 10")
        #expect(lr.normalize("10.0", type: "count") == "between 0 and 10")
        #expect(lr.normalize("11", type: "count") == "between 10 and 100")
        #expect(lr.normalize("100", type: "count") == "between 10 and 100")
        #expect(lr.normalize("1000", type: "count") == "between 100 and 1000")
        #expect(lr.normalize("1001", type: "count") == "more than 1000")
        // A bucket label given as the prediction stays itself.
        #expect(lr.normalize("Between 10 and 100", type: "count") == "between 10 and 100")
        // Numbers of other question types are not bucketed.
        #expect(lr.normalize("12", type: "presence") == "12")
        // Without count buckets (RSVQA-HR) counts stay exact.
        #expect(plain.normalize("1001", type: "count") == "1001")
    }

    @Test func areas() {
        #expect(lr.normalize("0m2", type: "area") == "0m2")
        #expect(lr.normalize("10 m²", type: "area") == "between 0m2 and 10m2")
        #expect(lr.normalize("100.0m2", type: "area") == "between 10m2 and 100m2")
        #expect(lr.normalize("101m2", type: "area") == "between 100m2 and 1000m2")
        #expect(lr.normalize("1234M2", type: "area") == "more than 1000m2")
        #expect(plain.normalize("1234 m2", type: "area") == "1234m2")
        #expect(plain.normalize("12.5m2", type: "area") == "12.5m2")
    }

    @Test func customEdges() throws {
        let edges = try BucketEdges([5])
        #expect(edges.labels(unit: "") == ["0", "between 0 and 5", "more than 5"])
        #expect(edges.label(of: 5, unit: "") == "between 0 and 5")
        #expect(edges.label(of: 6, unit: "m2") == "more than 5m2")
        #expect(BucketEdges.rsvqa.labels(unit: "m2") == [
            "0m2", "between 0m2 and 10m2", "between 10m2 and 100m2", "between 100m2 and 1000m2", "more than 1000m2",
        ])
        #expect(try BucketEdges.parse("none", option: "--count-buckets") == nil)
        #expect(try BucketEdges.parse("rsvqa", option: "--count-buckets") == .rsvqa)
        #expect(try BucketEdges.parse("2, 20", option: "--count-buckets") == BucketEdges([2, 20]))
        expectError(.setting, containing: ["--count-buckets", "10,5"]) { _ = try BucketEdges.parse("10,5", option: "--count-buckets") }
        expectError(.setting, containing: ["--area-buckets", "\"x\""]) { _ = try BucketEdges.parse("10,x", option: "--area-buckets") }
        expectError(.setting, containing: ["0,10"]) { _ = try BucketEdges([0, 10]) }
    }
}

/// Ten questions over three types, worked out by hand:
/// - presence (4): references yes, yes, no, no; predictions yes ✓, "No." ✗, no ✓, "NO" ✓ → 3/4 = 0.75;
///   confusion rows yes: [1, 1, 0], no: [0, 2, 0].
/// - comp (1): reference yes, prediction "true" ✗ (no synonyms) → 0/1 = 0; row yes: [0, 0, 1].
/// - rural_urban (5): rural×3, urban×2, all right after case/space/"." → 5/5 = 1.
/// Overall accuracy = 8/10 = 0.8; average accuracy = (0.75 + 0 + 1) / 3 = 0.583333….
private let groundTruthCSV = """
    id,type,answer,image,question
    1,presence,yes,img1,Is there a road?
    2,presence,yes,img1,Is there a building?
    3,presence,no,img2,Is there water?
    4,presence,no,img2,Is there a farm?
    5,comp,yes,img1,"Are there more roads than buildings, really?"
    6,rural_urban,rural,img1,Is it rural or urban?
    7,rural_urban,rural,img2,Is it rural or urban?
    8,rural_urban,rural,img3,Is it rural or urban?
    9,rural_urban,urban,img4,Is it rural or urban?
    10,rural_urban,urban,img5,Is it rural or urban?

    """

private let predictionsCSV = """
    id,answer
    1,yes
    2,No.
    3,no
    4,NO
    5,true
    6,Rural
    7,rural.
    8," rural"
    9,URBAN
    10,urban

    """

@Suite struct ScoringTests {
    func scored(_ predictions: String = predictionsCSV, missingAsWrong: Bool = false) throws -> VQARunRecord {
        let dir = try folder(["gt.csv": groundTruthCSV, "pred.csv": predictions])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gt = try VQAGroundTruth.read(path: dir + "/gt.csv")
        let pred = try VQAPredictions.read(path: dir + "/pred.csv")
        return try VQAScorer.score(
            groundTruth: gt, predictions: pred, policy: VQAPolicy(normalizer: AnswerNormalizer(), missingAsWrong: missingAsWrong),
            method: "m", command: ["test"])
    }

    @Test func perTypeAndAverages() throws {
        let record = try scored()
        let scores = record.scores
        #expect(scores.questions == 10)
        #expect(scores.correct == 8)
        #expect(scores.overallAccuracy == 0.8)
        #expect(abs(scores.averageAccuracy! - 1.75 / 3) < 1e-15)
        #expect(scores.types.map(\.type) == ["comp", "presence", "rural_urban"])
        #expect(scores.types.map(\.correct) == [0, 3, 5])
        #expect(scores.types.map(\.questions) == [1, 4, 5])
        let presence = try #require(scores.types[1].confusion)
        #expect(presence.labels == ["yes", "no"])
        #expect(presence.counts == [[1, 1, 0], [0, 2, 0]])
        #expect(scores.types[0].confusion?.counts == [[0, 0, 1], [0, 0, 0]])
        #expect(scores.types[2].confusion?.counts == [[3, 0, 0], [0, 2, 0]])
        // Ids sort numerically; the quoted question keeps its comma.
        #expect(record.questions.map(\.id) == (1...10).map(String.init))
        #expect(record.questions[4].question == "Are there more roads than buildings, really?")
        #expect(record.questions[7].prediction == " rural")
    }

    @Test func missingPredictions() throws {
        let partial = predictionsCSV.replacingOccurrences(of: "4,NO\n", with: "").replacingOccurrences(of: "9,URBAN\n", with: "")
        expectError(.missingPrediction, containing: ["\"4\"", "2 questions"]) { _ = try scored(partial) }
        let record = try scored(partial, missingAsWrong: true)
        #expect(record.missingPredictions == ["4", "9"])
        // presence 2/4, comp 0/1, rural_urban 4/5: OA 6/10, AA (0.5 + 0 + 0.8) / 3.
        #expect(record.scores.correct == 6)
        #expect(abs(record.scores.averageAccuracy! - 1.3 / 3) < 1e-15)
        #expect(record.scores.types[1].confusion?.counts == [[1, 1, 0], [0, 1, 1]])
    }

    @Test func badPredictions() throws {
        expectError(.predictions, containing: ["\"99\"", "not in the ground truth"]) { _ = try scored(predictionsCSV + "99,yes\n") }
        let dir = try folder([
            "dup.csv": "id,answer\n1,yes\n1,no\n", "wide.csv": "id,answer\n1,yes,extra\n", "nohead.csv": "question,answer\n1,yes\n",
            "dup.json": "{\"answers\": [{\"id\": 1, \"answer\": \"yes\"}, {\"id\": \"1\", \"answer\": \"no\"}]}",
            "bad.json": "{\"1\": [\"yes\"]}", "obj.json": "{\"1\": \"yes\", \"2\": 3}",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectError(.predictions, containing: ["dup.csv", "line 3", "\"1\""]) { _ = try VQAPredictions.read(path: dir + "/dup.csv") }
        expectError(.predictions, containing: ["wide.csv", "line 2"]) { _ = try VQAPredictions.read(path: dir + "/wide.csv") }
        expectError(.predictions, containing: ["nohead.csv", "\"id\""]) { _ = try VQAPredictions.read(path: dir + "/nohead.csv") }
        expectError(.predictions, containing: ["dup.json", "answers[1]", "\"1\""]) { _ = try VQAPredictions.read(path: dir + "/dup.json") }
        expectError(.predictions, containing: ["bad.json", "\"1\""]) { _ = try VQAPredictions.read(path: dir + "/bad.json") }
        expectError(.predictions, containing: ["missing.csv"]) { _ = try VQAPredictions.read(path: dir + "/missing.csv") }
        let object = try VQAPredictions.read(path: dir + "/obj.json")
        #expect(object.answers == ["1": "yes", "2": "3"])
        #expect(object.format == .jsonObject)
    }

    @Test func badGroundTruth() throws {
        let dir = try folder([
            "dup.csv": "id,type,answer\n1,presence,yes\n1,presence,no\n",
            "empty.csv": "id,type,answer\n1,presence,\n",
            "simple.json": "{\"questions\": [{\"id\": \"a\", \"type\": \"presence\", \"answer\": \"yes\"}, {\"id\": \"b\", \"answer\": \"no\"}]}",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectError(.groundTruth, containing: ["dup.csv", "\"1\"", "twice"]) { _ = try VQAGroundTruth.read(path: dir + "/dup.csv") }
        expectError(.groundTruth, containing: ["empty.csv", "\"1\"", "empty answer"]) { _ = try VQAGroundTruth.read(path: dir + "/empty.csv") }
        expectError(.groundTruth, containing: ["simple.json", "\"b\"", "type"]) { _ = try VQAGroundTruth.read(path: dir + "/simple.json") }
    }

    /// RSVQA's release: integer ids, `active` flags, the answer found through answers_ids[0], and an
    /// images file selecting the questions of its active images.
    @Test func rsvqaRelease() throws {
        let questions = """
            {"questions": [
              {"id": 0, "date_added": 0, "img_id": 0, "type": "presence", "question": "Is there a road?", "answers_ids": [0], "active": true},
              {"id": 1, "date_added": 0, "img_id": 0, "type": "count", "question": "How many buildings are there?", "answers_ids": [1], "active": true},
              {"id": 2, "date_added": 0, "img_id": 1, "type": "rural_urban", "question": "Is it a rural or an urban area?", "answers_ids": [2], "active": true},
              {"id": 3, "date_added": 0, "img_id": 1, "type": "comp", "question": "Are there more roads than farms?", "answers_ids": [3], "active": false},
              {"id": 4, "date_added": 0, "img_id": 2, "type": "presence", "question": "Is there water?", "answers_ids": [4], "active": true}
            ]}
            """
        let answers = """
            {"answers": [
              {"id": 0, "date_added": 0, "question_id": 0, "people_id": 0, "answer": "yes", "active": true},
              {"id": 1, "date_added": 0, "question_id": 1, "people_id": 0, "answer": "27", "active": true},
              {"id": 2, "date_added": 0, "question_id": 2, "people_id": 0, "answer": "urban", "active": true},
              {"id": 3, "date_added": 0, "question_id": 3, "people_id": 0, "answer": "no", "active": true},
              {"id": 4, "date_added": 0, "question_id": 4, "people_id": 0, "answer": "no", "active": true}
            ]}
            """
        let images = """
            {"images": [
              {"id": 0, "questions_ids": [0, 1], "active": true},
              {"id": 1, "questions_ids": [2, 3], "active": true},
              {"id": 2, "questions_ids": [4], "active": false}
            ]}
            """
        let dir = try folder(["q.json": questions, "a.json": answers, "i.json": images, "p.json": "{\"0\": \"Yes\", \"1\": 31, \"2\": \"urban\"}"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let all = try VQAGroundTruth.read(path: dir + "/q.json", answers: dir + "/a.json")
        #expect(all.questions.map(\.id) == ["0", "1", "2", "4"])
        let split = try VQAGroundTruth.read(path: dir + "/q.json", answers: dir + "/a.json", images: dir + "/i.json")
        #expect(split.questions.map(\.id) == ["0", "1", "2"])
        #expect(split.questions[1] == VQAQuestion(id: "1", image: "0", type: "count", question: "How many buildings are there?", answer: "27"))
        #expect(split.format == .rsvqa)
        #expect(split.paths.count == 3 && split.fileSHA256.count == 3)
        // 27 and 31 share the bucket (10, 100] with count buckets (RSVQA-LR), not without.
        let pred = try VQAPredictions.read(path: dir + "/p.json")
        let lr = try VQAScorer.score(
            groundTruth: split, predictions: pred,
            policy: VQAPolicy(normalizer: AnswerNormalizer(countBuckets: .rsvqa), missingAsWrong: false), method: "m")
        #expect(lr.scores.correct == 3)
        let hr = try VQAScorer.score(
            groundTruth: split, predictions: pred, policy: VQAPolicy(normalizer: AnswerNormalizer(), missingAsWrong: false), method: "m")
        #expect(hr.scores.correct == 2)
        #expect(hr.scores.types.first { $0.type == "count" }?.confusion == nil)
        expectError(.groundTruth, containing: ["q.json", "--answers"]) { _ = try VQAGroundTruth.read(path: dir + "/q.json") }
    }
}

@Suite struct ResultsFileTests {
    func record() throws -> VQARunRecord {
        var record = try ScoringTests().scored(
            predictionsCSV.replacingOccurrences(of: "4,NO\n", with: ""), missingAsWrong: true)
        record.provenance.seconds = 0.5
        record.provenance.date = "2026-01-01T00:00:00Z"
        record.provenance.host = "host"
        return record
    }

    @Test func roundTrip() throws {
        let original = try record()
        let dir = try folder([:])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try VQAResultsFile.write(original, to: dir + "/run.ovseg.json")
        let read = try VQAResultsFile.read(path: dir + "/run.ovseg.json")
        #expect(read == original)
        #expect(read.scores == original.scores)
        let document = try JSONCodec.read(path: dir + "/run.ovseg.json")
        #expect(VQAResultsFile.isVQA(document))
        #expect(document["metrics"]?["correct"]?.intValue == 7)
        #expect(document["display"]?["overall_accuracy"]?.stringValue == "70.00")
        // presence 2/4, comp 0/1, rural_urban 5/5 → (0.5 + 0 + 1) / 3 = 50.00 %.
        #expect(document["display"]?["average_accuracy"]?.stringValue == "50.00")
        // The semantic reader refuses it with a sentence naming the kind.
        do {
            _ = try ResultsFile.read(path: dir + "/run.ovseg.json")
            Issue.record("the semantic reader read a VQA run")
        } catch {
            #expect("\(error)".contains("this is a VQA run"))
        }
    }

    @Test func tamperedFilesAreRefused() throws {
        let encoded = VQAResultsFile.encode(try record())
        guard var root = encoded.objectValue, var questions = root["questions"]?.arrayValue, var first = questions[0].objectValue else {
            Issue.record("unexpected encoding")
            return
        }
        first["correct"] = .bool(false)
        questions[0] = .object(first)
        root["questions"] = .array(questions)
        expectError(.resultsFile, containing: ["run.json", "\"1\"", "correct"]) {
            _ = try VQAResultsFile.decode(.object(root), source: "run.json")
        }
        guard var unlisted = encoded.objectValue, var predictions = unlisted["predictions"]?.objectValue else { return }
        predictions["missing_predictions"] = .array([])
        unlisted["predictions"] = .object(predictions)
        expectError(.resultsFile, containing: ["\"4\"", "missing_predictions"]) {
            _ = try VQAResultsFile.decode(.object(unlisted), source: "run.json")
        }
        expectError(.resultsFile, containing: ["schema"]) {
            _ = try VQAResultsFile.decode(.object(JSONObject([("schema", .string("ovseg-results/3"))])), source: "x")
        }
    }

    @Test func gate() throws {
        let base = try ScoringTests().scored()
        let same = try VQACheck.compare(baseline: base, run: base, maxDrop: 0.5, maxDropType: 2, exact: true)
        #expect(same.passed)
        // One presence answer lost: OA 80 → 70 (−10 pp), presence 75 → 50.
        let worse = try ScoringTests().scored(predictionsCSV.replacingOccurrences(of: "1,yes\n", with: "1,no\n"))
        let outcome = try VQACheck.compare(baseline: base, run: worse, maxDrop: 0.5, maxDropType: 2, exact: true)
        #expect(!outcome.passed)
        #expect(outcome.items.filter(\.failed).map(\.name) == ["overall accuracy", "average accuracy", "accuracy[presence]"])
        #expect(outcome.exactDifference?.contains("\"1\"") == true)
        let loose = try VQACheck.compare(baseline: base, run: worse, maxDrop: 10.01, maxDropType: 25.01, exact: false)
        #expect(loose.passed)
        let other = try ScoringTests().scored()
        var bucketed = other
        bucketed.policy.normalizer.countBuckets = .rsvqa
        expectError(.resultsFile, containing: ["buckets"]) {
            _ = try VQACheck.compare(baseline: base, run: bucketed, maxDrop: 0.5, maxDropType: 2, exact: false)
        }
    }

    @Test func reportEscapes() throws {
        var record = try ScoringTests().scored()
        record.method = "<b>m|x</b>"
        let report = VQAReport(title: "T & <i>", runs: [("run.json", record)])
        #expect(report.html.contains("&lt;b&gt;m|x&lt;/b&gt;"))
        #expect(!report.html.contains("<b>m"))
        #expect(report.markdown.contains("m\\|x"))
        #expect(report.html.contains("<td>58.33</td>"))
        #expect(report.markdown.contains("| yes | 1 | 1 | 0 |"))
    }
}
