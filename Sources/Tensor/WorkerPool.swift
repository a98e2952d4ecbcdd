import Foundation
import Synchronization

/// Fork–join parallelism for the numeric kernels: `Parallel.forEach` runs
/// `body(0) … body(pieces − 1)` on the calling thread and up to
/// `BLAS.threadCount − 1` helper threads, and returns when all are done.
///
/// An encoder forward pass is a few hundred short parallel regions (a GEMM, an
/// attention, a LayerNorm, each a few milliseconds or less). Waking a parked
/// thread for each costs 40–110 µs on a virtual machine (measured with
/// `DispatchQueue.concurrentPerform`), so helpers keep polling for about a
/// millisecond after each region, as OpenMP runtimes do, and only then park.
public enum Parallel {
    /// Calls `body(i)` once for every `i` in `0..<pieces`, in parallel when
    /// there is more than one piece and more than one thread; pieces are handed
    /// out in order to whichever thread is free. A call made while the pool is
    /// busy (from inside a body, or from another thread at the same time) runs
    /// its pieces in order on the calling thread, so nesting is safe.
    ///
    /// The caller's `BLAS.withSettings` (thread budget, arithmetic) hold on the
    /// helper threads too, for the pieces of this call.
    public static func forEach(_ pieces: Int, _ body: (Int) -> Void) {
        let threads = BLAS.threadCount
        guard pieces > 1, threads > 1 else {
            for piece in 0..<max(pieces, 0) { body(piece) }
            return
        }
        let scopedThreads = BLAS.scopedThreads
        let scopedArithmetic = BLAS.scopedArithmetic
        let ran: Bool
        if scopedThreads == nil && scopedArithmetic == nil {
            ran = WorkerPool.shared.run(pieces: pieces, threads: threads, body)
        } else {
            ran = WorkerPool.shared.run(pieces: pieces, threads: threads) { piece in
                BLAS.withSettings(threads: scopedThreads, arithmetic: scopedArithmetic) { body(piece) }
            }
        }
        if !ran {
            for piece in 0..<pieces { body(piece) }
        }
    }
}

/// The process-wide helper threads behind `Parallel.forEach`.
///
/// Protocol: `generation` is odd while a region is open. The caller publishes
/// the region (body, piece count), opens it, takes pieces itself, waits until
/// every piece has finished, closes the region and waits until no helper is
/// still inside it. A helper that sees an open generation registers in
/// `inside`, re-checks that the same region is still open, then takes pieces.
/// Registering before re-checking (and the caller closing before reading
/// `inside`, all sequentially consistent) means a helper never reads a region
/// the caller has already left.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle helper polls for the next region before parking.
    static let pollingNanoseconds: UInt64 = 1_000_000

    private let generation = Atomic<Int>(0)
    private let nextPiece = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let inside = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let parked = Atomic<Int>(0)
    private let helpers = Mutex<Int>(0)
    private let lock = NSCondition()

    /// The open region; written only by the caller holding `busy` while no
    /// helper is inside.
    private var pieces = 0
    private var body: ((Int) -> Void)?

    /// Runs the region with up to `threads` threads; false if the pool is busy.
    func run(pieces: Int, threads: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        ensureHelpers(threads - 1)
        withoutActuallyEscaping(body) { body in
            self.pieces = pieces
            self.body = body
            nextPiece.store(0, ordering: .relaxed)
            unfinished.store(pieces, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if parked.load(ordering: .sequentiallyConsistent) > 0 {
                lock.lock()
                lock.broadcast()
                lock.unlock()
            }
            takePieces(pieces: pieces, body)
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 { Self.backOff(&spins) }
            generation.add(1, ordering: .sequentiallyConsistent)
            while inside.load(ordering: .sequentiallyConsistent) > 0 { Self.backOff(&spins) }
            self.body = nil
        }
        return true
    }

    /// Counts a busy-wait iteration and, once a wait has lasted a few
    /// thousand polls, gives the core away every 256, so that more threads
    /// than cores (`--threads` above the core count) still let the thread
    /// being waited for run. (A 2-thread ViT-B/16 pass on 4 threads took
    /// 1.5× as long without it.)
    @inline(__always)
    private static func backOff(_ spins: inout Int) {
        spins &+= 1
        if spins > 4096 && spins & 255 == 0 { sched_yield() }
    }

    private func takePieces(pieces: Int, _ body: (Int) -> Void) {
        while true {
            let piece = nextPiece.add(1, ordering: .relaxed).oldValue
            if piece >= pieces { return }
            body(piece)
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    private func ensureHelpers(_ wanted: Int) {
        helpers.withLock { count in
            while count < wanted {
                let thread = Thread { [unowned self] in self.helperLoop() }
                thread.name = "ovseg-worker-\(count + 1)"
                thread.stackSize = 8 << 20
                thread.start()
                count += 1
            }
        }
    }

    private func helperLoop() {
        var seen = 0
        while true {
            let open = waitForRegion(after: seen)
            seen = open
            inside.add(1, ordering: .sequentiallyConsistent)
            // The body is read per piece, never held in a local: a copy that lived
            // on past `inside` would outlive the caller's non-escaping closure.
            if generation.load(ordering: .sequentiallyConsistent) == open {
                while true {
                    let piece = nextPiece.add(1, ordering: .relaxed).oldValue
                    guard piece < pieces, let body else { break }
                    body(piece)
                    unfinished.subtract(1, ordering: .releasing)
                }
            }
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// The generation of the next open region after `seen`: polls, then parks.
    private func waitForRegion(after seen: Int) -> Int {
        func openRegion() -> Int? {
            let value = generation.load(ordering: .sequentiallyConsistent)
            return value & 1 == 1 && value != seen ? value : nil
        }
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.pollingNanoseconds
        var polls = 0
        while true {
            if let open = openRegion() { return open }
            Self.backOff(&polls)
            if polls & 63 == 0 && DispatchTime.now().uptimeNanoseconds > deadline { break }
        }
        lock.lock()
        defer { lock.unlock() }
        parked.add(1, ordering: .sequentiallyConsistent)
        defer { parked.subtract(1, ordering: .sequentiallyConsistent) }
        while true {
            if let open = openRegion() { return open }
            lock.wait()
        }
    }
}
