import CheckpointConversion
import Foundation
import SafeTensors
import TorchCheckpoint

/// The checkpoint an evaluation or an embedding names, opened once: a safetensors file (or, for a
/// CLIP, a shard index or a Hugging Face folder) read where it lies, or a `torch.save` file
/// (`.pth`, `.pt`, `.bin`) parsed and converted in memory exactly as `ovseg convert` converts it
/// with the same settings (docs/checkpoint-format.md §7).
///
/// A `.pth` is parsed when the value is made (its kind is then known without reading a tensor) and
/// its tensors are read once, by `open()`; `ModelRun` and `CLIPEmbedding` take this value rather
/// than a path so that nothing parses the file a second time.
public struct ModelCheckpoint: @unchecked Sendable {
    /// The path as given.
    public let path: String
    /// The parsed and renamed `.pth` (tensors not read yet); nil for a safetensors checkpoint.
    let converted: ConvertedCheckpoint?

    /// Opens `path`; a `.pth` is parsed and converted with `conversion` (the settings a `.pth` does
    /// not record). Errors name the file and the key, global or setting at fault.
    public init(path: String, conversion: ConversionOptions = ConversionOptions()) throws(EvaluationError) {
        self.path = path
        guard Self.isPyTorch(path) else {
            converted = nil
            return
        }
        do {
            // Not hashed here: a run's provenance hashes the .pth itself.
            converted = try CheckpointConversion.convert(
                try TorchCheckpoint(path: path), sourceName: path, sha256: "(not computed)", options: conversion)
        } catch let error as TorchCheckpointError {
            throw Self.failure(CheckpointConversionError(error))
        } catch let error as CheckpointConversionError {
            throw Self.failure(error)
        } catch {
            throw EvaluationError(.checkpoint, "\(error)", underlying: error)
        }
    }

    /// Whether this is a `torch.save` file converted in memory.
    public var isPyTorch: Bool { converted != nil }

    /// Whether `path` is a PyTorch checkpoint: a zip archive (torch.save's format) or the legacy
    /// format's pickled magic number (refused with a message by the reader). A safetensors file
    /// starts with its header length, whose first byte may be anything. A `.pth`, `.pt` or `.bin`
    /// cut shorter than the zip signature is taken for PyTorch too, so that its error says
    /// "truncated zip", not "safetensors header".
    public static func isPyTorch(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
        if head.count < 4, ["pth", "pt", "bin"].contains((path as NSString).pathExtension.lowercased()) { return true }
        return TorchCheckpoint.isZip(head) || TorchCheckpoint.isLegacy(head)
    }

    /// What the checkpoint holds: for a `.pth` what the conversion found (nothing is read again);
    /// otherwise the safetensors header (`CheckpointKind(path:)`).
    public func kind() throws(EvaluationError) -> CheckpointKind {
        guard let converted else { return try CheckpointKind(path: path) }
        return converted.architecture == .clip ? .plainCLIP : .segmenter(architecture: converted.architecture.rawValue)
    }

    /// The converted `.pth` as an in-memory safetensors file (its tensors read now, once per call),
    /// or the safetensors file at `path` memory-mapped.
    func open() throws -> SafeTensorsFile {
        guard let converted else { return try SafeTensorsFile(path: path) }
        do {
            return try SafeTensorsFile(bytes: try converted.safetensorsBytes(), name: path)
        } catch let error as CheckpointConversionError {
            throw Self.failure(error)
        }
    }

    private static func failure(_ error: CheckpointConversionError) -> EvaluationError {
        EvaluationError(.checkpoint, "\(error)", underlying: error)
    }
}
