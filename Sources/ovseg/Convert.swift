import ArgumentParser
import CheckpointConversion
import Foundation

/// `ovseg convert`: a `torch.save` checkpoint (`model_final.pth`, an open_clip `.pt`) → the
/// safetensors file `ovseg eval` and `ovseg embed` read, without Python.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a PyTorch checkpoint (.pth/.pt/.bin) to ovseg's safetensors layout, without Python.",
        discussion: """
            Reads the zip format torch.save writes (data.pkl + storage records) with a pickle reader \
            that runs no code: globals other than the tensor rebuild functions, torch storage types, \
            OrderedDict and torch.Size are refused by name. detectron2 SGSeg/CAT-Seg checkpoints \
            ({"model": …}) keep their key layout minus the training-only tensors; OpenAI-named CLIPs \
            (CAT-Seg, open_clip {"state_dict": …} with or without module.) are renamed to Hugging Face \
            names, exactly as reference/ovseg_reference/export.py does (docs/checkpoint-format.md §5). \
            Floating tensors are written as F32; the settings a .pth does not record go into the \
            metadata (docs/checkpoint-format.md §3) with the source file's SHA-256. Nothing is written \
            unless the whole conversion succeeds.

            Examples:
              ovseg convert model_final.pth -o sgseg.safetensors
              ovseg convert catseg_model.pth -o catseg.safetensors --arch catseg
              ovseg convert RemoteCLIP-ViT-B-32.pt -o remoteclip.safetensors --arch clip --hidden-act gelu
            """)

    @Argument(help: "The torch.save checkpoint (.pth, .pt, .bin; the zip format of torch ≥ 1.6).")
    var checkpoint: String

    @Option(name: .shortAndLong, help: "Output safetensors file.")
    var output: String

    @Option(help: "sgseg, catseg or clip (default: told from the tensors; a given value must agree with them).")
    var arch: ConversionArchitecture?

    @Option(help: "Training classes recorded in the metadata: a comma list (default: the release's 17 DLRSD classes for a 17-row memory).")
    var classes: String?

    @Flag(help: "Keep feature_fusion_layer.* (the live-text-bias variant).")
    var liveText = false

    @Option(help: "Class-attention pooling recorded as the default (1 or 2).")
    var pooling: Int = 1

    @Option(help: "sliding or whole, recorded as the default inference.")
    var inference: String = "sliding"

    @OptionGroup var conversion: PthConversionOptions

    func validate() throws {
        guard [1, 2].contains(pooling) else { throw ValidationError("--pooling must be 1 or 2") }
        guard ["sliding", "whole"].contains(inference) else { throw ValidationError("--inference must be sliding or whole") }
    }

    func run() throws {
        try runReportingErrors {
            var options = ConversionOptions()
            options.architecture = arch
            options.classes = classes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            options.liveText = liveText
            options.pooling = pooling
            options.inference = inference
            conversion.apply(to: &options)
            let converted = try CheckpointConversion.convert(path: checkpoint, options: options)
            try converted.write(to: output)
            print("\(output): \(converted.architecture.rawValue), \(converted.tensors.count) tensors, dropped \(converted.dropped.count)")
        }
    }
}

extension ConversionArchitecture: ExpressibleByArgument {}
