/// What the views read straight from `records` instead of parsing the
/// payload: a record's currency and its headline money (the type's total or
/// amount), as the REAL that SQL compares and as exact minor units.
/// `select currency, sum(amount_minor) from expenses group by currency` over
/// a million rows then reads three columns, not a million JSON documents
/// (SQLite's json_extract costs about 4 µs a record here).
public struct QueryColumns: Sendable {
    public let currency: String?
    /// The headline money as its decimal text; SQLite casts it to REAL, so
    /// the tool itself never turns money into a floating-point number.
    public let moneyText: String?
    public let moneyMinor: Int?

    public static let none = QueryColumns(currency: nil, moneyText: nil, moneyMinor: nil)

    public init(currency: String?, moneyText: String?, moneyMinor: Int?) {
        self.currency = currency
        self.moneyText = moneyText
        self.moneyMinor = moneyMinor
    }

    public init(values: Fields?, contract: ObjectContract?) {
        guard let values, let contract else {
            self = .none
            return
        }
        let currency = values["currency"]?.stringValue
        var text: String?
        var minor: Int?
        if let field = contract.headlineMoneyField, case .decimal(let amount)? = values[field] {
            text = amount.description
            // Money is stored at its currency's scale; the minor units are its
            // significand there. Without a known currency there are none.
            if let code = currency, let units = Currency.minorUnits(code), let scaled = amount.rescaled(exactlyTo: units) {
                minor = Int(exactly: scaled.significand)
            }
        }
        self.init(currency: currency, moneyText: text, moneyMinor: minor)
    }
}
