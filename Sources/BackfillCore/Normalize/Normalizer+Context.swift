extension Normalizer {
    /// The state of normalizing one record: where it came from, its currency,
    /// and the issues found so far.
    struct Context {
        var origin: Origin
        var sourceID: String?
        var sourceSystem: String
        var options: NormalizeOptions
        var catalog: ContractCatalog
        var currency: String?
        var issues: [RecordIssue] = []
        /// The origin of the line being normalized, when lines have their own.
        var lineOrigin: Origin?

        init(origin: Origin, sourceID: String?, sourceSystem: String, options: NormalizeOptions, catalog: ContractCatalog) {
            self.origin = origin
            self.sourceID = sourceID
            self.sourceSystem = sourceSystem
            self.options = options
            self.catalog = catalog
        }

        mutating func fail(_ path: String, _ code: IssueCode, _ message: String) {
            var at = lineOrigin ?? origin
            if at.jsonPath != nil { at.jsonPath = (at.jsonPath ?? "$") + "." + path }
            issues.append(RecordIssue(origin: at, sourceID: sourceID, field: path, code: code, message: message))
        }

        /// The value in its contract type, or nil when absent (an empty CSV
        /// cell, JSON null) or invalid (then an issue is recorded).
        /// `path` is only spelled out when something fails or nests: building
        /// it for every field of every line was a measurable share of the run.
        mutating func coerce(_ value: Value, as spec: FieldSpec, path: @autoclosure () -> String) -> Value? {
            if case .null = value { return nil }
            if case .string(let s) = value, s.trimmingSpaces().isEmpty, spec.type != .string { return nil }
            if case .string(let s) = value, s.isEmpty { return nil }
            switch spec.type {
            case .string:
                switch value {
                case .string(let s): return .string(normalizeEnum(s, spec))
                case .number(let n): return .string(n)
                case .integer(let i): return .string(String(i))
                default:
                    fail(path(), .invalidType, "expected text, got \(CanonicalJSON.string(value))")
                    return nil
                }
            case .money, .decimal:
                guard let d = decimal(value, path: path()) else { return nil }
                if spec.type == .decimal { return .decimal(d) }
                return scaleMoney(d, path: path()).map(Value.decimal)
            case .integer:
                switch value {
                case .integer: return value
                case .number(let n), .string(let n):
                    if let i = Int(n.trimmingSpaces()) { return .integer(i) }
                    fail(path(), .invalidInteger, "'\(Excerpt(n))' is not a whole number")
                    return nil
                default:
                    fail(path(), .invalidInteger, "expected a whole number")
                    return nil
                }
            case .boolean:
                switch value {
                case .bool: return value
                case .string(let s):
                    switch s.trimmingSpaces().lowercased() {
                    case "true", "t", "yes", "y", "1": return .bool(true)
                    case "false", "f", "no", "n", "0": return .bool(false)
                    default:
                        fail(path(), .invalidBoolean, "'\(Excerpt(s))' is not true or false")
                        return nil
                    }
                default:
                    fail(path(), .invalidBoolean, "expected true or false")
                    return nil
                }
            case .date:
                guard case .string(let s) = value else {
                    fail(path(), .invalidDate, "expected a date")
                    return nil
                }
                return date(s, path: path()).map { .string($0.description) }
            case .dateTime:
                guard case .string(let s) = value else {
                    fail(path(), .invalidDateTime, "expected a date-time")
                    return nil
                }
                let text = s.trimmingSpaces()
                if let t = CanonicalDateTime(iso: text) { return .string(t.description) }
                if let d = options.datePatterns.lazy.compactMap({ $0.parse(text) }).first ?? CalendarDate(iso: text) {
                    return .string(d.description + "T00:00:00Z")
                }
                switch LocalDateTime.parse(text, patterns: options.datePatterns, defaultZone: options.timeZone) {
                case .success(let t): return .string(t.description)
                case .failure(.noZone):
                    fail(
                        path(), .invalidDateTime,
                        "'\(Excerpt(s))' has no time zone; set the mapping's timezone (an IANA name such as Europe/Amsterdam)")
                case .failure(.unknownZone(let zone)):
                    fail(path(), .invalidDateTime, "'\(Excerpt(s))': '\(Excerpt(zone))' is not a time zone")
                case .failure(.notADateTime):
                    fail(path(), .invalidDateTime, "'\(Excerpt(s))' is not an ISO 8601 date-time with a zone (e.g. 2026-05-05T12:00:00Z)")
                }
                return nil
            case .map:
                if case .object = value { return value }
                if case .string(let s) = value, let parsed = try? JSONParser.parse(s), case .object = parsed { return parsed }
                fail(path(), .invalidType, "expected an object")
                return nil
            case .stringArray:
                if case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) { return value }
                if case .string(let s) = value {
                    if let parsed = try? JSONParser.parse(s), case .array = parsed { return coerce(parsed, as: spec, path: path()) }
                    return .array(s.split(separator: ";").map { .string(String($0).trimmingSpaces()) })
                }
                fail(path(), .invalidType, "expected a list of text values")
                return nil
            case .objectArray:
                if case .array = value { return value }
                if case .string(let s) = value, let parsed = try? JSONParser.parse(s), case .array = parsed { return parsed }
                fail(path(), .invalidType, "expected a list of objects")
                return nil
            case .shape(let name):
                guard case .object(let fields) = value, let shape = catalog.shape(name) else {
                    fail(path(), .invalidType, "expected an object")
                    return nil
                }
                return .object(object(fields, shape: shape, path: path()))
            case .shapeArray(let name):
                guard case .array(let items) = value, let shape = catalog.shape(name) else {
                    fail(path(), .invalidType, "expected a list of objects")
                    return nil
                }
                var out: [Value] = []
                let arrayPath = items.isEmpty ? "" : path()
                for (i, item) in items.enumerated() {
                    guard case .object(let fields) = item else {
                        fail("\(arrayPath)[\(i)]", .invalidType, "expected an object")
                        continue
                    }
                    out.append(.object(object(fields, shape: shape, path: "\(arrayPath)[\(i)]")))
                }
                return .array(out)
            }
        }

        /// Every field of a nested object, coerced by its shape.
        mutating func object(_ fields: Fields, shape: Shape, path: String) -> Fields {
            var out: Fields = [:]
            var unknown: Fields = [:]
            for (name, value) in fields {
                guard let spec = shape.fieldsByName[name] else {
                    unknown[name] = value
                    continue
                }
                if let v = coerce(value, as: spec, path: path + "." + name) { out[name] = v }
            }
            if !unknown.isEmpty {
                keepUnknown(unknown, in: &out, hasMetadata: shape.fieldsByName["metadata"] != nil, path: path)
            }
            return out
        }

        /// Fields a contract does not name are kept, not dropped: under
        /// `metadata.<source_system>` where the object has metadata; where it
        /// has none, each is an `unknown_field` reject, because dropping data
        /// silently is worse than refusing it.
        mutating func keepUnknown(_ unknown: Fields, in object: inout Fields, hasMetadata: Bool, path: String) {
            guard hasMetadata else {
                for name in unknown.keys.sorted() {
                    fail(path.isEmpty ? name : path + "." + name, .unknownField, "is not a field of this contract")
                }
                return
            }
            var metadata = object["metadata"]?.objectValue ?? [:]
            var bucket = metadata[sourceSystem]?.objectValue ?? [:]
            for (k, v) in unknown { bucket[k] = v }
            metadata[sourceSystem] = .object(bucket)
            object["metadata"] = .object(metadata)
        }

        mutating func decimal(_ value: Value, path: @autoclosure () -> String) -> ExactDecimal? {
            switch value {
            case .decimal(let d): return d
            case .integer(let i): return ExactDecimal(i)
            case .number(let n):
                switch ExactDecimal.parse(n) {
                case .success(let d): return d
                case .failure(let why):
                    fail(path(), .invalidDecimal, "'\(Excerpt(n))' \(why.reason)")
                    return nil
                }
            case .string(let s):
                switch options.amountFormat.parseOrExplain(s) {
                case .success(let d): return d
                case .failure(.notANumber): fail(path(), .invalidDecimal, "'\(Excerpt(s))' is not a number")
                case .failure(let why): fail(path(), .invalidDecimal, "'\(Excerpt(s))' \(why.reason)")
                }
                return nil
            default:
                fail(path(), .invalidDecimal, "expected a number")
                return nil
            }
        }

        /// Money at the currency's minor-unit scale; more decimals than the
        /// currency has is an error, never a rounding. Without a known currency
        /// the amount keeps the precision it was given (the missing or invalid
        /// currency is reported by the validator).
        mutating func scaleMoney(_ d: ExactDecimal, path: @autoclosure () -> String) -> ExactDecimal? {
            guard let code = currency, let units = Currency.minorUnits(code) else { return d }
            if let scaled = d.rescaled(exactlyTo: units) { return scaled }
            fail(path(), .tooManyDecimals, "\(d) has more decimals than \(code) allows (\(units))")
            return nil
        }

        mutating func date(_ s: String, path: @autoclosure () -> String) -> CalendarDate? {
            let text = s.trimmingSpaces()
            if let d = CalendarDate(iso: text) { return d }
            for pattern in options.datePatterns {
                if let d = pattern.parse(text) { return d }
            }
            // A full date-time given for a date field: its calendar day in UTC.
            if text.count > 10, let t = CanonicalDateTime(iso: text) { return t.date }
            let expected = (["YYYY-MM-DD"] + options.datePatterns.map(\.text)).joined(separator: " or ")
            if text.count == 10, text.utf8.filter({ $0 == UInt8(ascii: "-") }).count == 2 {
                fail(path(), .invalidDate, "\(Excerpt(text)) is not a date")
            } else {
                fail(path(), .invalidDate, "'\(Excerpt(text))' is not a date (expected \(expected))")
            }
            return nil
        }

        /// Obvious spellings of an enum value (`Credit Card`, `ACH`,
        /// `pending-approval`) become the canonical value, but only when exactly
        /// one value matches; anything else stays as given for the validator.
        func normalizeEnum(_ s: String, _ spec: FieldSpec) -> String {
            guard let values = spec.enumValues, !values.contains(s) else { return s }
            var key = ""
            for scalar in s.trimmingSpaces().lowercased().unicodeScalars {
                key.unicodeScalars.append(scalar == " " || scalar == "-" ? "_" : scalar)
            }
            let matches = values.filter { $0 == key }
            return matches.count == 1 ? matches[0] : s
        }
    }
}
