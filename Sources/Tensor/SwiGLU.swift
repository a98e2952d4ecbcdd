extension Tensor {
    /// SwiGLU on stacked gate and value columns `[..., 2H]` → `[..., H]`:
    /// `SiLU(gate)·value = gate / (1 + e^(−gate)) · value` (EVA02's MLP, whose
    /// `w1 | w2` projections one GEMM computes side by side), with the
    /// vectorised `FastExp` and rows split over the thread budget.
    public func swiGLU(hidden: Int) throws(TensorError) -> Tensor {
        guard let last = shape.last, hidden > 0, last == 2 * hidden else {
            throw .shapeMismatch(operation: "swiGLU", detail: "expected [..., \(2 * max(hidden, 0))] gate | value columns, got \(shape)")
        }
        let rows = count / last
        let workers = max(1, min(BLAS.threadCount, rows, rows * hidden / 32_768))
        return Tensor(validShape: Array(shape.dropLast()) + [hidden], fill: { out in
            guard let target = out.baseAddress else { return }
            scalars.withUnsafeBufferPointer { input in
                guard let source = input.baseAddress else { return }
                Parallel.forEach(workers) { worker in
                    for r in (rows * worker / workers)..<(rows * (worker + 1) / workers) {
                        let gate = source + r * 2 * hidden
                        Tensor.swiGLU(gate: gate, value: gate + hidden, into: target + r * hidden, count: hidden)
                    }
                }
            }
        })
    }

    static func swiGLU(gate: UnsafePointer<Float>, value: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        let gates = UnsafeRawPointer(gate), values = UnsafeRawPointer(value), dst = UnsafeMutableRawPointer(output)
        var i = 0
        while i + 8 <= count {
            let g = gates.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let v = values.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            dst.storeBytes(of: g / (1 + FastExp.exp(-g)) * v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var g = SIMD8<Float>(repeating: 0), v = SIMD8<Float>(repeating: 0)
            for j in i..<count {
                g[j - i] = gate[j]
                v[j - i] = value[j]
            }
            let y = g / (1 + FastExp.exp(-g)) * v
            for j in i..<count { output[j] = y[j - i] }
        }
    }
}
