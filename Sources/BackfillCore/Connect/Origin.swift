/// Where a record or a problem came from: a file and physical line, or a
/// JSON path (and, for API pulls, the URL and page). Errors are born located.
public struct Origin: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// One-based physical line, as an editor shows it.
    public var line: Int?
    /// `$[3].line_items[1].unit_price` for JSON inputs.
    public var jsonPath: String?

    public init(file: String, line: Int? = nil, jsonPath: String? = nil) {
        self.file = file
        self.line = line
        self.jsonPath = jsonPath
    }

    /// `bank.csv:7`, `bills.json:$[2].due_at`: the prefix of a diagnostic.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let jsonPath { text += (line == nil ? ":" : " ") + jsonPath }
        return text
    }
}
