import Foundation

/// Refuses output paths that would overwrite a command's own inputs.
///
/// `score -o gt/tile.png`, `check --junit BASELINE.json` or `eval --save-predictions DATA/gt` are
/// typing slips that would destroy ground truth or a baseline; they are caught before anything is
/// written. Paths are compared after resolving symbolic links and `..`.
public enum OutputGuard {
    /// An input of the command: a file, or a folder whose whole contents are inputs.
    public struct Input: Sendable {
        public let path: String
        /// What the input is, for the message ("the ground-truth folder", "the baseline").
        public let role: String

        public init(_ path: String, role: String) {
            self.path = path
            self.role = role
        }
    }

    /// Throws when `output` is one of `inputs`, lies inside an input folder, or (for an output
    /// folder) contains an input.
    public static func check(output: String, isFolder: Bool = false, role: String, inputs: [Input]) throws(FileOutputError) {
        let target = resolved(output)
        for input in inputs {
            let source = resolved(input.path)
            if target == source {
                throw FileOutputError(path: output, reason: "the \(role) would overwrite \(input.role) (\(input.path)); choose another path")
            }
            if isInside(target, source) {
                throw FileOutputError(path: output, reason: "the \(role) would be written inside \(input.role) (\(input.path)); choose another path")
            }
            if isFolder, isInside(source, target) {
                throw FileOutputError(path: output, reason: "the \(role) folder contains \(input.role) (\(input.path)), which it could overwrite; choose another folder")
            }
        }
    }

    /// `path` made absolute with links resolved; the part that does not exist yet is appended as is.
    static func resolved(_ path: String) -> String {
        let absolute = (path as NSString).isAbsolutePath
            ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        var existing = (absolute as NSString).standardizingPath
        var missing: [String] = []
        while !FileManager.default.fileExists(atPath: existing), existing != "/" {
            missing.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var result = (existing as NSString).resolvingSymlinksInPath
        for component in missing { result = (result as NSString).appendingPathComponent(component) }
        return result
    }

    private static func isInside(_ path: String, _ folder: String) -> Bool {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix)
    }
}
