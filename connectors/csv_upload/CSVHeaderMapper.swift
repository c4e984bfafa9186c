import BackfillCore
import Foundation

/// Decides which canonical field each CSV column feeds.
///
/// In order: the mapping file's `columns`; a header that already is a
/// canonical field (`expense_date`, `Expense Date`, `lines.amount`,
/// `dimensions.department`); the built-in aliases for common bank and expense
/// exports. Anything else is kept under `metadata.csv_upload.<header>`.
public struct CSVHeaderMapper {
    /// Columns that say why a row was rejected, added by `rejects --format
    /// csv` and left out when the fixed file is imported again.
    public static let rejectColumnPrefix = "backfill_error_"
    /// What one column feeds.
    public enum Target: Hashable, Sendable {
        /// A field path: `["amount"]`, `["dimensions", "department"]`.
        case document([String])
        /// A field of each line: `["amount"]`, `["detail", "item_id"]`.
        case line([String])
        /// Not a contract field: kept in metadata under its header.
        case unmapped(String)
        case ignored
    }

    /// Header spellings compare without case, spaces, `_` or `-`.
    public static func matchKey(_ header: String) -> String {
        String(header.lowercased().unicodeScalars.filter { $0 != " " && $0 != "_" && $0 != "-" && $0 != "\t" })
    }

    /// Built-in aliases. `@date` and `@total` stand for the type's own document
    /// date and total field (expense: expense_date, amount; vendor_bill:
    /// bill_date, total_amount).
    static let aliases: [String: String] = [
        "date": "@date", "transactiondate": "@date", "posteddate": "@date", "postingdate": "@date",
        "amount": "@total", "total": "@total",
        "payee": "@vendor", "vendor": "@vendor", "merchant": "@vendor", "vendorname": "@vendor", "supplier": "@vendor",
        "description": "description", "memo": "memo", "notes": "memo", "note": "memo",
        "category": "category",
        "id": "source_id", "transactionid": "source_id", "externalid": "source_id", "sourceid": "source_id",
        "currency": "currency", "ccy": "currency",
    ]

    public let targets: [Target]
    public let hasLineColumns: Bool

    /// How each column is addressed: its match key, and `key#n` for the
    /// n-th column of one name (n ≥ 2), so a mapping can tell them apart.
    public static func addresses(_ headers: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return headers.map { header in
            let key = matchKey(header)
            seen[key, default: 0] += 1
            return seen[key]! == 1 ? key : "\(key)#\(seen[key]!)"
        }
    }

    public init(
        headers: [String], contract: ObjectContract, mapping: CSVMapping, catalog: ContractCatalog = .standard,
        consumed: Set<String> = []
    ) {
        let lineShape = contract.lineShapeName
        let addresses = Self.addresses(headers)
        func resolve(_ index: Int) -> Target {
            let header = headers[index]
            let address = addresses[index]
            let key = Self.matchKey(header)
            if address != key {
                // A second column of one name: what the mapping says of `Name#2`;
                // else it resolves like the first, so two feeding one field is
                // the usual error (whose advice names `Name#2`), and two kept as
                // metadata get distinct keys.
                if mapping.ignoreColumns.contains(address) || consumed.contains(address) { return .ignored }
                if let name = mapping.columns[address] { return target(name, header: header) }
                if case .unmapped = primary(header, key: key) { return .unmapped(header + "#" + address.split(separator: "#").last!) }
                return primary(header, key: key)
            }
            return primary(header, key: key)
        }
        func primary(_ header: String, key: String) -> Target {
            if mapping.ignoreColumns.contains(key) || consumed.contains(key) { return .ignored }
            // The columns `rejects --format csv` adds: the file comes back fixed.
            if header.hasPrefix(Self.rejectColumnPrefix) { return .ignored }
            var name: String? = mapping.columns[key]
            if name == nil {
                if let field = contract.fields.first(where: { Self.matchKey($0.name) == key }) {
                    name = field.name
                } else if header.contains(".") {
                    name = Self.dottedPath(header, contract: contract, catalog: catalog)
                } else if let alias = Self.aliases[key] {
                    name = Self.expand(alias, contract: contract)
                }
            }
            guard let name, !name.isEmpty else { return .unmapped(header) }
            return target(name, header: header)
        }
        func target(_ name: String, header: String) -> Target {
            let parts = name.split(separator: ".").map(String.init)
            guard let first = parts.first else { return .unmapped(header) }  // "." names nothing
            if parts.count > 1, first == "lines" || first == "line_items", lineShape != nil {
                return .line(Array(parts.dropFirst()))
            }
            if contract.fieldsByName[first] != nil { return .document(parts) }
            return .unmapped(header)
        }
        let targets = headers.indices.map(resolve)
        self.targets = targets
        self.hasLineColumns = targets.contains { if case .line = $0 { return true } else { return false } }
    }

    /// A dotted header addresses a nested field: `Lines.Unit Amount` →
    /// `lines.unit_amount`, `dimensions.Department` → `dimensions.Department`.
    /// Contract and line field names match like any header; keys inside a
    /// free-form map (dimensions, metadata) are kept as written.
    static func dottedPath(_ header: String, contract: ObjectContract, catalog: ContractCatalog) -> String {
        let parts = header.split(separator: ".").map { String($0).trimmingCharacters(in: .whitespaces) }
        // "." or "..": no name at all (found by the fuzzer; it trapped here).
        guard !parts.isEmpty else { return header }
        func match(_ part: String, in names: [String]) -> String {
            names.first { matchKey($0) == matchKey(part) } ?? part
        }
        var head = match(parts[0], in: contract.fields.map(\.name) + ["line_items"])
        if head == "line_items" { head = "lines" }
        var out = [head]
        if head == "lines", parts.count > 1, let shapeName = contract.lineShapeName, let shape = catalog.shape(shapeName) {
            let detailNames = catalog.shape("detail")?.fields.map(\.name) ?? []
            out.append(match(parts[1], in: shape.fields.map(\.name) + detailNames))
            out += parts.dropFirst(2)
        } else {
            out += parts.dropFirst()
        }
        return out.joined(separator: ".")
    }

    static func expand(_ alias: String, contract: ObjectContract) -> String? {
        switch alias {
        case "@date":
            // A bank transaction has no document date: its date is when it posted.
            return contract.documentDateSource
                ?? (contract.fieldsByName["document_date"] != nil
                    ? "document_date"
                    : contract.fieldsByName["posted_at"] != nil ? "posted_at" : nil)
        case "@total":
            return contract.totalField ?? (contract.fieldsByName["amount"] != nil ? "amount" : nil)
        case "@vendor":
            if contract.fieldsByName["vendor_name"] != nil { return "vendor_name" }
            if contract.fieldsByName["merchant_name"] != nil { return "merchant_name" }
            return contract.fieldsByName["vendor_id"] != nil ? "vendor_id" : nil
        default:
            return contract.fieldsByName[alias] != nil ? alias : nil
        }
    }
}
