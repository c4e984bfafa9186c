/// An exact decimal number: `significand × 10^-scale`.
///
/// Money must never pass through `Double` (a binary float cannot hold 0.10
/// exactly), so amounts are parsed from their text into a 128-bit integer
/// significand and a decimal scale. 38 significant digits cover any amount an
/// accounting system will send; longer input is rejected, never truncated.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The integer value before the decimal point is placed.
    public let significand: Int128
    /// Digits after the decimal point, as given (trailing zeros are kept so that
    /// a unit price written `1.2500` round-trips as written).
    public let scale: Int

    /// The largest scale accepted; beyond it no real amount exists and the
    /// arithmetic below could overflow.
    public static let maxScale = 18

    public init(significand: Int128, scale: Int) {
        precondition(scale >= 0 && scale <= ExactDecimal.maxScale, "scale out of range")
        self.significand = significand
        self.scale = scale
    }

    public init(_ integer: Int) {
        self.init(significand: Int128(integer), scale: 0)
    }

    public static let zero = ExactDecimal(significand: 0, scale: 0)

    /// Parses plain decimal text: an optional sign, digits, an optional point
    /// and fraction. No exponent, no grouping, no spaces: those are provider
    /// formats that `AmountFormat` removes before calling this.
    public init?(_ text: some StringProtocol) {
        var utf8 = Array(text.utf8)[...]
        guard !utf8.isEmpty else { return nil }
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var value: Int128 = 0
        var scale = 0
        var digits = 0
        var seenPoint = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if digits > 0 || byte != UInt8(ascii: "0") { digits += 1 }
            guard digits <= 38 else { return nil }
            value = value * 10 + Int128(byte - UInt8(ascii: "0"))
            if seenPoint { scale += 1 }
        }
        // "." alone, "-", "1." and ".5" : the last two are common in exports.
        let hasDigit = utf8.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard hasDigit, scale <= ExactDecimal.maxScale else { return nil }
        self.init(significand: negative ? -value : value, scale: scale)
    }

    public var isNegative: Bool { significand < 0 }
    public var isZero: Bool { significand == 0 }

    public var negated: ExactDecimal { ExactDecimal(significand: -significand, scale: scale) }

    /// The same number with trailing fractional zeros removed (`125.50` → `125.5`).
    /// Used for hashing and comparison, where `125.0` and `125.00` are equal.
    public var normalized: ExactDecimal {
        var s = significand
        var sc = scale
        while sc > 0 && s % 10 == 0 {
            s /= 10
            sc -= 1
        }
        return ExactDecimal(significand: s, scale: sc)
    }

    /// Rescales without loss, or returns nil when digits would be dropped.
    /// This is how "an amount with more decimals than its currency allows is
    /// rejected, never rounded" is enforced: `12.345` USD has no exact 2-digit form.
    public func rescaled(exactlyTo newScale: Int) -> ExactDecimal? {
        if newScale == scale { return self }
        if newScale > scale {
            let factor = ExactDecimal.power10(newScale - scale)
            let (product, overflow) = significand.multipliedReportingOverflow(by: factor)
            return overflow ? nil : ExactDecimal(significand: product, scale: newScale)
        }
        let factor = ExactDecimal.power10(scale - newScale)
        guard significand % factor == 0 else { return nil }
        return ExactDecimal(significand: significand / factor, scale: newScale)
    }

    /// Rounds to `newScale` digits, halves to even (banker's rounding), which is
    /// the accounting default because it does not bias sums upward.
    public func rounded(toScale newScale: Int) -> ExactDecimal {
        if newScale >= scale { return rescaled(exactlyTo: newScale) ?? self }
        let factor = ExactDecimal.power10(scale - newScale)
        var quotient = significand / factor
        let remainder = significand % factor
        let twice = remainder.magnitude * 2
        if twice > factor.magnitude || (twice == factor.magnitude && quotient % 2 != 0) {
            quotient += significand < 0 ? -1 : 1
        }
        return ExactDecimal(significand: quotient, scale: newScale)
    }

    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        let scale = max(lhs.scale, rhs.scale)
        let a = lhs.rescaled(exactlyTo: scale)!.significand
        let b = rhs.rescaled(exactlyTo: scale)!.significand
        return ExactDecimal(significand: a + b, scale: scale)
    }

    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        lhs + rhs.negated
    }

    /// Exact product; the scale is the sum of both scales (capped by rounding
    /// half-to-even when it would exceed `maxScale`).
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        let product = lhs.significand * rhs.significand
        let scale = lhs.scale + rhs.scale
        if scale <= maxScale { return ExactDecimal(significand: product, scale: scale) }
        let wide = ExactDecimal(significandUnchecked: product, scale: scale)
        return wide.rounded(toScale: maxScale)
    }

    private init(significandUnchecked: Int128, scale: Int) {
        self.significand = significandUnchecked
        self.scale = scale
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let scale = max(lhs.scale, rhs.scale)
        return lhs.rescaled(exactlyTo: scale)!.significand < rhs.rescaled(exactlyTo: scale)!.significand
    }

    /// Numeric equality: `125.0 == 125.00`.
    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let a = lhs.normalized
        let b = rhs.normalized
        return a.significand == b.significand && a.scale == b.scale
    }

    public func hash(into hasher: inout Hasher) {
        let n = normalized
        hasher.combine(n.significand)
        hasher.combine(n.scale)
    }

    /// Plain text with exactly `scale` fractional digits: `-0.50`, `125`, `1.2500`.
    public var description: String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `description` as UTF-8. Every amount of every record is
    /// written this way, so digits are produced in place, through 64-bit
    /// arithmetic whenever the significand fits (almost always).
    public func write(into out: inout [UInt8]) {
        if significand < 0 { out.append(UInt8(ascii: "-")) }
        let capacity = 40  // a UInt128 has at most 39 digits; zero padding needs at most scale + 1
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity + scale) { buf in
            var i = buf.count
            var magnitude = significand.magnitude
            if magnitude <= UInt128(UInt64.max) {
                var v = UInt64(magnitude)
                repeat { i -= 1; buf[i] = 48 + UInt8(v % 10); v /= 10 } while v > 0
            } else {
                repeat { i -= 1; buf[i] = 48 + UInt8(magnitude % 10); magnitude /= 10 } while magnitude > 0
            }
            // At least one digit before the point: 0.05, not .05.
            while buf.count - i <= scale { i -= 1; buf[i] = 48 }
            let point = buf.count - scale
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<point]))
            if scale > 0 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[point...]))
            }
        }
    }

    static func power10(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}
