import Foundation

/// Default method names for results files, chosen so that runs tell themselves apart in a report.
public enum MethodName {
    /// The method name `ovseg eval` records when `--method` is not given: the checkpoint's file
    /// name without extension, except for Hugging Face's generic `model.safetensors`, which every
    /// CLIP checkpoint is called and so would name every run `model`; that takes its folder's
    /// name instead (`clip-vit-base-patch16/model.safetensors` → `clip-vit-base-patch16`). In a
    /// Hugging Face hub cache (`models--openai--clip-vit-base-patch16/snapshots/<commit>/`) the
    /// folder is a commit hash, so the repository's name is used.
    public static func forCheckpoint(_ path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            url = url.appendingPathComponent("model.safetensors")  // a Hugging Face folder: named as its weights
        }
        let stem = url.lastPathComponent == "model.safetensors.index.json" ? "model" : url.deletingPathExtension().lastPathComponent
        guard stem == "model" else { return stem }
        let folder = url.deletingLastPathComponent()
        let parent = folder.deletingLastPathComponent()
        if parent.lastPathComponent == "snapshots" {
            let repository = parent.deletingLastPathComponent().lastPathComponent
            if repository.hasPrefix("models--"), let name = repository.components(separatedBy: "--").last, !name.isEmpty {
                return name
            }
        }
        let name = folder.lastPathComponent
        return name.isEmpty || name == "/" ? stem : name
    }
}
