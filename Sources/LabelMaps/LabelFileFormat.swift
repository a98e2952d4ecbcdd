extension RasterFileFormat {
    /// Refuses a label file stored as JPEG, judged by its first bytes (not its name). Every reader
    /// of label maps calls this before decoding (`LabelMapReader`, `RawSamples`, the report's label
    /// tiles), so the refusal and its wording live in one place.
    ///
    /// JPEG is lossy: the encoder changes pixel values (and blurs class borders through chroma
    /// subsampling and the DCT), so the values a JPEG decodes to are not the class ids or colours that
    /// were saved. Reading them would score against labels nobody drew (docs/image-formats.md §3).
    public static func refuseLossyLabels<Bytes: Collection<UInt8>>(_ bytes: Bytes, name: String) throws(LabelMapError) {
        guard sniff(bytes) == .jpeg else { return }
        throw LabelMapError.lossyLabels(file: name)
    }
}

extension LabelMapError {
    /// The error for a label map stored as JPEG: one line naming the file and why it is refused.
    public static func lossyLabels(file: String) -> LabelMapError {
        LabelMapError(.unsupportedFormat, file: file,
                      detail: "is a JPEG file; JPEG is lossy, so its pixel values are not the labels that were saved — label maps must be PNG or TIFF")
    }
}
