/// What a person reads for any error: its own description, never the raw
/// Swift value, which names modules and fields a user cannot act on.
public enum ErrorText {
    public static func of(_ error: Error) -> String {
        if let described = (error as Any) as? CustomStringConvertible { return described.description }
        return "an unexpected failure inside backfill-sync (\(type(of: error))); please report it"
    }
}
