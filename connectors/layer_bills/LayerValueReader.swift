import BackfillCore

/// Reads Layer values out of one bill, recording every problem with its JSON
/// path (`$[3].line_items[0].unit_price`), so errors point at the Layer field
/// a user wrote, not at the canonical one it feeds.
struct LayerValueReader {
    let file: String
    /// `$[3]` or `$.data[3]`.
    let basePath: String
    let line: Int
    /// Minor-unit digits of the bill currency: Layer amounts are integers in
    /// the currency's minor unit (cents for USD).
    let minorUnits: Int
    var sourceID: String?
    var issues: [RecordIssue] = []

    /// The bill's origin, or that of one of its fields (`relative` empty or
    /// nil: the bill itself).
    func origin(_ relative: String? = nil) -> Origin {
        guard let relative, !relative.isEmpty else { return Origin(file: file, line: line, jsonPath: basePath) }
        return Origin(file: file, line: line, jsonPath: basePath + "." + relative)
    }

    mutating func fail(_ relative: String, _ code: IssueCode, _ message: String, covers: String? = nil) {
        issues.append(
            RecordIssue(
                origin: origin(relative), sourceID: sourceID, field: relative.isEmpty ? nil : relative,
                code: code, message: message, covers: covers))
    }

    // Paths are autoclosures: spelled out only when a value fails, not for
    // every field of every line.

    /// An amount in minor units (`123` → `1.23`). Only a JSON integer is an
    /// amount: a string or a fraction of a cent is rejected, never rounded.
    mutating func amount(_ node: JSONNode?, _ path: @autoclosure () -> String, required: Bool = false) -> ExactDecimal? {
        guard let node, !node.isNull else {
            if required { fail(path(), .missingRequired, "is required") }
            return nil
        }
        if let text = node.numberText {
            switch ExactDecimal.parse(minorUnits: text, scale: minorUnits) {
            case .success(let amount): return amount
            case .failure(.tooLarge):
                fail(path(), .invalidDecimal, "\(Excerpt(text)) \(ExactDecimal.ParseFailure.tooLarge.reason)")
            case .failure:
                fail(path(), .invalidDecimal, "\(Excerpt(text)) is not a whole number of minor units (cents); Layer amounts are integers")
            }
        } else if let s = node.string {
            fail(path(), .invalidDecimal, "\"\(Excerpt(s))\" is a string; Layer amounts are integer numbers of cents")
        } else {
            fail(path(), .invalidDecimal, "expected an integer number of cents")
        }
        return nil
    }

    /// Arithmetic on amounts (line math, totals). A result past the largest
    /// amount accepted is an `invalid_decimal` reject at `path`, never a
    /// trap; nil then, and the bill is rejected for it.
    mutating func exact(
        _ path: @autoclosure () -> String,
        _ compute: () throws(ExactDecimal.Overflow) -> ExactDecimal
    ) -> ExactDecimal? {
        do { return try compute() } catch {
            fail(path(), .invalidDecimal, "too large: \(error)")
            return nil
        }
    }

    /// A quantity: any non-negative JSON number, kept exactly as written.
    mutating func quantity(_ node: JSONNode?, _ path: @autoclosure () -> String) -> ExactDecimal? {
        guard let node, !node.isNull else { return ExactDecimal(1) }
        if let text = node.numberText {
            let q: ExactDecimal
            switch ExactDecimal.parse(text) {
            case .success(let parsed): q = parsed
            case .failure(let why):
                fail(path(), .invalidDecimal, "\(Excerpt(text)) \(why.reason)")
                return nil
            }
            guard !q.isNegative else {
                fail(path(), .invalidValue, "quantity \(text) is negative")
                return nil
            }
            return q
        }
        if let s = node.string {
            fail(path(), .invalidDecimal, "\"\(Excerpt(s))\" is a string; quantity must be a number")
        } else {
            fail(path(), .invalidDecimal, "expected a number")
        }
        return nil
    }

    mutating func dateTime(_ node: JSONNode?, _ path: @autoclosure () -> String) -> CanonicalDateTime? {
        guard let node, !node.isNull else { return nil }
        guard let s = node.string else {
            fail(path(), .invalidDateTime, "expected a date-time string")
            return nil
        }
        if let t = CanonicalDateTime(iso: s) { return t }
        fail(path(), .invalidDateTime, "'\(Excerpt(s))' is not an ISO 8601 date-time with a zone")
        return nil
    }

    mutating func string(_ node: JSONNode?, _ path: @autoclosure () -> String) -> String? {
        guard let node, !node.isNull else { return nil }
        if let s = node.string { return s.isEmpty ? nil : s }
        if let n = node.numberText { return n }
        fail(path(), .invalidType, "expected a string")
        return nil
    }

    mutating func objects(_ node: JSONNode?, _ path: @autoclosure () -> String) -> [JSONNode] {
        guard let node, !node.isNull else { return [] }
        guard node.kind == .array else {
            fail(path(), .invalidType, "expected a list")
            return []
        }
        var out: [JSONNode] = []
        for (i, item) in node.elements.enumerated() {
            if item.isObject { out.append(item) } else { fail("\(path())[\(i)]", .invalidType, "expected an object") }
        }
        return out
    }

    /// Layer's limit: "Arbitrary custom metadata in JSON format with a size
    /// limit of 1KB" (1024 bytes of compact JSON).
    mutating func checkMetadata(_ node: JSONNode?, _ path: @autoclosure () -> String) {
        guard let node, !node.isNull else { return }
        guard node.isObject else {
            fail(path(), .invalidType, "metadata must be a JSON object")
            return
        }
        let size = CanonicalJSON.bytes(node.value).count
        if size > 1024 {
            fail(path(), .invalidValue, "is \(size) bytes; Layer's limit for metadata is 1 KB (1024 bytes)")
        }
    }
}
