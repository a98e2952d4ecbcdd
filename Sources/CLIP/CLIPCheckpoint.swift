import SafeTensors

/// A CLIP checkpoint as users have it (docs/checkpoint-format.md §6): a
/// `model.safetensors`, a sharded `model.safetensors.index.json`, or a Hugging
/// Face folder holding either, with the `config.json` beside the weights
/// parsed when there is one.
public struct CLIPCheckpoint: Sendable {
    /// Where the files are.
    public let location: CheckpointLocation
    /// The weights (every shard, for a sharded checkpoint).
    public let file: SafeTensorsFile
    /// The parsed `config.json`, nil when there is none.
    public let configuration: CLIPHubConfiguration?

    /// Resolves `path` and opens the weights and the configuration.
    public init(path: String) throws(CLIPError) {
        do {
            location = try CheckpointLocation(resolving: path)
            file = try location.open()
        } catch {
            throw .checkpoint(error)
        }
        configuration = try location.configuration.map { path throws(CLIPError) in try CLIPHubConfiguration(path: path) }
    }

    /// The files that define the model (`config.json`, the weights or the
    /// index and its shards), for hashing.
    public var files: [String] { location.files(opened: file) }
}
