import JSON
import LabelMaps
import Foundation

extension Vocabulary {
    /// Loads and validates the vocabulary file at `path`.
    /// Throws the first `VocabularyError` found; `problems(inFileAt:)` lists all.
    public static func load(path: String) throws -> Vocabulary {
        switch check(fileAt: path, displayName: path) {
        case .success(let vocabulary): return vocabulary
        case .failure(let problems): throw problems.errors[0]
        }
    }

    /// Parses and validates vocabulary JSON held in memory; `file` names it in messages.
    public static func parse(_ data: Data, file: String) throws -> Vocabulary {
        switch check(data: data, file: file) {
        case .success(let vocabulary): return vocabulary
        case .failure(let problems): throw problems.errors[0]
        }
    }

    /// Every problem in the file at `path` (empty when it is valid).
    /// A scene vocabulary (`"task": "scene-classification"`) is checked as one.
    public static func problems(inFileAt path: String) -> [VocabularyError] {
        if fileTask(atPath: path) == SceneVocabulary.task {
            switch SceneVocabulary.check(fileAt: path, displayName: path) {
            case .success: return []
            case .failure(let problems): return problems.errors
            }
        }
        switch check(fileAt: path, displayName: path) {
        case .success: return []
        case .failure(let problems): return problems.errors
        }
    }

    /// A non-empty list of problems, so `Result` can carry all of them.
    struct Problems: Error {
        var errors: [VocabularyError]
    }

    static func check(fileAt path: String, displayName: String) -> Result<Vocabulary, Problems> {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedDescription
            return .failure(Problems(errors: [VocabularyError(.unreadableFile, file: displayName,
                                                              "cannot read the file (\(reason))")]))
        }
        return check(data: data, file: displayName)
    }

    /// Decodes the file, then checks its meaning, collecting every semantic problem.
    static func check(data: Data, file: String) -> Result<Vocabulary, Problems> {
        // json-c first (strict, nesting ≤ 128, exact integers, no NaN, no duplicate keys): Foundation's
        // decoder keeps the last of duplicate keys and says only "not valid JSON" for the rest.
        do {
            _ = try JSONCodec.parse([UInt8](data), source: file)
        } catch {
            let prefix = file + ": "
            let reason = error.description.hasPrefix(prefix) ? String(error.description.dropFirst(prefix.count)) : error.description
            return .failure(Problems(errors: [VocabularyError(.malformedJSON, file: file, "not valid JSON: \(reason)")]))
        }
        let decoder = JSONDecoder()
        // The schema tag first: a file of another kind gets one clear message.
        do {
            let probe = try decoder.decode(SchemaProbe.self, from: data)
            guard let schema = probe.schema else {
                return .failure(Problems(errors: [VocabularyError(.missingKey, file: file, entry: "schema",
                    "missing key 'schema' (expected \"\(schemaTag)\")")]))
            }
            guard schema == schemaTag else {
                return .failure(Problems(errors: [VocabularyError(.wrongSchema, file: file, entry: "schema",
                    "schema is \"\(schema)\", expected \"\(schemaTag)\"")]))
            }
            if let task = probe.task {
                let message = task == SceneVocabulary.task
                    ? "a scene-classification vocabulary (task \"\(task)\"): it has no pixel classes, so semantic commands "
                        + "(score, eval, suite, inspect, …) cannot use it; score scene labels with `ovseg classify score`"
                    : "task is \"\(task)\"; a semantic vocabulary has no task key and a scene vocabulary has \"\(SceneVocabulary.task)\""
                return .failure(Problems(errors: [VocabularyError(.wrongTask, file: file, entry: "task", message)]))
            }
        } catch {
            return .failure(Problems(errors: [vocabularyError(fromDecoding: error, file: file)]))
        }
        let raw: RawVocabularyFile
        do {
            raw = try decoder.decode(RawVocabularyFile.self, from: data)
        } catch {
            return .failure(Problems(errors: [vocabularyError(fromDecoding: error, file: file)]))
        }
        var checker = SemanticChecker(file: file)
        let vocabulary = checker.build(from: raw)
        if let vocabulary, checker.problems.isEmpty { return .success(vocabulary) }
        return .failure(Problems(errors: checker.problems))
    }
}

/// Checks the meaning of a decoded file and builds the `Vocabulary`.
struct SemanticChecker {
    let file: String
    var problems: [VocabularyError] = []

    init(file: String) { self.file = file }

    mutating func report(_ kind: VocabularyError.Kind, _ entry: String?, _ problem: String) {
        problems.append(VocabularyError(kind, file: file, entry: entry, problem))
    }

    mutating func build(from raw: RawVocabularyFile) -> Vocabulary? {
        checkKey(raw.key)
        if raw.name.trimmingCharacters(in: .whitespaces).isEmpty { report(.invalidValue, "name", "name is empty") }
        let classes = checkClasses(raw.classes)
        let nameIndex = buildNameIndex(classes)
        let encoding = checkEncoding(raw.labelEncoding, classes: classes)
        let background = checkBackground(raw.background, nameIndex: nameIndex, classes: classes)
        checkTemplates(raw.promptTemplates)
        let splits = checkSplits(raw.splits, nameIndex: nameIndex, classes: classes)
        let layouts = LayoutValidation.check(raw.layouts, file: file, problems: &problems)
        if let name = raw.defaultSplit, !splits.contains(where: { $0.name == name }) {
            let available = splits.isEmpty ? "the file has no splits" : "its splits are " + splits.map(\.name).joined(separator: ", ")
            report(.unknownSplit, "default_split", "default_split '\(name)' names no split of this file; \(available)")
        }
        guard problems.isEmpty, let encoding, let background else { return nil }
        return Vocabulary(key: raw.key, name: raw.name, description: raw.description, classes: classes,
                          encoding: encoding, background: background, promptTemplates: raw.promptTemplates,
                          splits: splits, defaultSplitName: raw.defaultSplit, sources: raw.sources, notes: raw.notes,
                          file: file, layouts: layouts)
    }

    mutating func checkKey(_ key: String) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        if key.isEmpty || !key.allSatisfy({ allowed.contains($0) }) {
            report(.invalidValue, "key", "key '\(key)' must be non-empty lower-case letters, digits, '_' or '-'")
        }
    }

    /// ids 0..K-1 in order, non-empty names, colours in range and distinct.
    mutating func checkClasses(_ rawClasses: [RawClass]) -> [VocabularyClass] {
        if rawClasses.isEmpty { report(.classIDs, "classes", "the class list is empty") }
        // Evaluation ids are stored as 16-bit values, and one value must stay free to mark ignored pixels.
        if rawClasses.count > Int(UInt16.max) {
            report(.classIDs, "classes",
                   "\(rawClasses.count) classes; at most 65535 are supported (label values are 16-bit and one is needed for ignore)")
        }
        var classes: [VocabularyClass] = []
        var classByColor: [RGB: String] = [:]
        for (position, rawClass) in rawClasses.enumerated() {
            let entry = "classes[\(position)]"
            if rawClass.id != position {
                report(.classIDs, "\(entry).id",
                       "class '\(rawClass.name)' has id \(rawClass.id), expected \(position) (ids must be 0..K-1 in file order)")
            }
            if rawClass.name.trimmingCharacters(in: .whitespaces).isEmpty {
                report(.invalidValue, "classes[\(position)].name", "class name is empty")
            }
            guard let color = checkColor(rawClass.color, entry: "\(entry).color") else {
                // Keep the position so later checks can index classes by id; the file is already invalid.
                classes.append(VocabularyClass(id: position, name: rawClass.name, synonyms: rawClass.synonyms, color: RGB(0, 0, 0)))
                continue
            }
            if let other = classByColor[color] {
                report(.duplicateColor, "\(entry).color",
                       "colour \(color) of class '\(rawClass.name)' is already used by class '\(other)'")
            } else {
                classByColor[color] = rawClass.name
            }
            classes.append(VocabularyClass(id: position, name: rawClass.name, synonyms: rawClass.synonyms, color: color))
        }
        return classes
    }

    mutating func checkColor(_ components: [Int], entry: String) -> RGB? {
        guard components.count == 3 else {
            report(.colorOutOfRange, entry, "a colour needs exactly 3 components [r, g, b], found \(components.count)")
            return nil
        }
        let outOfRange = components.filter { !(0...255).contains($0) }
        if !outOfRange.isEmpty {
            report(.colorOutOfRange, entry,
                   "colour \(components) has component(s) \(outOfRange.map(String.init).joined(separator: ", ")) outside 0..255")
            return nil
        }
        return RGB(UInt8(components[0]), UInt8(components[1]), UInt8(components[2]))
    }

    /// Every name and synonym, compared case-insensitively, must point to one class.
    mutating func buildNameIndex(_ classes: [VocabularyClass]) -> [String: Int] {
        var index: [String: Int] = [:]
        for vocabularyClass in classes {
            for (position, text) in vocabularyClass.allNames.enumerated() {
                let entry = position == 0 ? "classes[\(vocabularyClass.id)].name"
                                          : "classes[\(vocabularyClass.id)].synonyms[\(position - 1)]"
                let normalized = Vocabulary.normalizedName(text)
                if normalized.isEmpty {
                    report(.invalidValue, entry, "empty name or synonym")
                    continue
                }
                if let owner = index[normalized] {
                    let ownerName = classes[owner].name
                    let whose = owner == vocabularyClass.id ? "this class" : "class \(owner) '\(ownerName)'"
                    report(.duplicateName, entry, "'\(text)' is already a name or synonym of \(whose) (names are compared ignoring case)")
                } else {
                    index[normalized] = vocabularyClass.id
                }
            }
        }
        return index
    }

    mutating func checkEncoding(_ raw: RawLabelEncoding, classes: [VocabularyClass]) -> LabelEncoding? {
        var ok = true
        if !LabelEncoding.releaseFormats.contains(raw.releaseFormat) {
            report(.invalidValue, "label_encoding.release_format",
                   "'\(raw.releaseFormat)' is not one of rgb, index, palette")
            ok = false
        }
        for (position, value) in raw.ignoreValues.enumerated() {
            if let problem = LabelEncoding.ignoreValueProblem(value, classes: classes, allowOverlap: raw.allowIgnoreClassOverlap) {
                report(problem.kind, "label_encoding.ignore_values[\(position)]",
                       problem.kind == .ignoreOverlap
                           ? problem.text + "; set \"allow_ignore_class_overlap\": true in label_encoding if that is intended"
                           : problem.text)
                ok = false
            }
        }
        var ignoreColors: [RGB] = []
        for (position, components) in raw.ignoreColors.enumerated() {
            let entry = "label_encoding.ignore_colors[\(position)]"
            guard let color = checkColor(components, entry: entry) else { ok = false; continue }
            if let problem = LabelEncoding.ignoreColorProblem(color, classes: classes) {
                report(.ignoreOverlap, entry, problem)
                ok = false
            }
            ignoreColors.append(color)
        }
        guard ok else { return nil }
        return LabelEncoding(reduceZeroLabel: raw.reduceZeroLabel, ignoreValues: raw.ignoreValues,
                             ignoreColors: ignoreColors, releaseFormat: raw.releaseFormat,
                             allowIgnoreClassOverlap: raw.allowIgnoreClassOverlap, notes: raw.notes)
    }

    mutating func checkBackground(_ raw: RawBackground, nameIndex: [String: Int],
                                  classes: [VocabularyClass]) -> BackgroundPolicy? {
        guard let treatment = BackgroundPolicy.Treatment(rawValue: raw.treatment) else {
            report(.backgroundPolicy, "background.treatment", "'\(raw.treatment)' is not one of evaluated, ignored, none")
            return nil
        }
        let classID = raw.className.flatMap { nameIndex[Vocabulary.normalizedName($0)] }
        switch treatment {
        case .evaluated:
            guard let className = raw.className else {
                report(.backgroundPolicy, "background.class", "treatment 'evaluated' needs the name of the background class")
                return nil
            }
            guard let classID else {
                report(.backgroundPolicy, "background.class", "'\(className)' is not a class of this vocabulary")
                return nil
            }
            return BackgroundPolicy(className: classes[classID].name, treatment: treatment, notes: raw.notes)
        case .ignored:
            if let className = raw.className, classID != nil {
                report(.backgroundPolicy, "background.class",
                       "'\(className)' is an evaluated class, so it cannot be ignored; remove it from the classes or use 'evaluated'")
                return nil
            }
            return BackgroundPolicy(className: raw.className, treatment: treatment, notes: raw.notes)
        case .none:
            if let className = raw.className {
                report(.backgroundPolicy, "background.class", "treatment 'none' but a background class '\(className)' is given; use null")
                return nil
            }
            return BackgroundPolicy(className: nil, treatment: treatment, notes: raw.notes)
        }
    }

    mutating func checkTemplates(_ templates: [String]) {
        if templates.isEmpty { report(.badTemplate, "prompt_templates", "at least one prompt template is needed") }
        for (position, template) in templates.enumerated() {
            let slots = template.components(separatedBy: "{}").count - 1
            if slots != 1 {
                report(.badTemplate, "prompt_templates[\(position)] \"\(template)\"",
                       "a template needs exactly one '{}', found \(slots)")
            }
        }
    }

    mutating func checkSplits(_ rawSplits: [RawSplit], nameIndex: [String: Int],
                              classes: [VocabularyClass]) -> [ClassSplit] {
        var splits: [ClassSplit] = []
        var seenNames: Set<String> = []
        for (position, raw) in rawSplits.enumerated() {
            let entry = "splits[\(position)] '\(raw.name)'"
            let problemsBefore = problems.count
            if raw.name.trimmingCharacters(in: .whitespaces).isEmpty {
                report(.invalidValue, "splits[\(position)].name", "split name is empty")
            }
            if !seenNames.insert(raw.name.lowercased()).inserted {
                report(.duplicateSplitName, entry, "another split has the same name (ignoring case)")
            }
            if raw.source?.trimmingCharacters(in: .whitespaces).isEmpty ?? true {
                if !raw.inferred {
                    report(.splitWithoutSource, entry, "a split needs a 'source' or \"inferred\": true with notes")
                }
            }
            if raw.inferred && (raw.notes?.trimmingCharacters(in: .whitespaces).isEmpty ?? true) {
                report(.splitWithoutSource, entry, "an inferred split needs 'notes' saying how it was inferred")
            }
            let seenIDs = resolve(raw.seen, side: "seen", entry: entry, nameIndex: nameIndex)
            let unseenIDs = resolve(raw.unseen, side: "unseen", entry: entry, nameIndex: nameIndex)
            for id in Set(seenIDs).intersection(unseenIDs).sorted() {
                report(.classBothSeenAndUnseen, "\(entry).unseen", "class '\(classes[id].name)' is both seen and unseen")
            }
            guard problems.count == problemsBefore else { continue }
            splits.append(ClassSplit(name: raw.name, seen: seenIDs.map { classes[$0].name },
                                     unseen: unseenIDs.map { classes[$0].name }, seenIDs: seenIDs,
                                     unseenIDs: unseenIDs, source: raw.source, inferred: raw.inferred, notes: raw.notes))
        }
        return splits
    }

    /// Class ids for the names on one side of a split (names or synonyms).
    mutating func resolve(_ names: [String], side: String, entry: String, nameIndex: [String: Int]) -> [Int] {
        if names.isEmpty {
            report(.emptySplitSide, "\(entry).\(side)", "the \(side) list is empty; a split needs both seen and unseen classes")
        }
        var ids: [Int] = []
        for name in names {
            guard let id = nameIndex[Vocabulary.normalizedName(name)] else {
                report(.unknownClassInSplit, "\(entry).\(side)", "'\(name)' is not a class name or synonym of this vocabulary")
                continue
            }
            if ids.contains(id) {
                report(.invalidValue, "\(entry).\(side)", "'\(name)' names a class already listed on this side")
                continue
            }
            ids.append(id)
        }
        return ids
    }
}
