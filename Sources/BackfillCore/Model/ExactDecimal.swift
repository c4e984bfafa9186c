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

    /// The most digits before the decimal point an amount may have: the
    /// largest amount accepted is 999,999,999,999,999,999 (10^18 − 1) plus
    /// up to `maxScale` decimals. No ledger books more, and the cap keeps
    /// every significand below 10^36, so parsing never overflows and sums of
    /// amounts have room before the 128-bit limit. Arithmetic whose result
    /// passes the cap reports `Overflow` instead of trapping.
    public static let maxIntegerDigits = 18

    /// Why text is not an amount.
    public enum ParseFailure: Error, Sendable, Equatable {
        /// Not plain decimal text.
        case notANumber
        /// More than `maxIntegerDigits` digits before the point.
        case tooLarge
        /// More than `maxScale` digits after the point.
        case tooManyDecimals
        /// Readable two ways, or carrying what only a mapping can read; the
        /// text is the end of a sentence that starts with the value.
        case ambiguous(String)

        /// The end of a sentence that starts with the value: "… is too large".
        public var reason: String {
            switch self {
            case .notANumber: return "is not an exact decimal"
            case .tooLarge:
                return "is too large: the largest amount accepted has \(ExactDecimal.maxIntegerDigits) digits before the decimal point"
            case .tooManyDecimals: return "has more than \(ExactDecimal.maxScale) decimals"
            case .ambiguous(let why): return why
            }
        }
    }

    /// An arithmetic result beyond the largest amount accepted.
    public struct Overflow: Error, Sendable, CustomStringConvertible {
        public var description: String {
            "the result is too large (more than \(ExactDecimal.maxIntegerDigits) digits before the decimal point)"
        }
    }

    /// Parses plain decimal text: an optional sign, digits, an optional point
    /// and fraction. No exponent, no grouping, no spaces: those are provider
    /// formats that `AmountFormat` removes before calling this.
    public init?(_ text: some StringProtocol) {
        guard case .success(let d) = ExactDecimal.parse(text) else { return nil }
        self = d
    }

    /// Like `init?(_:)`, but says why text is not an amount, so a message can
    /// tell "too large" from "not a number". Stops at the first digit past a
    /// limit: a 10,000-digit number costs no more than a 40-digit one.
    public static func parse(_ text: some StringProtocol) -> Result<ExactDecimal, ParseFailure> {
        var utf8 = Substring(text).utf8[...]
        guard !utf8.isEmpty else { return .failure(.notANumber) }
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var value: Int128 = 0
        var scale = 0
        var integerDigits = 0
        var hasDigit = false
        var seenPoint = false
        var failure: ParseFailure?
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                if seenPoint { return .failure(.notANumber) }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return .failure(.notANumber) }
            hasDigit = true
            if failure != nil { continue }  // still checked for being a number at all
            if seenPoint {
                scale += 1
                if scale > maxScale {
                    failure = .tooManyDecimals
                    continue
                }
            } else if integerDigits > 0 || byte != UInt8(ascii: "0") {
                integerDigits += 1
                if integerDigits > maxIntegerDigits {
                    failure = .tooLarge
                    continue
                }
            }
            value = value * 10 + Int128(byte - UInt8(ascii: "0"))
        }
        // "." alone and "-" are not numbers; "1." and ".5" are common in exports.
        guard hasDigit else { return .failure(.notANumber) }
        if let failure { return .failure(failure) }
        return .success(ExactDecimal(significand: negative ? -value : value, scale: scale))
    }

    /// An integer count of minor units (`12345` cents at scale 2 is 123.45),
    /// as Layer writes amounts: `notANumber` unless the text is an integer,
    /// `tooLarge` past `maxIntegerDigits` digits before the point.
    public static func parse(minorUnits text: some StringProtocol, scale: Int) -> Result<ExactDecimal, ParseFailure> {
        var utf8 = Substring(text).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        guard !utf8.isEmpty, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .failure(.notANumber)
        }
        var value: Int128 = 0
        var digits = 0
        for byte in utf8 {
            if digits > 0 || byte != UInt8(ascii: "0") { digits += 1 }
            guard digits <= maxIntegerDigits + scale else { return .failure(.tooLarge) }
            value = value * 10 + Int128(byte - UInt8(ascii: "0"))
        }
        return .success(ExactDecimal(significand: negative ? -value : value, scale: scale))
    }

    /// Whether the amount has at most `maxIntegerDigits` digits before the
    /// point: every amount parsed or computed here is.
    public var isWithinLimit: Bool {
        let limit = ExactDecimal.power10(ExactDecimal.maxIntegerDigits + scale)
        return significand.magnitude < limit.magnitude
    }

    private func checked() throws(Overflow) -> ExactDecimal {
        guard isWithinLimit else { throw Overflow() }
        return self
    }

    public var isNegative: Bool { significand < 0 }
    public var isZero: Bool { significand == 0 }

    /// Wraps instead of trapping for `Int128.min`, which no parsed or
    /// computed amount can be (see `maxIntegerDigits`).
    public var negated: ExactDecimal { ExactDecimal(significand: 0 &- significand, scale: scale) }

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

    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) throws(Overflow) -> ExactDecimal {
        let scale = max(lhs.scale, rhs.scale)
        guard let a = lhs.rescaled(exactlyTo: scale)?.significand, let b = rhs.rescaled(exactlyTo: scale)?.significand
        else { throw Overflow() }
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw Overflow() }
        return try ExactDecimal(significand: sum, scale: scale).checked()
    }

    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) throws(Overflow) -> ExactDecimal {
        try lhs + rhs.negated
    }

    /// Exact product; the scale is the sum of both scales (capped by rounding
    /// half-to-even when it would exceed `maxScale`).
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) throws(Overflow) -> ExactDecimal {
        let (product, overflow) = lhs.significand.multipliedReportingOverflow(by: rhs.significand)
        guard !overflow else { throw Overflow() }
        let scale = lhs.scale + rhs.scale
        if scale <= maxScale { return try ExactDecimal(significand: product, scale: scale).checked() }
        let wide = ExactDecimal(significandUnchecked: product, scale: scale)
        return try wide.rounded(toScale: maxScale).checked()
    }

    private init(significandUnchecked: Int128, scale: Int) {
        self.significand = significandUnchecked
        self.scale = scale
    }

    /// Compares whole parts, then fractions at the widest scale: never
    /// rescales a significand, so no pair of values can overflow here.
    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        func parts(_ d: ExactDecimal) -> (Int128, Int128) {
            let factor = power10(d.scale)
            return (d.significand / factor, (d.significand % factor) * power10(maxScale - d.scale))
        }
        let (a, b) = (parts(lhs), parts(rhs))
        return a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
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
                repeat {
                    i -= 1
                    buf[i] = 48 + UInt8(v % 10)
                    v /= 10
                } while v > 0
            } else {
                repeat {
                    i -= 1
                    buf[i] = 48 + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
            }
            // At least one digit before the point: 0.05, not .05.
            while buf.count - i <= scale {
                i -= 1
                buf[i] = 48
            }
            let point = buf.count - scale
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<point]))
            if scale > 0 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[point...]))
            }
        }
    }

    public static func power10(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}
