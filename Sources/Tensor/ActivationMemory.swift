import CHeap

/// Heap settings for a process that runs the encoders.
public enum ActivationMemory {
    /// Keeps freed activation buffers in the process for the next ones.
    ///
    /// A forward pass allocates and frees hundreds of buffers of one to a few
    /// tens of megabytes. By default glibc serves each from a fresh `mmap` and
    /// hands it back on free, so every pass page-faults and zero-fills its
    /// activations again (a few per cent of a ViT-B/16 pass). Raising the mmap
    /// and trim thresholds lets the heap recycle them; the cost is that freed
    /// memory (up to 512 MB) stays counted in the process. Call once, early,
    /// from an executable; libraries leave the allocator alone.
    /// Returns false where the C library has no such settings.
    @discardableResult
    public static func keepFreedBuffers() -> Bool {
        cheap_set_thresholds(32 << 20, 512 << 20) == 1
    }
}
