/// How a provider writes amounts. The default accepts plain decimals only
/// (`1234.50`, `-12.00`); grouping and accountant's parentheses are accepted
/// only when a mapping says so, because `1,234` means one thing in the US and
/// another in Germany, and silently guessing moves money by a factor of 1000.
public struct AmountFormat: Sendable, Equatable {
    public var thousandsSeparator: Character?
    public var decimalSeparator: Character
    /// `(12.00)` means `-12.00`.
    public var parenthesesNegative: Bool
    /// Flip the sign of every amount (bank exports that write debits negative).
    public var negate: Bool

    public init(thousandsSeparator: Character? = nil, decimalSeparator: Character = ".",
                parenthesesNegative: Bool = false, negate: Bool = false) {
        self.thousandsSeparator = thousandsSeparator
        self.decimalSeparator = decimalSeparator
        self.parenthesesNegative = parenthesesNegative
        self.negate = negate
    }

    public static let plain = AmountFormat()

    /// Parses `text` into an exact decimal, or nil when it is not an amount in
    /// this format.
    public func parse(_ text: String) -> ExactDecimal? {
        try? parseOrExplain(text).get()
    }

    /// Like `parse`, but says why text is not an amount ("too large" is not
    /// "not a number").
    public func parseOrExplain(_ text: String) -> Result<ExactDecimal, ExactDecimal.ParseFailure> {
        if self == .plain { return ExactDecimal.parse(text.trimmingSpaces()) }
        var s = Substring(text.trimmingSpaces())
        var negative = false
        if parenthesesNegative, s.hasPrefix("("), s.hasSuffix(")") {
            s = s.dropFirst().dropLast()
            negative = true
        }
        var cleaned = ""
        cleaned.reserveCapacity(s.utf8.count)
        var previousWasDigit = false
        for (i, ch) in s.enumerated() {
            if let sep = thousandsSeparator, ch == sep {
                // A separator must sit between digits: "1,,2" or ",12" is not an amount.
                let next = s.dropFirst(i + 1).first
                guard previousWasDigit, let n = next, n.isASCII, n.isNumber else { return .failure(.notANumber) }
                continue
            }
            if ch == decimalSeparator {
                cleaned.append(".")
            } else if ch == "." {
                return .failure(.notANumber)
            } else {
                cleaned.append(ch)
            }
            previousWasDigit = ch.isASCII && ch.isNumber
        }
        var value: ExactDecimal
        switch ExactDecimal.parse(cleaned) {
        case .success(let d): value = d
        case .failure(let why): return .failure(why)
        }
        if negative {
            guard !value.isNegative else { return .failure(.notANumber) }
            value = value.negated
        }
        return .success(negate ? value.negated : value)
    }
}

/// A date pattern a mapping names, such as `MM/DD/YYYY` or `D.M.YYYY`.
/// Tokens: `YYYY`, `MM`/`M`, `DD`/`D`; anything else must match literally.
/// ISO `YYYY-MM-DD` is always accepted first.
public struct DatePattern: Sendable, Equatable {
    enum Token: Equatable { case year, month(padded: Bool), day(padded: Bool), literal(Character) }
    let tokens: [Token]
    public let text: String

    public init?(_ pattern: String) {
        var tokens: [Token] = []
        var rest = Substring(pattern)
        while let ch = rest.first {
            if rest.hasPrefix("YYYY") { tokens.append(.year); rest = rest.dropFirst(4) }
            else if rest.hasPrefix("MM") { tokens.append(.month(padded: true)); rest = rest.dropFirst(2) }
            else if rest.hasPrefix("M") { tokens.append(.month(padded: false)); rest = rest.dropFirst() }
            else if rest.hasPrefix("DD") { tokens.append(.day(padded: true)); rest = rest.dropFirst(2) }
            else if rest.hasPrefix("D") { tokens.append(.day(padded: false)); rest = rest.dropFirst() }
            else if ch.isLetter { return nil }
            else { tokens.append(.literal(ch)); rest = rest.dropFirst() }
        }
        guard tokens.contains(.year) else { return nil }
        self.tokens = tokens
        self.text = pattern
    }

    /// The date, or nil when `text` does not follow the pattern or names a day
    /// that does not exist.
    public func parse(_ text: String) -> CalendarDate? {
        var chars = Substring(text)
        var year = 0, month = 0, day = 0
        func digits(_ exact: Int?) -> Int? {
            let run = chars.prefix { $0.isASCII && $0.isNumber }
            if let exact { guard run.count >= exact else { return nil } }
            let take = exact ?? min(run.count, 2)
            guard take > 0 else { return nil }
            let value = Int(String(chars.prefix(take)))
            chars = chars.dropFirst(take)
            return value
        }
        for token in tokens {
            switch token {
            case .year: guard let v = digits(4) else { return nil }; year = v
            case .month(let padded): guard let v = digits(padded ? 2 : nil) else { return nil }; month = v
            case .day(let padded): guard let v = digits(padded ? 2 : nil) else { return nil }; day = v
            case .literal(let c): guard chars.first == c else { return nil }; chars = chars.dropFirst()
            }
        }
        guard chars.isEmpty else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }
}

/// Per-run options that tell the normalizer how this provider writes values.
public struct NormalizeOptions: Sendable {
    public var amountFormat: AmountFormat
    public var datePatterns: [DatePattern]

    public init(amountFormat: AmountFormat = .plain, datePatterns: [DatePattern] = []) {
        self.amountFormat = amountFormat
        self.datePatterns = datePatterns
    }
}

extension String {
    func trimmingSpaces() -> String {
        // Nothing to trim, the usual case: no copy.
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 { return self }
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
