import Foundation

/// Vectorised `exp` for the activations and the attention softmax, which
/// otherwise spend most of their time in scalar `expf` calls.
///
/// Cody–Waite range reduction `x = n·ln2 + r` (|r| ≤ ln2/2, `ln2` split in a
/// high part exact in float and a low correction), a degree-6 minimax
/// polynomial for `eʳ` (the classic single-precision coefficients), and the
/// scale `2ⁿ` built in the exponent bits. Relative error ≤ 2 ulp on the clamped
/// range [−87.3, 88.3]; below it the result is ≈ 1e−38 instead of a subnormal
/// or zero, above it ≈ 2.1e38 instead of infinity — both irrelevant after the
/// max subtraction of a softmax and in `x·σ(1.702x)`.
enum FastExp {
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var clamped = x.replacing(with: SIMD8(repeating: -87.3), where: x .< -87.3)
        clamped.replace(with: SIMD8(repeating: 88.3), where: clamped .> 88.3)
        // Round to nearest with the 1.5·2²³ trick: the integer lands in the low
        // mantissa bits of `shifted`, which also gives it as Int32 for free.
        let shifted = clamped * 1.44269504088896341 + 12_582_912
        let n = shifted - 12_582_912
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let exponent = (integer &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    }

    /// `values[i] = exp(values[i] − shift)` for `count` values; returns their sum.
    static func expShiftedSum(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var i = 0
        var sums = SIMD8<Float>(repeating: 0)
        let raw = UnsafeMutableRawPointer(values)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let e = exp(v - shift)
            raw.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
            sums += e
            i += 8
        }
        var sum = sums.sum()
        if i < count {
            var tail = SIMD8<Float>(repeating: -Float.infinity)
            for j in i..<count { tail[j - i] = values[j] }
            let e = exp(tail - shift)
            for j in i..<count {
                values[j] = e[j - i]
                sum += e[j - i]
            }
        }
        return sum
    }

    /// QuickGELU `x·σ(1.702x) = x / (1 + e^(−1.702x))` on `count` values.
    static func quickGELU(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let src = UnsafeRawPointer(input), dst = UnsafeMutableRawPointer(output)
        while i + 8 <= count {
            let x = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            dst.storeBytes(of: x / (1 + exp(x * -1.702)), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            var x = SIMD8<Float>(repeating: 0)
            x[0] = input[i]
            output[i] = (x / (1 + exp(x * -1.702)))[0]
            i += 1
        }
    }
}
