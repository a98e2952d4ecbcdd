import SafeTensors
import Segmenter

/// What a safetensors checkpoint holds, told from its metadata and tensor names without loading it.
public enum CheckpointKind: Sendable, Equatable {
    /// An SGSeg or CAT-Seg checkpoint in ovseg's key layout; `architecture` is its declared
    /// `sgseg.arch` ("sgseg" or "catseg"), nil when it declares none (then the weights decide).
    case segmenter(architecture: String?)
    /// A plain Hugging Face CLIP (`vision_model.*`, `text_model.*` key names).
    case plainCLIP

    public init(file: SafeTensorsFile) {
        if let architecture = file.metadata[CheckpointMetadataKey.architecture] {
            self = .segmenter(architecture: architecture)
        } else if file.contains("vision_model.embeddings.patch_embedding.weight") {
            self = .plainCLIP
        } else {
            self = .segmenter(architecture: nil)
        }
    }

    /// Reads the header of the checkpoint at `path`: a safetensors file, a shard index or a Hugging
    /// Face folder (`CheckpointLocation`), or a `.pth` (its pickle, as the converter sees it with its
    /// default settings; `ModelCheckpoint.kind()` with the settings of a run).
    public init(path: String) throws(EvaluationError) {
        do {
            if ModelCheckpoint.isPyTorch(path) {
                self = try ModelCheckpoint(path: path).kind()
            } else {
                self.init(file: try CheckpointLocation(resolving: path).open())
            }
        } catch let error as EvaluationError {
            throw error
        } catch {
            throw EvaluationError(.checkpoint, "\(error)", underlying: error)
        }
    }
}

/// Which model an evaluation runs.
public enum EvaluationMode: String, Sendable, CaseIterable {
    /// From the checkpoint: training-free for a plain CLIP, else the segmenter it declares.
    case auto
    case sgseg
    case catseg
    /// A frozen CLIP with SegEarth-OV's recipe.
    case trainingFree = "training-free"

    /// `auto` made concrete for a checkpoint: `.trainingFree` for a plain CLIP; a segmenter
    /// checkpoint stays `.auto` (its architecture is known once it loads). Other modes are kept.
    /// `ModelRun` resolves it once per run, from the `ModelCheckpoint` it opened once.
    public func resolved(for kind: CheckpointKind) -> EvaluationMode {
        guard self == .auto else { return self }
        return kind == .plainCLIP ? .trainingFree : .auto
    }
}
