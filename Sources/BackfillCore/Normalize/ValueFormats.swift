import Foundation

/// How a provider writes amounts. The default accepts plain decimals only
/// (`1234.50`, `-12.00`); grouping, symbols and accountant's parentheses are
/// accepted only when a mapping says so, because `1,234` means one thing in
/// the US and another in Germany, and silently guessing moves money by a
/// factor of 1000.
///
/// A mapping's format also accepts what banks write around the number: a
/// currency symbol or ISO code on either side (`$20,053.01`, `12.00 EUR`), a
/// sign before or after it with a space (`- $220.00`, `+ £1,234.56`), a
/// trailing minus (`12.00-`), and grouping by `.`, `,`, `'` or a space
/// (plain or no-break). With `autoDetect` the separators are read from each
/// value: the last of `.` and `,` when both appear, a repeated one as
/// grouping, and a single one followed by exactly three digits is refused as
/// ambiguous (`1,234`), never guessed. Everything is exact: text to digits,
/// never through `Double`.
public struct AmountFormat: Sendable, Equatable {
    public var thousandsSeparator: Character?
    public var decimalSeparator: Character
    /// `(12.00)` means `-12.00`.
    public var parenthesesNegative: Bool
    /// Flip the sign of every amount (bank exports that write debits negative).
    public var negate: Bool
    /// Read the separators from each value (`"style": "auto"`).
    public var autoDetect: Bool

    public init(
        thousandsSeparator: Character? = nil, decimalSeparator: Character = ".",
        parenthesesNegative: Bool = false, negate: Bool = false, autoDetect: Bool = false
    ) {
        self.thousandsSeparator = thousandsSeparator
        self.decimalSeparator = decimalSeparator
        self.parenthesesNegative = parenthesesNegative
        self.negate = negate
        self.autoDetect = autoDetect
    }

    public static let plain = AmountFormat()

    /// A `CR` or `DR` written after an amount: a direction, not a sign.
    public enum Marker: Sendable, Equatable {
        /// `CR`: money in to the account (a payment or refund on a card).
        case credit
        /// `DR`: money out of the account.
        case debit
    }

    /// Parses `text` into an exact decimal, or nil when it is not an amount in
    /// this format.
    public func parse(_ text: String) -> ExactDecimal? {
        try? parseOrExplain(text).get()
    }

    /// Like `parse`, but says why text is not an amount ("too large" is not
    /// "not a number"). A `CR`/`DR` marker is refused here: which sign it
    /// means depends on the record type, so only a mapping's amount rule
    /// (which knows the type) may read one.
    public func parseOrExplain(_ text: String) -> Result<ExactDecimal, ExactDecimal.ParseFailure> {
        switch parseMarked(text) {
        case .success((let value, nil)): return .success(value)
        case .success: return .failure(.ambiguous("ends with CR or DR, a direction; declare the column in the mapping's amount rule"))
        case .failure(let why): return .failure(why)
        }
    }

    /// The amount and any `CR`/`DR` marker after it (the marker's direction
    /// is the caller's to apply; the value is then its magnitude's sign as
    /// written).
    public func parseMarked(_ text: String) -> Result<(ExactDecimal, Marker?), ExactDecimal.ParseFailure> {
        if self == .plain { return ExactDecimal.parse(text.trimmingSpaces()).map { ($0, nil) } }
        var s = Substring(text.trimmingSpaces())
        var negative = false
        var signs = 0
        var marker: Marker?
        let upper = s.uppercased()
        if upper.hasSuffix("CR") || upper.hasSuffix("DR"), s.count > 2 {
            marker = upper.hasSuffix("CR") ? .credit : .debit
            s = Self.trimmed(s.dropLast(2))
        }
        if parenthesesNegative, s.hasPrefix("("), s.hasSuffix(")") {
            s = Self.trimmed(s.dropFirst().dropLast())
            negative = true
            signs += 1
        }
        // Signs and currency around the number, in any order.
        var changed = true
        while changed && !s.isEmpty {
            changed = false
            if let first = s.first, first == "-" || first == "+" || first == "\u{2212}" {
                if first != "+" { negative.toggle() }
                signs += 1
                s = Self.trimmed(s.dropFirst())
                changed = true
            }
            if let last = s.last, last == "-" || last == "+" {
                if last == "-" { negative.toggle() }
                signs += 1
                s = Self.trimmed(s.dropLast())
                changed = true
            }
            if let first = s.first, Self.currencySymbols.contains(first) {
                s = Self.trimmed(s.dropFirst())
                changed = true
            } else if let code = Self.currencyCode(prefixOf: s) {
                s = Self.trimmed(s.dropFirst(code))
                changed = true
            }
            if let last = s.last, Self.currencySymbols.contains(last) {
                s = Self.trimmed(s.dropLast())
                changed = true
            } else if let code = Self.currencyCode(suffixOf: s) {
                s = Self.trimmed(s.dropLast(code))
                changed = true
            }
        }
        guard signs <= 1, !s.isEmpty else { return .failure(.notANumber) }
        let separators: (thousands: Character?, decimal: Character)
        if autoDetect {
            switch Self.detectSeparators(s) {
            case .success(let found): separators = found
            case .failure(let why): return .failure(why)
            }
        } else {
            separators = (thousandsSeparator, decimalSeparator)
        }
        var cleaned = ""
        cleaned.reserveCapacity(s.utf8.count)
        var previousWasDigit = false
        for (i, ch) in s.enumerated() {
            if let sep = separators.thousands, ch == sep || (sep == " " && ch.isSpaceSeparator) {
                // A separator sits after a digit and before a group of exactly
                // three: "1,,2", ",12" and "12.50" with "." grouping are not amounts.
                let group = s.dropFirst(i + 1).prefix { $0.isASCII && $0.isNumber }
                guard previousWasDigit, group.count == 3 else { return .failure(.notANumber) }
                previousWasDigit = false
                continue
            }
            if ch == separators.decimal {
                cleaned.append(".")
            } else if ch == "." || !(ch.isASCII && ch.isNumber) {
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
        if negative { value = value.negated }
        return .success((negate ? value.negated : value, marker))
    }

    static let currencySymbols: Set<Character> = ["$", "£", "€", "¥", "₹", "₩", "₽", "¢", "₺", "₪", "₱", "฿", "₫", "₴", "₦"]

    /// The length of a three-letter ISO code (`USD`) that starts `s`, set
    /// off from the number by a space or a digit.
    static func currencyCode(prefixOf s: Substring) -> Int? {
        let head = s.prefix(3)
        guard head.count == 3, head.allSatisfy({ $0.isASCII && $0.isUppercase }), Currency.minorUnits(String(head)) != nil else {
            return nil
        }
        let rest = s.dropFirst(3)
        guard let next = rest.first, next == " " || next.isNumber || next == "-" || next == "+" || next.isSpaceSeparator else { return nil }
        return 3
    }

    static func currencyCode(suffixOf s: Substring) -> Int? {
        let tail = s.suffix(3)
        guard tail.count == 3, tail.allSatisfy({ $0.isASCII && $0.isUppercase }), Currency.minorUnits(String(tail)) != nil else {
            return nil
        }
        let rest = s.dropLast(3)
        guard let before = rest.last, before == " " || before.isNumber || before.isSpaceSeparator else { return nil }
        return 3
    }

    static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let f = s.first, f == " " || f.isSpaceSeparator || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l.isSpaceSeparator || l == "\t" { s = s.dropLast() }
        return s
    }

    /// Which character groups and which marks the decimals, read from one value.
    static func detectSeparators(_ s: Substring) -> Result<(thousands: Character?, decimal: Character), ExactDecimal.ParseFailure> {
        let marks = s.filter { !($0.isASCII && $0.isNumber) }
        let dots = marks.filter { $0 == "." }.count
        let commas = marks.filter { $0 == "," }.count
        let grouping: Character? = marks.contains("'") ? "'" : marks.contains(where: { $0 == " " || $0.isSpaceSeparator }) ? " " : nil
        if dots > 0 && commas > 0 {
            let last = marks.last { $0 == "." || $0 == "," }!
            let other: Character = last == "." ? "," : "."
            guard marks.filter({ $0 == last }).count == 1 else { return .failure(.notANumber) }
            return .success((other, last))
        }
        let mark: Character? = dots > 0 ? "." : commas > 0 ? "," : nil
        guard let mark else { return .success((grouping, ".")) }
        if (mark == "." ? dots : commas) > 1 {
            return .success((mark, grouping == nil ? (mark == "." ? "," : ".") : (mark == "." ? "," : ".")))
        }
        if let grouping { return .success((grouping, mark)) }
        let after = s.split(separator: mark, omittingEmptySubsequences: false).last ?? ""
        if after.count == 3 {
            return .failure(
                .ambiguous(
                    "is ambiguous: '\(mark)' with three digits after it may group thousands or mark decimals; "
                        + "set amounts.decimal_separator in the mapping"))
        }
        return .success((nil, mark))
    }
}

extension Character {
    /// A no-break or narrow no-break space, which European exports group with.
    var isSpaceSeparator: Bool { self == "\u{00A0}" || self == "\u{202F}" }
}

/// A date pattern a mapping names, such as `MM/DD/YYYY`, `D.M.YY` or
/// `DD-MMM-YYYY`. Tokens: `YYYY`; `YY` (a two-digit year: 00–68 are 2000–2068,
/// 69–99 are 1969–1999, the POSIX `%y` pivot); `MM`/`M`; `MMM` (an English
/// month name, abbreviated or full, any case: `Mar`, `Sept`, `March`);
/// `DD`/`D`. Anything else that is a letter is an error in the pattern;
/// other characters must match literally. ISO `YYYY-MM-DD` is always
/// accepted first.
public struct DatePattern: Sendable, Equatable {
    enum Token: Equatable {
        case year, shortYear
        case month(padded: Bool)
        case monthName
        case day(padded: Bool)
        case literal(Character)
    }
    let tokens: [Token]
    public let text: String

    public init?(_ pattern: String) {
        var tokens: [Token] = []
        var rest = Substring(pattern)
        while let ch = rest.first {
            if rest.hasPrefix("YYYY") {
                tokens.append(.year)
                rest = rest.dropFirst(4)
            } else if rest.hasPrefix("YY") {
                tokens.append(.shortYear)
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("MMMM") {
                tokens.append(.monthName)
                rest = rest.dropFirst(4)
            } else if rest.hasPrefix("MMM") {
                tokens.append(.monthName)
                rest = rest.dropFirst(3)
            } else if rest.hasPrefix("MM") {
                tokens.append(.month(padded: true))
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("M") {
                tokens.append(.month(padded: false))
                rest = rest.dropFirst()
            } else if rest.hasPrefix("DD") {
                tokens.append(.day(padded: true))
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("D") {
                tokens.append(.day(padded: false))
                rest = rest.dropFirst()
            } else if ch.isLetter {
                return nil
            } else {
                tokens.append(.literal(ch))
                rest = rest.dropFirst()
            }
        }
        guard tokens.contains(.year) || tokens.contains(.shortYear) else { return nil }
        self.tokens = tokens
        self.text = pattern
    }

    /// The date, or nil when `text` does not follow the pattern or names a day
    /// that does not exist.
    public func parse(_ text: String) -> CalendarDate? {
        var chars = Substring(text)
        var year = 0
        var month = 0
        var day = 0
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
            case .year:
                guard let v = digits(4) else { return nil }
                year = v
            case .shortYear:
                guard let v = digits(2) else { return nil }
                year = v < 69 ? 2000 + v : 1900 + v
            case .monthName:
                let word = chars.prefix { $0.isLetter }
                guard let v = Self.month(named: word) else { return nil }
                month = v
                chars = chars.dropFirst(word.count)
            case .month(let padded):
                guard let v = digits(padded ? 2 : nil) else { return nil }
                month = v
            case .day(let padded):
                guard let v = digits(padded ? 2 : nil) else { return nil }
                day = v
            case .literal(let c):
                guard chars.first == c else { return nil }
                chars = chars.dropFirst()
            }
        }
        guard chars.isEmpty else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }

    static let monthNames = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december",
    ]

    /// 1–12 for an English month name: its first three letters, `sept`, or the whole name.
    static func month(named word: Substring) -> Int? {
        let w = word.lowercased()
        guard w.count >= 3 else { return nil }
        if let i = monthNames.firstIndex(where: { $0 == w || ($0.hasPrefix(w) && (w.count == 3 || w == "sept")) }) { return i + 1 }
        return nil
    }
}

/// A date-time as exports write it: a date (ISO or one of the mapping's
/// patterns), a time (`17:41`, `17:41:05`, `5:41 PM`), and maybe a zone (`Z`,
/// `UTC`, `+01:00`, `+0100`, or an IANA name such as `Europe/Amsterdam`).
/// Without a zone, `defaultZone` (the mapping's `timezone`) places it; a time
/// with no zone at all is refused, since it names no instant.
public enum LocalDateTime {
    public enum Failure: Error {
        case notADateTime, noZone
        case unknownZone(String)
    }

    public static func parse(_ text: String, patterns: [DatePattern], defaultZone: TimeZone?) -> Result<CanonicalDateTime, Failure> {
        let chars = Array(text)
        // The time starts at the first `H:MM` or `HH:MM`.
        var start: Int?
        for i in chars.indices
        where chars[i] == ":" && i >= 1 && i + 2 < chars.count
            && chars[i - 1].isNumber && chars[i + 1].isNumber && chars[i + 2].isNumber
        {
            start = i >= 2 && chars[i - 2].isNumber ? i - 2 : i - 1
            break
        }
        guard let start else { return .failure(.notADateTime) }
        var datePart = String(chars[..<start]).trimmingCharacters(in: .whitespaces)
        if datePart.hasSuffix("T") || datePart.hasSuffix("t") { datePart.removeLast() }
        datePart = datePart.trimmingCharacters(in: CharacterSet(charactersIn: " ,"))
        guard let date = CalendarDate(iso: datePart) ?? patterns.lazy.compactMap({ $0.parse(datePart) }).first else {
            return .failure(.notADateTime)
        }
        var rest = Substring(String(chars[start...]))
        func number(_ count: Int) -> Int? {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard digits.count >= 1, digits.count <= count, let v = Int(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            return v
        }
        guard var hour = number(2), rest.first == ":" else { return .failure(.notADateTime) }
        rest = rest.dropFirst()
        guard let minute = number(2), minute < 60 else { return .failure(.notADateTime) }
        var second = 0
        var fraction = ""
        if rest.first == ":" {
            rest = rest.dropFirst()
            guard let s = number(2), s < 60 else { return .failure(.notADateTime) }
            second = s
            if rest.first == "." {
                rest = rest.dropFirst()
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                guard !digits.isEmpty else { return .failure(.notADateTime) }
                fraction = String(digits)
                rest = rest.dropFirst(digits.count)
            }
        }
        var zoneText = rest.trimmingCharacters(in: .whitespaces)
        let upper = zoneText.uppercased()
        if upper.hasPrefix("AM") || upper.hasPrefix("PM") {
            guard hour >= 1, hour <= 12 else { return .failure(.notADateTime) }
            hour = hour % 12 + (upper.hasPrefix("PM") ? 12 : 0)
            zoneText = String(zoneText.dropFirst(2)).trimmingCharacters(in: .whitespaces)
        }
        guard hour < 24 else { return .failure(.notADateTime) }
        let seconds = hour * 3600 + minute * 60 + second
        let offset: Int
        switch zoneText.uppercased() {
        case "Z", "UTC", "GMT": offset = 0
        case "":
            guard let defaultZone else { return .failure(.noZone) }
            offset = Self.offset(of: defaultZone, date: date, secondsOfDay: seconds)
        default:
            if let first = zoneText.first, first == "+" || first == "-" {
                let digits = zoneText.dropFirst().filter { $0 != ":" }
                guard digits.count == 4, let h = Int(digits.prefix(2)), let m = Int(digits.suffix(2)), h < 24, m < 60 else {
                    return .failure(.notADateTime)
                }
                offset = (first == "-" ? -1 : 1) * (h * 3600 + m * 60)
            } else if let hours = Self.abbreviations[zoneText.uppercased()] {
                offset = hours * 3600
            } else if zoneText.contains("/"), let zone = TimeZone(identifier: zoneText) {
                offset = Self.offset(of: zone, date: date, secondsOfDay: seconds)
            } else {
                return .failure(.unknownZone(zoneText))
            }
        }
        return .success(CanonicalDateTime(local: date, secondsOfDay: seconds, fraction: fraction, offsetSeconds: offset))
    }

    /// Abbreviations that name one offset only. `CST` (US Central or China)
    /// and `IST` (India, Ireland, Israel) name several and are refused.
    static let abbreviations: [String: Int] = [
        "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "EST": -5, "EDT": -4, "AKST": -9,
        "AKDT": -8, "HST": -10, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2,
        "EEST": 3, "BST": 1, "JST": 9, "AEST": 10, "AEDT": 11,
    ]

    /// The zone's offset at that wall time: the offset at the instant the
    /// wall time would be in UTC, corrected once (exact except inside a
    /// daylight-saving jump, where the later offset is taken).
    static func offset(of zone: TimeZone, date: CalendarDate, secondsOfDay: Int) -> Int {
        let wall = Double(date.daysSinceEpoch * 86400 + secondsOfDay)
        let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall))
        return zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall - Double(first)))
    }
}

/// Per-run options that tell the normalizer how this provider writes values.
public struct NormalizeOptions: Sendable {
    public var amountFormat: AmountFormat
    public var datePatterns: [DatePattern]
    /// The mapping's `timezone`: where date-times written without a zone were local.
    public var timeZone: TimeZone?

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
