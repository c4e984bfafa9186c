/// Numbers for (object type, source system, connection), each asked for
/// once: the last one is kept apart, since consecutive records nearly always
/// share it, and the rest by key.
public struct ScopeNumbers {
    private var byKey: [String: Int] = [:]
    public init() {}

    private var last: (objectType: String, sourceSystem: String, connectionID: String, number: Int)?

    public var count: Int { byKey.count }

    /// The number of `identity`'s scope; `assign` finds or makes one when
    /// none is known (nil: there is none, and nothing is remembered).
    public mutating func number(for identity: RecordIdentity, assign: () throws -> Int?) rethrows -> Int? {
        if let last, last.objectType == identity.objectType, last.sourceSystem == identity.sourceSystem,
            last.connectionID == identity.connectionID
        {
            return last.number
        }
        let key = "\(identity.objectType)\u{1F}\(identity.sourceSystem)\u{1F}\(identity.connectionID)"
        guard let number = try byKey[key] ?? assign() else { return nil }
        byKey[key] = number
        last = (identity.objectType, identity.sourceSystem, identity.connectionID, number)
        return number
    }
}
