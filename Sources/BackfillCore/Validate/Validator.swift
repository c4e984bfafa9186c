/// Checks a normalized record against its contract: required fields (also
/// inside lines, details and tax details), closed enums, ISO 4217 currencies.
///
/// Type errors were already found while coercing; what is left here is what
/// can only be judged on the whole record.
public struct Validator: Sendable {
    public let catalog: ContractCatalog

    public init(catalog: ContractCatalog = .standard) {
        self.catalog = catalog
    }

    public func validate(_ record: inout NormalizedRecord, objectType: String) {
        guard let contract = catalog.contract(for: objectType) else { return }
        var issues: [RecordIssue] = []
        let sourceID = record.sourceID
        func fail(_ path: String, _ code: IssueCode, _ message: String) {
            // Coercion already reported a bad value at this path; a second
            // "missing" issue for it would only be noise.
            if record.issues.contains(where: { $0.field == path || $0.covers == path }) { return }
            var at = record.origin
            if at.jsonPath != nil { at.jsonPath = (at.jsonPath ?? "$") + "." + path }
            issues.append(RecordIssue(origin: at, sourceID: sourceID, field: path, code: code, message: message))
        }

        func check(_ object: Fields, fields: [FieldSpec], path: String) {
            for spec in fields where spec.needsValidation {
                // Built only when needed: most fields pass, and a path per
                // field per line was a measurable share of validating.
                var fieldPath: String { path.isEmpty ? spec.name : path + "." + spec.name }
                guard let value = object[spec.name], !value.isNull else {
                    if spec.required { fail(fieldPath, .missingRequired, "is required") }
                    continue
                }
                if let allowed = spec.enumValues, case .string(let s) = value, !allowed.contains(s) {
                    fail(fieldPath, .invalidEnum, "'\(Excerpt(s))' is not one of \(allowed.joined(separator: ", "))")
                }
                if spec.name == "currency", case .string(let code) = value, Currency.minorUnits(code) == nil {
                    fail(fieldPath, .invalidCurrency, "'\(Excerpt(code))' is not an ISO 4217 currency code")
                }
                switch spec.type {
                case .shape(let name):
                    if let shape = catalog.shape(name), let nested = value.objectValue {
                        check(nested, fields: shape.fields, path: fieldPath)
                    }
                case .shapeArray(let name):
                    if let shape = catalog.shape(name), let items = value.arrayValue {
                        let arrayPath = fieldPath
                        for (i, item) in items.enumerated() {
                            if let nested = item.objectValue { check(nested, fields: shape.fields, path: "\(arrayPath)[\(i)]") }
                        }
                    }
                default: break
                }
            }
        }
        check(record.payload, fields: contract.fields, path: "")
        record.issues += issues
    }
}
