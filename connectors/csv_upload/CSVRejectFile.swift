import BackfillCore

/// Rejected CSV rows written back as a file the user fixes and imports
/// again: the text above the rows as it was read (preamble and header), the
/// rejected rows exactly as read, and at the end of the header and of each
/// row the columns that say what was wrong. Those columns start with
/// `backfill_error_`, which the importer leaves out, so the fixed file
/// imports with the same command and mapping as the original.
public enum CSVRejectFile {
    public static let errorColumns = ["line", "field", "code", "message"].map { CSVHeaderMapper.rejectColumnPrefix + $0 }

    /// One rejected record: its rows as read and every issue found in it.
    public struct Record {
        public let raw: String
        public let issues: [RecordIssue]
        public init(raw: String, issues: [RecordIssue]) {
            self.raw = raw
            self.issues = issues
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noHeader
        public var description: String {
            "these rejects do not come from a CSV file read by this version (no header was kept); use --format text or json"
        }
    }

    /// The file's text, in UTF-8 with the original delimiter and `\n` line ends.
    public static func render(inputHeader: String?, records: [Record]) throws(Failure) -> String {
        guard let inputHeader, case .object(let header)? = try? JSONParser.parse(inputHeader),
            let above = header["text"]?.stringValue, let delimiterText = header["delimiter"]?.stringValue,
            let delimiter = delimiterText.utf8.first, delimiterText.utf8.count == 1
        else { throw .noHeader }
        let separator = String(UnicodeScalar(delimiter))
        func cell(_ text: String) -> String {
            let needsQuotes = text.contains { $0 == "\"" || $0 == "\n" || $0 == "\r" || String($0) == separator }
            return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var out = above + separator + errorColumns.joined(separator: separator) + "\n"
        for record in records {
            let errors = [
                record.issues.compactMap { $0.origin.line.map(String.init) }.first ?? "",
                record.issues.map { $0.field ?? "" }.joined(separator: "; "),
                record.issues.map(\.code.rawValue).joined(separator: "; "),
                record.issues.map(\.message).joined(separator: "; "),
            ].map(cell).joined(separator: separator)
            // A document of several rows: each keeps its errors, so the rows
            // still share their source_id and read as one document again.
            for row in physicalRows(record.raw, delimiter: delimiter) {
                out += row + separator + errors + "\n"
            }
        }
        return out
    }

    /// The CSV records in `raw` (rows of one document joined by line breaks;
    /// a quoted field may hold a line break of its own).
    static func physicalRows(_ raw: String, delimiter: UInt8) -> [String] {
        var reader = CSVReader(input: InputFile(bytes: Array(raw.utf8), name: "raw"), delimiter: delimiter)
        var rows: [String] = []
        while let row = try? reader.next() { rows.append(row.text) }
        return rows.isEmpty ? [raw] : rows
    }
}
