/// `exp`, `sin` and `cos` in plain Double arithmetic, for the few places where
/// the core needs them outside the vectorised kernels (RoPE tables, the scene
/// bias softmax, the linear-attention feature map).
///
/// The C library's versions are not the same code on every CPU: glibc picks
/// an FMA variant of `exp`, `sin`, `cos`, `expf` and `powf` at load time where
/// the CPU has FMA, and the variants may differ in the last bit. These use only
/// additions, multiplications and divisions (each one IEEE rounding, no fused
/// operations), so they give the same bits everywhere. Accuracy: a few units in
/// the last place of a Double, so a Float rounded from them equals the
/// correctly rounded value except within about 1e-15 of a rounding boundary.
public enum PortableMath {
    /// ln 2 split so that `n · ln2High` is exact for |n| < 2²⁰.
    static let ln2High = 0.693_147_180_369_123_816_49
    static let ln2Low = 1.908_214_929_270_587_700_02e-10

    /// `eˣ`. 0 below −745.2, infinity above 709.8, NaN for NaN.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.78 { return .infinity }
        if x < -745.2 { return 0 }
        let n = (x / 0.693_147_180_559_945_309_42).rounded()
        let r = (x - n * ln2High) - n * ln2Low
        // eʳ for |r| ≤ 0.35 by its Taylor series to r¹⁸/18! (the next term is below 1e-24).
        var sum = expSeries[18]
        for k in stride(from: 17, through: 0, by: -1) { sum = sum * r + expSeries[k] }
        return scaled(sum, byPowerOfTwo: Int(n))
    }

    /// 1/k! for k = 0…18, each the Double nearest to it.
    static let expSeries: [Double] = [
        1.0, 1.0, 0.5, 0.16666666666666666,
        0.041666666666666664, 0.008333333333333333, 0.001388888888888889, 0.0001984126984126984,
        2.48015873015873e-05, 2.7557319223985893e-06, 2.755731922398589e-07, 2.505210838544172e-08,
        2.08767569878681e-09, 1.6059043836821613e-10, 1.1470745597729725e-11, 7.647163731819816e-13,
        4.779477332387385e-14, 2.8114572543455206e-15, 1.5619206968586225e-16,
    ]

    /// `eˣ` for a Float, rounded once from the Double value.
    public static func exp(_ x: Float) -> Float { Float(exp(Double(x))) }

    /// `sin x` for |x| < 2²⁰ (beyond it the reduction loses accuracy).
    public static func sin(_ x: Double) -> Double {
        let (r, quadrant) = reduced(x)
        switch quadrant {
        case 0: return sinSeries(r)
        case 1: return cosSeries(r)
        case 2: return -sinSeries(r)
        default: return -cosSeries(r)
        }
    }

    /// `cos x` for |x| < 2²⁰.
    public static func cos(_ x: Double) -> Double {
        let (r, quadrant) = reduced(x)
        switch quadrant {
        case 0: return cosSeries(r)
        case 1: return -sinSeries(r)
        case 2: return -cosSeries(r)
        default: return sinSeries(r)
        }
    }

    /// π/2 split so that `k · halfPiHigh` is exact for |k| < 2²⁰.
    static let halfPiHigh = 1.570_796_326_734_125_614_17
    static let halfPiLow = 6.077_100_506_506_192_249_32e-11

    /// `x = k·π/2 + r` with |r| ≤ π/4, and `k mod 4`.
    static func reduced(_ x: Double) -> (Double, Int) {
        let k = (x * 0.636_619_772_367_581_343_08).rounded()
        let r = (x - k * halfPiHigh) - k * halfPiLow
        let quadrant = Int(k.truncatingRemainder(dividingBy: 4))
        return (r, (quadrant + 4) % 4)
    }

    /// Taylor series for |r| ≤ π/4 (the last term kept is r²³/23!).
    static func sinSeries(_ r: Double) -> Double {
        let r2 = r * r
        var sum = 1.0
        for k in stride(from: 22, through: 2, by: -2) { sum = 1 - r2 * sum / Double(k * (k + 1)) }
        return r * sum
    }

    static func cosSeries(_ r: Double) -> Double {
        let r2 = r * r
        var sum = 1.0
        for k in stride(from: 22, through: 2, by: -2) { sum = 1 - r2 * sum / Double(k * (k - 1)) }
        return sum
    }

    /// `value · 2ⁿ`, exact unless the result is subnormal.
    static func scaled(_ value: Double, byPowerOfTwo n: Int) -> Double {
        // Two steps keep each factor a normal number down to 2⁻¹⁰⁷⁴.
        let first = max(-1022, min(1023, n)), second = n - first
        return value * Double(sign: .plus, exponent: first, significand: 1)
            * Double(sign: .plus, exponent: max(-1022, min(1023, second)), significand: 1)
    }
}
