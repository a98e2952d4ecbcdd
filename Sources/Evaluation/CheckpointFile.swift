import CheckpointConversion
import Foundation
import SafeTensors
import TorchCheckpoint

/// Opens the checkpoint an evaluation names: a safetensors file memory-mapped, or a `torch.save`
/// file (`.pth`, `.pt`, `.bin`) converted in memory exactly as `ovseg convert` converts it with
/// its default settings (docs/checkpoint-format.md §7).
enum CheckpointFile {
    /// Whether `path` is a PyTorch checkpoint: a zip archive (torch.save's format) or the legacy
    /// format's pickled magic number (refused with a message by the reader). A safetensors file
    /// starts with its header length, whose first byte may be anything.
    static func isPyTorch(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
        return TorchCheckpoint.isZip(head) || TorchCheckpoint.isLegacy(head)
    }

    /// The kind of the checkpoint at `path`; a .pth is only parsed (no tensor read, no hash).
    static func kind(_ path: String) throws -> CheckpointKind {
        guard isPyTorch(path) else { return CheckpointKind(file: try SafeTensorsFile(path: path)) }
        do {
            let converted = try CheckpointConversion.convert(
                try TorchCheckpoint(path: path), sourceName: path, sha256: "", options: ConversionOptions())
            return converted.architecture == .clip ? .plainCLIP : .segmenter(architecture: converted.architecture.rawValue)
        } catch let error as TorchCheckpointError {
            throw failure(CheckpointConversionError(error))
        } catch let error as CheckpointConversionError {
            throw failure(error)
        }
    }

    private static func failure(_ error: CheckpointConversionError) -> EvaluationError {
        EvaluationError(
            .checkpoint, "\(error) (ovseg convert writes a safetensors file and takes the settings a .pth does not record)",
            underlying: error)
    }

    static func open(_ path: String) throws -> SafeTensorsFile {
        guard isPyTorch(path) else { return try SafeTensorsFile(path: path) }
        do {
            // Not hashed here: the run's provenance hashes the .pth itself.
            let converted = try CheckpointConversion.convert(
                try TorchCheckpoint(path: path), sourceName: path, sha256: "(not computed)", options: ConversionOptions())
            return try SafeTensorsFile(bytes: try converted.safetensorsBytes(), name: path)
        } catch let error as TorchCheckpointError {
            throw failure(CheckpointConversionError(error))
        } catch let error as CheckpointConversionError {
            throw failure(error)
        }
    }
}
