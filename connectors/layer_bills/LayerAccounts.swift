import BackfillCore

/// Layer's account identifiers and tags, in canonical terms.
enum LayerAccounts {
    /// The account an identifier names: `AccountId` → an id, `StableName` →
    /// a code, `Single_Chart_Account` → its nested id and its account number
    /// (or stable name) as the code.
    static func resolve(_ node: JSONNode?) -> (id: String?, code: String?) {
        guard let o = node, o.isObject else { return (nil, nil) }
        switch o["type"]?.string {
        case "AccountId"?:
            return (o["id"]?.string, nil)
        case "StableName"?:
            return (nil, o["stable_name"]?.string)
        case "Single_Chart_Account"?:
            let nested = resolve(o["id"])
            let stable: String? = {
                if let s = o["stable_name"], s.isObject { return s["stable_name"]?.string }
                return o["stable_name"]?.string
            }()
            return (nested.id, o["account_number"]?.string ?? stable)
        default:
            return (o["id"]?.string, nil)
        }
    }

    /// `tags` / `transaction_tags` → dimensions (key → value), and the
    /// display names, which have no canonical home, for metadata.
    static func dimensions(_ tags: [JSONNode]) -> (dimensions: Fields, displayNames: Fields) {
        var dimensions: Fields = [:]
        var names: Fields = [:]
        for tag in tags {
            guard let key = tag["key"]?.string else { continue }
            dimensions[key] = tag["value"]?.value ?? .null
            var display: Fields = [:]
            for field in ["dimension_display_name", "value_display_name"] {
                if let v = tag[field], !v.isNull { display[field] = v.value }
            }
            if !display.isEmpty { names[key] = .object(display) }
        }
        return (dimensions, names)
    }
}

/// Layer `bill_terms` and the days each allows from receipt.
enum LayerBillTerms: String, CaseIterable {
    case dueOnReceipt = "DUE_ON_RECEIPT"
    case net10 = "NET_10"
    case net15 = "NET_15"
    case net30 = "NET_30"
    case net60 = "NET_60"

    var days: Int {
        switch self {
        case .dueOnReceipt: return 0
        case .net10: return 10
        case .net15: return 15
        case .net30: return 30
        case .net60: return 60
        }
    }
}
