import Suites
import Testing
import Vocabulary

@Suite("Seen/unseen by vocabulary overlap")
struct VocabularyOverlapTests {
    @Test func singularRules() {
        let cases: [(String, String)] = [
            ("buildings", "building"), ("trees", "tree"), ("cars", "car"), ("tanks", "tank"), ("surfaces", "surface"),
            ("houses", "house"), ("factories", "factory"), ("benches", "bench"), ("boxes", "box"), ("grasses", "grass"),
            ("people", "person"),
            // Unchanged: short words, -ss, -us, -is, and words that are not plurals.
            ("grass", "grass"), ("bus", "bus"), ("sea", "sea"), ("tennis", "tennis"), ("impervious", "impervious"),
            ("building", "building"), ("chaparral", "chaparral"),
        ]
        for (word, singular) in cases {
            #expect(ClassNameNormalization.singular(word) == singular, "\(word)")
        }
    }

    @Test func namesAgreeAcrossCasePunctuationSpacingAndPlurals() {
        let same: [(String, String)] = [
            ("low vegetation", "low_vegetation"), ("Low Vegetation", "low-vegetation"), ("impervious surfaces", "impervious surface"),
            ("Buildings", "building"), ("trees", "Tree"), ("bare-soil", "bare soil"), ("baresoil", "bare soil"),
            ("  storage   tanks ", "storage-tank"), ("Clutter/Background", "clutter background"), ("mobile homes", "mobilehome"),
        ]
        for (a, b) in same {
            #expect(ClassNameNormalization.key(a) == ClassNameNormalization.key(b), "\(a) vs \(b)")
        }
        let different: [(String, String)] = [
            ("car", "cart"), ("tree", "street"), ("road", "roundabout"), ("sea", "sand"), ("low vegetation", "vegetation"),
            ("water", "waters edge"),
        ]
        for (a, b) in different {
            #expect(ClassNameNormalization.key(a) != ClassNameNormalization.key(b), "\(a) vs \(b)")
        }
    }

    @Test func synonymsOfBothSidesAreMatched() throws {
        // Potsdam "low vegetation" lists the synonym "grass", a DLRSD class; DLRSD "trees" lists
        // "tree", and LoveDA "forest" lists "tree".
        let dlrsd = try Vocabulary.load(key: "dlrsd")
        let loveda = try Vocabulary.load(key: "loveda")
        let overlap = VocabularyOverlap(training: dlrsd, test: loveda)
        let forest = try #require(overlap.matches.first { $0.testClass == "forest" })
        #expect(forest.testText == "tree")
        #expect(forest.trainingClass == "trees")
    }

    /// DLRSD (17 classes, no background) → ISPRS Potsdam, worked out by hand from the files:
    /// - impervious surfaces (synonyms impervious surface, road, parking lot): DLRSD has
    ///   "pavement" but no name or synonym that normalises to any of these → unseen.
    /// - building: DLRSD "buildings" (and its synonym "building") → seen.
    /// - low vegetation: its synonym "grass" is DLRSD's class "grass" → seen.
    /// - tree: DLRSD "trees" → seen.
    /// - car: DLRSD "cars" → seen.
    /// - clutter/background: Potsdam's background class → neither side.
    @Test func dlrsdToPotsdam() throws {
        let overlap = VocabularyOverlap(training: try Vocabulary.load(key: "dlrsd"), test: try Vocabulary.load(key: "potsdam"))
        print("DLRSD → Potsdam")
        for line in overlap.explanation { print(line) }
        #expect(overlap.seen == ["building", "low vegetation", "tree", "car"])
        #expect(overlap.unseen == ["impervious surfaces"])
        #expect(overlap.excludedID == 5)
        let pairs = overlap.matches.map { "\($0.testClass)=\($0.trainingClass)" }
        #expect(pairs == ["building=buildings", "low vegetation=grass", "tree=trees", "car=cars"])
        let split = overlap.classSplit
        #expect(split.seenIDs == [1, 2, 3, 4] && split.unseenIDs == [0] && split.inferred)
    }

    /// iSAID (background + 15 object classes) → LoveDA, by hand:
    /// - background: LoveDA's background class → neither (iSAID's own background matches nothing).
    /// - building (buildings, roof, house), road, water, barren (bareland, soil), forest (tree),
    ///   agricultural (agriculture, agriculture land): iSAID names ships, storage tanks, sports
    ///   grounds, bridges, vehicles, helicopters, pools, roundabouts, planes and harbors — none
    ///   of them normalises to any of these (roundabout is not road, harbor is not water) → all unseen.
    @Test func isaidToLoveDA() throws {
        let overlap = VocabularyOverlap(training: try Vocabulary.load(key: "isaid"), test: try Vocabulary.load(key: "loveda"))
        print("iSAID → LoveDA")
        for line in overlap.explanation { print(line) }
        #expect(overlap.seen.isEmpty)
        #expect(overlap.unseen == ["building", "road", "water", "barren", "forest", "agricultural"])
        #expect(overlap.excludedID == 0)
        #expect(overlap.matches.isEmpty)
    }

    @Test func backgroundClassesTakeNoPart() throws {
        // iSAID and LoveDA both have "background": it must not make LoveDA's background seen.
        let overlap = VocabularyOverlap(training: try Vocabulary.load(key: "loveda"), test: try Vocabulary.load(key: "isaid"))
        #expect(!overlap.seenIDs.contains(0) && !overlap.unseenIDs.contains(0))
    }

    @Test func everyPairOfShippedVocabularies() throws {
        let vocabularies = try Vocabulary.bundledKeys.map { try Vocabulary.load(key: $0) }
        #expect(vocabularies.count >= 10)
        for training in vocabularies {
            for test in vocabularies {
                let overlap = VocabularyOverlap(training: training, test: test)
                let all = overlap.seenIDs + overlap.unseenIDs + (overlap.excludedID.map { [$0] } ?? [])
                #expect(all.sorted() == Array(0..<test.classCount), "\(training.key) → \(test.key): every class on one side")
                #expect(overlap.matches.count == overlap.seenIDs.count)
                for (match, id) in zip(overlap.matches, overlap.seenIDs) {
                    #expect(match.testClassID == id)
                    #expect(ClassNameNormalization.key(match.testText) == ClassNameNormalization.key(match.trainingText))
                    #expect(test.classes[id].allNames.contains(match.testText))
                    let trainingClass = try #require(training.classes.first { $0.name == match.trainingClass })
                    #expect(trainingClass.allNames.contains(match.trainingText))
                }
                if training.key == test.key {
                    // A vocabulary against itself: every class but the background is seen.
                    #expect(overlap.unseenIDs.isEmpty, "\(test.key) against itself")
                }
            }
        }
    }
}
