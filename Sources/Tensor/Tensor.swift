/// A dense, contiguous, row-major (C-order) array of `Float` with a shape.
///
/// `Tensor` is a value type: copies share storage until one of them is
/// mutated (copy-on-write through `Array`), so it is `Sendable` and safe to pass
/// between tasks. Layout conventions follow PyTorch: the last dimension varies
/// fastest, images are `[N, C, H, W]`, token sequences `[B, S, D]`.
public struct Tensor: Sendable, Equatable {
    /// Extent of each dimension; `[]` is a scalar holding one element.
    public internal(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.product`.
    public internal(set) var scalars: [Float]

    /// Wraps `scalars` in the given shape.
    ///
    /// - Throws: `TensorError.invalidShape` if a dimension is negative or the
    ///   element count does not match the shape.
    public init(shape: [Int], scalars: [Float]) throws(TensorError) {
        let count = try Tensor.elementCount(of: shape)
        guard count == scalars.count else {
            throw .invalidShape("shape \(shape) holds \(count) elements but \(scalars.count) values were given")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) throws(TensorError) {
        let count = try Tensor.elementCount(of: shape)
        self.shape = shape
        self.scalars = [Float](repeating: value, count: count)
    }

    /// Internal initialiser for shapes already validated by the caller.
    init(validShape shape: [Int], scalars: [Float]) {
        self.shape = shape
        self.scalars = scalars
    }

    /// Builds a tensor by letting `body` fill uninitialised storage of the given
    /// (already validated) shape. `body` must write every element.
    init(validShape shape: [Int], fill body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        }
    }

    /// Number of elements.
    public var count: Int { scalars.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements viewed with another shape of equal element count.
    /// One dimension may be `-1`, inferred from the others (as in PyTorch).
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        if inferred.count > 1 {
            throw .invalidShape("reshape to \(newShape): at most one dimension may be -1")
        }
        if let slot = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != slot }.map(\.element)
            let knownCount = try Tensor.elementCount(of: known)
            guard knownCount > 0, count % knownCount == 0 else {
                throw .invalidShape("cannot reshape \(shape) to \(newShape)")
            }
            resolved[slot] = count / knownCount
        }
        let newCount = try Tensor.elementCount(of: resolved)
        guard newCount == count else {
            throw .invalidShape("cannot reshape \(shape) (\(count) elements) to \(newShape) (\(newCount) elements)")
        }
        return Tensor(validShape: resolved, scalars: scalars)
    }

    /// Element at a multi-dimensional index (bounds-checked; for tests and
    /// small look-ups, not for inner loops).
    public subscript(_ index: Int...) -> Float {
        precondition(index.count == rank, "index \(index) has the wrong rank for shape \(shape)")
        var flat = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "index \(index) out of bounds for shape \(shape)")
            flat = flat * extent + i
        }
        return scalars[flat]
    }

    /// Gives `body` read access to the contiguous storage.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Gives `body` write access to the contiguous storage (shape is fixed).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// Product of the dimensions, rejecting negative extents and overflow.
    static func elementCount(of shape: [Int]) throws(TensorError) -> Int {
        var count = 1
        for extent in shape {
            guard extent >= 0 else { throw .invalidShape("negative dimension in shape \(shape)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw .invalidShape("shape \(shape) has too many elements") }
            count = product
        }
        return count
    }
}

/// Why a tensor operation could not run. Messages name the operation and the
/// offending shapes so that a mismatched checkpoint can be diagnosed.
public enum TensorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A shape is malformed, or a reshape changes the element count.
    case invalidShape(String)
    /// Operand shapes do not fit the operation.
    case shapeMismatch(operation: String, detail: String)
    /// A parameter (stride, groups, size…) is out of its valid range.
    case invalidArgument(operation: String, detail: String)
    /// A dimension exceeds what 32-bit BLAS (`blasint`) can address.
    case tooLargeForBLAS(dimension: String, value: Int)

    public var description: String {
        switch self {
        case .invalidShape(let detail):
            return "invalid tensor shape: \(detail)"
        case .shapeMismatch(let operation, let detail):
            return "\(operation): shape mismatch: \(detail)"
        case .invalidArgument(let operation, let detail):
            return "\(operation): \(detail)"
        case .tooLargeForBLAS(let dimension, let value):
            return "GEMM \(dimension) = \(value) exceeds the 32-bit index range of the BLAS library"
        }
    }
}

extension Tensor {
    /// Item `index` of the leading (batch) dimension, keeping it as a dimension of 1:
    /// `[B, …] → [1, …]`.
    public func batchItem(_ index: Int) throws(TensorError) -> Tensor {
        guard rank >= 1, index >= 0, index < shape[0] else {
            throw .invalidArgument(operation: "batchItem", detail: "index \(index) outside a batch of shape \(shape)")
        }
        let size = count / shape[0]
        return Tensor(validShape: [1] + shape.dropFirst(), scalars: Array(scalars[(index * size)..<((index + 1) * size)]))
    }
}
