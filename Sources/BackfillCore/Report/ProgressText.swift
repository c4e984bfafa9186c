/// The progress line for an input: records so far and, when the input's
/// size is known, the share done, the rate and the time left. ETA is
/// bytes left at the average rate so far: records vary in size, bytes
/// measure the work.
public enum ProgressText {
    public static func line(input: String, records: Int, bytes: Int? = nil, of total: Int? = nil, elapsed: Double) -> String {
        var text = "\(input): \(grouped(records)) records"
        guard let bytes, let total, total > 0 else { return text + "…" }
        let done = min(bytes, total)
        let percent = Int(Double(done) * 100 / Double(total))
        text += " · \(percent)% of \(size(total))"
        guard elapsed >= 0.2, done > 0 else { return text }
        let rate = Double(done) / elapsed
        text += " · \(size(Int(rate)))/s"
        let left = Double(total - done) / rate
        text += " · " + (left < 1 ? "finishing" : "\(duration(left)) left")
        return text
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n.magnitude))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Bytes in decimal units, one decimal: "82.0 MB".
    static func size(_ bytes: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    /// "42 s", "3 min 05 s", "1 h 02 min".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60 < 10 ? "0" : "")\(s % 60) s" }
        let minutes = s % 3600 / 60
        return "\(s / 3600) h \(minutes < 10 ? "0" : "")\(minutes) min"
    }
}
