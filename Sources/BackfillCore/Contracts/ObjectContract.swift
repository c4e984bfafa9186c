/// The canonical contract of one object type: its fields, what is required,
/// and the derivation rules that depend on the type.
///
/// A class, immutable once made: every record looks its contract up several
/// times (normalizing, validating, compacting, for its query columns), and
/// copying a struct of this many arrays and dictionaries retained and
/// released each of them every time.
public final class ObjectContract: Sendable {
    /// `expense`, `vendor_bill`, …
    public let objectType: String
    /// The SQL view name (`expenses`) and the API collection path (`/v1/expenses`).
    public let collection: String
    public let apiPath: String
    /// Top-level fields, in catalog order.
    public let fields: [FieldSpec]
    public let fieldsByName: [String: FieldSpec]
    /// The type's own document date: `document_date` is derived from it when
    /// omitted (expense: `expense_date`, bill: `bill_date`, invoice: `issued_at`).
    public let documentDateSource: String?
    /// The document total: derived as the sum of line amounts when omitted.
    public let totalField: String?
    /// Provider-native id field documented as "stored as source_id".
    public let nativeIDField: String?
    /// Provider spellings of a field (`line_items` → `lines`).
    public let aliases: [String: String]
    /// Every field with a contract default, by name: merged into a payload in
    /// one pass rather than looked up field by field.
    public let defaults: Fields
    /// The money field a report totals per currency: the document total, or
    /// the amount of a type without one.
    public let headlineMoneyField: String?
    /// What a report shows of a new record so a reviewer can tell what it
    /// is without opening it: its date, its money and currency, and who or
    /// what it is about.
    public let keyFields: [String]
    /// What a store may leave out of this type's payloads (`StoredForm`).
    public let storedFormRules: [StoredForm.Rule]

    init(
        objectType: String, collection: String, apiPath: String, fields: [FieldSpec],
        documentDateSource: String?, totalField: String?, nativeIDField: String?, aliases: [String: String]
    ) {
        self.objectType = objectType
        self.collection = collection
        self.apiPath = apiPath
        self.fields = fields
        self.fieldsByName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.documentDateSource = documentDateSource
        self.totalField = totalField
        self.nativeIDField = nativeIDField
        self.aliases = aliases
        var defaults = Fields()
        for spec in fields { if let d = spec.defaultValue, defaults[spec.name] == nil { defaults[spec.name] = d } }
        self.defaults = defaults
        let byName = fieldsByName
        let money =
            [totalField, "total_amount", "amount"].compactMap { $0 }.first { byName[$0]?.type == .money }
            ?? fields.first { $0.type == .money }?.name
        headlineMoneyField = money
        let date =
            [documentDateSource, "document_date"].compactMap { $0 }.first { byName[$0] != nil }
            ?? fields.first { $0.type == .date }?.name
        let about = ["vendor_name", "customer_name", "counterparty_name", "name", "display_name", "description", "memo"]
            .first { byName[$0] != nil }
        keyFields = [date, money, byName["currency"] != nil ? "currency" : nil, about].compactMap { $0 }
        storedFormRules = StoredForm.rules(fieldsByName: byName, documentDateSource: documentDateSource, defaults: defaults)
    }

    /// The shape of this type's `lines`, if it has lines.
    public var lineShapeName: String? {
        if case .shapeArray(let shape)? = fieldsByName["lines"]?.type { return shape }
        return nil
    }
}
