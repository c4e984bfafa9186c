/// A proleptic Gregorian calendar date, validated (no `2026-02-30`).
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`, exactly.
    public init?(iso text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let y = CalendarDate.number(b[0..<4]), let m = CalendarDate.number(b[5..<7]),
            let d = CalendarDate.number(b[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var v = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            v = v * 10 + Int(b - 48)
        }
        return v
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> CalendarDate {
        CalendarDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public var description: String {
        // YYYY-MM-DD, digit by digit: every record's dates are written this way.
        guard (0...9999).contains(year) else {
            func pad(_ v: Int, _ w: Int) -> String {
                let s = String(v)
                return String(repeating: "0", count: max(0, w - s.count)) + s
            }
            return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        }
        return String(unsafeUninitializedCapacity: 10) { out in
            func digit(_ v: Int) -> UInt8 { UInt8(48 + v) }
            out[0] = digit(year / 1000)
            out[1] = digit(year / 100 % 10)
            out[2] = digit(year / 10 % 10)
            out[3] = digit(year % 10)
            out[4] = UInt8(ascii: "-")
            out[5] = digit(month / 10)
            out[6] = digit(month % 10)
            out[7] = UInt8(ascii: "-")
            out[8] = digit(day / 10)
            out[9] = digit(day % 10)
            return 10
        }
    }
}

/// An instant parsed from ISO 8601 / RFC 3339 text and written back in UTC.
///
/// Canonical date-times are `YYYY-MM-DDTHH:MM:SS[.fff]Z`: one spelling per
/// instant, so an offset change in the source that names the same instant is
/// not a change. A bare date is taken as midnight UTC.
public struct CanonicalDateTime: Sendable, Hashable, CustomStringConvertible {
    public let date: CalendarDate
    public let secondsOfDay: Int
    /// Fractional seconds digits exactly as given (may be empty).
    public let fraction: String

    public init?(iso text: some StringProtocol) {
        let b = Array(text.utf8)
        if b.count == 10 {
            guard let d = CalendarDate(iso: text) else { return nil }
            self.date = d
            self.secondsOfDay = 0
            self.fraction = ""
            return
        }
        guard b.count >= 19, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let d = CalendarDate(iso: String(decoding: b[0..<10], as: UTF8.self)),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let hh = CalendarDate.number(b[11..<13]), let mm = CalendarDate.number(b[14..<16]),
            let ss = CalendarDate.number(b[17..<19]), hh < 24, mm < 60, ss < 60
        else { return nil }
        var i = 19
        var fraction = ""
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            guard i > start else { return nil }
            fraction = String(decoding: b[start..<i], as: UTF8.self)
        }
        var offsetSeconds = 0
        if i == b.count {
            // No zone designator: a local time with no zone cannot be placed on
            // the timeline; RFC 3339 requires one, so it is not accepted.
            return nil
        } else if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            let rest = Array(b[(i + 1)...])
            let digits = rest.filter { $0 != UInt8(ascii: ":") }
            guard digits.count == 4, rest.count == 4 || (rest.count == 5 && rest[2] == UInt8(ascii: ":")),
                let oh = CalendarDate.number(digits[0..<2]), let om = CalendarDate.number(digits[2..<4]),
                oh < 24, om < 60
            else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        var total = d.daysSinceEpoch * 86400 + hh * 3600 + mm * 60 + ss - offsetSeconds
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        total -= days * 86400
        self.date = CalendarDate(daysSinceEpoch: days)
        self.secondsOfDay = total
        self.fraction = fraction
    }

    /// A wall-clock time `offsetSeconds` east of UTC, placed on the timeline.
    public init(local date: CalendarDate, secondsOfDay: Int, fraction: String = "", offsetSeconds: Int) {
        var total = date.daysSinceEpoch * 86400 + secondsOfDay - offsetSeconds
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        total -= days * 86400
        self.date = CalendarDate(daysSinceEpoch: days)
        self.secondsOfDay = total
        self.fraction = fraction
    }

    public var description: String {
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        let h = secondsOfDay / 3600
        let m = secondsOfDay % 3600 / 60
        let s = secondsOfDay % 60
        return "\(date)T\(pad(h)):\(pad(m)):\(pad(s))\(fraction.isEmpty ? "" : "." + fraction)Z"
    }
}
