import FileOutput
import JSON
import LabelMaps

/// The demo's synthetic VQA set (docs/vqa.md §9): RSVQA-style questions about the synthetic scenes
/// (presence, count, comparison, area, rural/urban), answered from the scenes' complete label
/// maps, and a simulated answerer with programmed errors and free-text spellings that the
/// normalisation has to absorb ("Yes.", "three").
public struct SyntheticVQASet: Sendable {
    public struct Question: Sendable, Equatable {
        public var id: String
        public var image: String
        public var type: String
        public var question: String
        public var answer: String
        /// The simulated answerer's answer.
        public var predicted: String
    }

    /// Method name of the simulated VQA run.
    public static let methodName = "vqa-demo"
    /// Ground sample distance of the synthetic tiles for area answers: 0.25 m, so 16 pixels = 1 m².
    public static let pixelsPerSquareMetre = 16
    /// Components smaller than this are not counted (as in the referring set).
    public static let minimumArea = SyntheticReferringSet.minimumArea
    /// A tile is urban when buildings cover at least this share of it (in percent).
    public static let urbanBuildingPercent = 10
    /// A building is large from this area on, in m².
    public static let largeBuildingSquareMetres = 100

    public var questions: [Question]

    /// Questions about the scenes `0..<imageCount` of the demo dataset.
    public init(imageCount: Int, width: Int, height: Int, seed: UInt64) {
        let generator = SceneGenerator(width: width, height: height)
        var questions: [Question] = []
        for index in 0..<imageCount {
            questions += Self.questions(of: generator.scene(index: index, seed: seed), index: index)
        }
        self.questions = questions
    }

    static let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]

    static func questions(of scene: Scene, index: Int) -> [Question] {
        let labels = scene.classes
        func count(_ sceneClass: SceneClass) -> Int {
            SyntheticReferringSet.components(of: sceneClass.rawValue, in: labels).filter { $0.area >= minimumArea }.count
        }
        func pixels(_ sceneClass: SceneClass) -> Int { labels.values.filter { $0 == sceneClass.rawValue }.count }
        func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
        var result: [Question] = []
        func add(_ type: String, _ question: String, _ answer: String, _ predicted: String) {
            result.append(Question(
                id: "\(scene.id)-\(result.count + 1)", image: scene.id, type: type, question: question, answer: answer,
                predicted: predicted))
        }
        let buildingComponents = SyntheticReferringSet.components(of: SceneClass.building.rawValue, in: labels)
        let buildings = buildingComponents.filter { $0.area >= minimumArea }.count
        let cars = count(.car)
        let largest = buildingComponents.map(\.area).max() ?? 0
        let buildingArea = pixels(.building) / pixelsPerSquareMetre
        // Presence: a large building (judged by the answerer from all buildings' area instead of the
        // largest one's, in varied spellings), and cars (missed on every third tile).
        let large = largest / pixelsPerSquareMetre >= largeBuildingSquareMetres
        let saidLarge = buildingArea >= largeBuildingSquareMetres * 3 / 2
        add("presence", "Is there a building larger than \(largeBuildingSquareMetres) m²?", yesNo(large), saidLarge ? "Yes." : "No.")
        let carsSeen = index % 3 == 2 ? cars == 0 : cars > 0
        add("presence", "Is there a car?", yesNo(cars > 0), yesNo(carsSeen))
        // Count: buildings right (as words up to ten), cars one too many on odd tiles.
        add("count", "How many buildings are there?", String(buildings), buildings <= 10 ? words[buildings] : String(buildings))
        add("count", "How many cars are there?", String(cars), String(index % 2 == 1 ? cars + 1 : cars))
        // Comparison: the answerer always says yes.
        add("comp", "Are there more cars than buildings?", yesNo(cars > buildings), "yes")
        // Area: overestimated by 30 %, so it lands in the next bucket near the edges.
        add("area", "What is the area covered by buildings?", "\(buildingArea)m2", "\(buildingArea * 13 / 10) m2")
        // Rural/urban: flipped on every fourth tile.
        let urban = pixels(.building) * 100 >= urbanBuildingPercent * labels.values.count
        let saidUrban = index % 4 == 3 ? !urban : urban
        add("rural_urban", "Is it a rural or an urban area?", urban ? "urban" : "rural", saidUrban ? "Urban" : "rural")
        return result
    }

    /// Writes `questions.json` (the simple ground-truth form) and `answers.csv` (the simulated
    /// answers) into `folder`; returns their paths.
    public func write(to folder: String) throws -> (questions: String, predictions: String) {
        try AtomicFile.createDirectory(folder)
        let items: [JSONValue] = questions.map { question in
            .object(JSONObject([
                ("id", .string(question.id)), ("image", .string(question.image)), ("type", .string(question.type)),
                ("question", .string(question.question)), ("answer", .string(question.answer)),
            ]))
        }
        let questionsPath = folder + "/questions.json"
        let predictionsPath = folder + "/answers.csv"
        try JSONCodec.write(.object(JSONObject([("questions", .array(items))])), to: questionsPath)
        var csv = "id,answer\n"
        for question in questions { csv += "\(question.id),\(question.predicted)\n" }
        try AtomicFile.write(text: csv, to: predictionsPath)
        return (questionsPath, predictionsPath)
    }
}
