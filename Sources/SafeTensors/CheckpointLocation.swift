import Foundation

/// Where a checkpoint's files are, resolved from the path a user gives
/// (docs/checkpoint-format.md §6): a safetensors file, a sharded checkpoint's
/// `model.safetensors.index.json`, or a folder holding either (a Hugging Face
/// model folder), each with the `config.json` beside it when there is one.
///
/// This is the one place that turns a `--checkpoint` path into files, so a new
/// kind of checkpoint file is added here.
public struct CheckpointLocation: Sendable, Equatable {
    /// The path as given.
    public let path: String
    /// The weights: a `.safetensors` file or a `model.safetensors.index.json`.
    public let weights: String
    /// Whether `weights` is a shard index.
    public let isSharded: Bool
    /// `config.json` in the weights' folder, if it exists.
    public let configuration: String?

    /// The conventional file names of a Hugging Face model folder.
    public static let weightsName = "model.safetensors"
    public static let indexName = "model.safetensors.index.json"
    public static let configurationName = "config.json"

    /// Resolves `path`. A folder must hold `model.safetensors` or
    /// `model.safetensors.index.json` (the single file wins if both exist).
    public init(resolving path: String) throws(SafeTensorsError) {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw SafeTensorsError(file: path, problem: .cannotRead("no such file or folder"))
        }
        let folder: String
        if isFolder.boolValue {
            folder = path
            let single = (path as NSString).appendingPathComponent(Self.weightsName)
            let index = (path as NSString).appendingPathComponent(Self.indexName)
            if manager.fileExists(atPath: single) {
                weights = single
                isSharded = false
            } else if manager.fileExists(atPath: index) {
                weights = index
                isSharded = true
            } else {
                throw SafeTensorsError(file: path, problem: .notACheckpoint(
                    "the folder holds neither \(Self.weightsName) nor \(Self.indexName)"))
            }
        } else {
            folder = (path as NSString).deletingLastPathComponent
            weights = path
            isSharded = path.hasSuffix(".index.json")
        }
        self.path = path
        let config = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(Self.configurationName)
        configuration = manager.fileExists(atPath: config) ? config : nil
    }

    /// Maps and validates the weights (every shard of a sharded checkpoint).
    public func open() throws(SafeTensorsError) -> SafeTensorsFile {
        isSharded ? try SafeTensorsFile(index: weights) : try SafeTensorsFile(path: weights)
    }

    /// Every file whose bytes define the model, for hashing: `config.json`
    /// (if any), then the weights file, or the index and each shard.
    public func files(opened file: SafeTensorsFile) -> [String] {
        (configuration.map { [$0] } ?? []) + (isSharded ? [weights] + file.shardFiles : [weights])
    }
}
