/// A value as quoted in a message: at most `limit` characters, then "…" and
/// how long the whole was. A 10,000-digit amount or a 50 MB id is named,
/// never echoed whole into stderr, reports and the rejects table.
public struct Excerpt: CustomStringConvertible, Sendable {
    public static let limit = 40
    public let description: String

    public init(_ text: some StringProtocol, limit: Int = Excerpt.limit) {
        // Counted in scalars, which is cheap even for a huge string: only
        // the first `limit` + 1 are looked at.
        var scalars = text.unicodeScalars.makeIterator()
        var kept = String.UnicodeScalarView()
        var count = 0
        while count <= limit, let scalar = scalars.next() {
            if count < limit { kept.append(scalar) }
            count += 1
        }
        if count <= limit {
            description = String(text)
        } else {
            description = String(kept) + "… (\(text.utf8.count) bytes)"
        }
    }
}
