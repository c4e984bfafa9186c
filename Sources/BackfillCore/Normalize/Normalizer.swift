/// Turns a raw record into the canonical shape of its contract.
///
/// One normalizer serves every connector and every object type: it reads the
/// contract as data. In order: resolve aliases and the identity, coerce each
/// field to its contract type (exact decimals, validated dates), derive what
/// the contract derives (document and effective dates, line numbers and keys,
/// line details, totals), then apply defaults. Problems become located issues;
/// nothing here throws.
public struct Normalizer: Sendable {
    public let catalog: ContractCatalog
    public let options: NormalizeOptions

    public init(catalog: ContractCatalog = .standard, options: NormalizeOptions = NormalizeOptions()) {
        self.catalog = catalog
        self.options = options
    }

    public func normalize(_ raw: RawRecord) -> NormalizedRecord {
        var record = NormalizedRecord(
            identity: nil, canonicalID: raw.canonicalID, payload: [:],
            origin: raw.origin, rawText: raw.rawText, issues: raw.issues)
        guard let contract = catalog.contract(for: raw.objectType) else {
            record.issues.append(
                RecordIssue(
                    origin: raw.origin, sourceID: raw.declaredSourceID, field: nil,
                    code: .unknownObjectType,
                    message: "'\(Excerpt(raw.objectType))' is not a canonical object type"))
            return record
        }
        var context = Context(
            origin: raw.origin, sourceID: raw.declaredSourceID, sourceSystem: raw.sourceSystem,
            options: options, catalog: catalog)

        var input = raw.fields
        for (alias, canonical) in contract.aliases where input[canonical] == nil {
            if let v = input.removeValue(forKey: alias) { input[canonical] = v }
        }
        // The provider-native id documented as "stored as source_id".
        if isAbsent(input["source_id"]), let native = contract.nativeIDField, let id = input[native], !isAbsent(id) {
            input["source_id"] = id
        }
        // Line keys derive from the source id, so it must be known before
        // any field (lines included) is normalized.
        switch input["source_id"] {
        case .string(let id)? where !id.trimmingSpaces().isEmpty: context.sourceID = id
        case .number(let id)?: context.sourceID = id
        default: break
        }
        input["source_system"] = .string(raw.sourceSystem)
        if let connection = raw.connectionID, !connection.isEmpty {
            input["connection_id"] = .string(connection)
        } else {
            input.removeValue(forKey: "connection_id")
        }

        // Currency first: money fields are scaled by it.
        let currency = normalizedCurrency(input["currency"])
        if let currency { input["currency"] = .string(currency) }
        context.currency = currency

        var unknown = raw.unmapped
        var payload = Fields(minimumCapacity: contract.fields.count)
        for (name, value) in input {
            guard let spec = contract.fieldsByName[name] else {
                unknown[name] = value
                continue
            }
            if name == "lines", case .shapeArray(let shapeName) = spec.type {
                if let lines = context.lines(value, shapeName: shapeName, lineOrigins: raw.lineOrigins) {
                    payload[name] = lines
                }
                continue
            }
            if let coerced = context.coerce(value, as: spec, path: name) {
                payload[name] = coerced
            }
        }
        context.sourceID = payload["source_id"]?.stringValue ?? context.sourceID

        derive(into: &payload, contract: contract, context: &context)

        if !unknown.isEmpty {
            context.keepUnknown(
                unknown, in: &payload, hasMetadata: contract.fieldsByName["metadata"] != nil,
                path: "")
        }
        payload.fillAbsent(from: contract.defaults)

        record.payload = payload
        record.issues += context.issues
        if let sourceID = payload["source_id"]?.stringValue, !sourceID.isEmpty {
            record.identity = RecordIdentity(
                objectType: contract.objectType, sourceSystem: raw.sourceSystem,
                connectionID: raw.connectionID ?? "", sourceID: sourceID)
        }
        return record
    }

    /// The identity `normalize` gives `raw` in the usual case, without
    /// normalizing it: what the fast path looks up. A wrong guess (a source
    /// id the contract would coerce) only misses, since a hit also needs the
    /// stored fingerprint, which covers everything the identity comes from.
    public func likelyIdentity(_ raw: RawRecord) -> RecordIdentity? {
        guard let contract = catalog.contract(for: raw.objectType) else { return nil }
        var id = raw.fields["source_id"]
        if id == nil, let alias = contract.aliases.first(where: { $0.value == "source_id" })?.key { id = raw.fields[alias] }
        if isAbsent(id), let native = contract.nativeIDField { id = raw.fields[native] }
        let text: String
        switch id {
        case .string(let s)?: text = s
        case .number(let n)?: text = n
        default: return nil
        }
        guard !text.isEmpty else { return nil }
        return RecordIdentity(
            objectType: contract.objectType, sourceSystem: raw.sourceSystem, connectionID: raw.connectionID ?? "", sourceID: text)
    }

    /// Contract derivations. Each rule names the seed sentence it rests on.
    private func derive(into payload: inout Fields, contract: ObjectContract, context: inout Context) {
        // Contract, document_date: "when omitted, … normalization derives it
        // from issued_at when possible"; each type derives from its own
        // document date (expense_date, bill_date, issued_at, …).
        if contract.fieldsByName["document_date"] != nil, payload["document_date"] == nil,
            let source = contract.documentDateSource, let value = payload[source]?.stringValue
        {
            payload["document_date"] = .string(String(value.prefix(10)))
        }
        // Contract, effective_date: "Defaults to document_date when omitted."
        if contract.fieldsByName["effective_date"] != nil, payload["effective_date"] == nil,
            let documentDate = payload["document_date"]
        {
            payload["effective_date"] = documentDate
        }
        // A document total omitted but lines given: the sum of the line amounts,
        // leaving out subtotal and description-only lines, which restate or
        // carry no amount. Exact, at the currency's scale.
        if let total = contract.totalField, payload[total] == nil,
            case .array(let lines)? = payload["lines"], !lines.isEmpty
        {
            var sum = ExactDecimal.zero
            var any = false
            do {
                for line in lines {
                    let type = line["line_type"]?.stringValue
                    if type == "subtotal" || type == "description_only" { continue }
                    if case .decimal(let amount)? = line["amount"] {
                        sum = try sum + amount
                        any = true
                    }
                }
                if any, let scaled = context.scaleMoney(sum, path: total) { payload[total] = .decimal(scaled) }
            } catch {
                context.fail(
                    total, .invalidDecimal,
                    "too large: the line amounts add up to more than the largest amount "
                        + "accepted (\(ExactDecimal.maxIntegerDigits) digits before the decimal point)")
            }
        }
    }

    private func isAbsent(_ value: Value?) -> Bool {
        switch value {
        case nil, .null?: return true
        case .string(let s)?: return s.trimmingSpaces().isEmpty
        default: return false
        }
    }

    private func normalizedCurrency(_ value: Value?) -> String? {
        guard case .string(let s)? = value else { return nil }
        let code = s.trimmingSpaces().uppercased()
        return code.isEmpty ? nil : code
    }
}
