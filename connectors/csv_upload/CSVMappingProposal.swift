import BackfillCore
import Foundation

/// `mapping init`: reads the start of an export and proposes the mapping
/// that imports it, with what it guessed and what it could not decide.
///
/// It decides only what the bytes show: the encoding (UTF-8 or
/// Windows-1252), the delimiter (the one giving most rows one consistent
/// width), the header (the first such row that is not numbers), date
/// patterns (one that reads every value, and the meaning two readings
/// disagree on is left to the user), the decimal style, amount columns and
/// their signs (a direction column, a debit/credit pair, CR markers), an id
/// column (unique on every row) or else the columns to derive one from,
/// pending rows. Business facts it cannot see (a required status, the
/// currency when nothing names it) are listed, never invented.
public struct CSVMappingProposal {
    public var mapping: [(String, Value)] = []
    public var guessed: [String] = []
    public var undecided: [String] = []

    /// How many rows are read to decide.
    static let sampleRows = 500

    static let directionPairs: [(out: [String], in: [String])] = [
        (["Af"], ["Bij"]), (["D", "DR", "Debit", "Debet"], ["C", "CR", "Credit"]), (["Out"], ["In"]), (["S"], ["H"]),
    ]
    static let debitWords = ["debit", "withdrawal", "withdrawals", "paidout", "moneyout", "out", "af", "soll", "charge", "charges"]
    static let creditWords = ["credit", "deposit", "deposits", "paidin", "moneyin", "in", "bij", "haben", "payment", "payments"]
    static let balanceWords = ["balance", "runningbalance", "saldo", "solde", "kontostand"]
    static let idWords = [
        "id", "transactionid", "reference", "ref", "referenceid", "referencenumber", "transactionreference",
        "transactionnumber", "confirmation", "confirmationnumber",
    ]
    static let datePatterns = [
        "YYYY-MM-DD", "MM/DD/YYYY", "DD/MM/YYYY", "M/D/YYYY", "D/M/YYYY", "DD.MM.YYYY", "D.M.YYYY", "DD-MM-YYYY",
        "DD.MM.YY", "MM/DD/YY", "DD/MM/YY", "DD-MMM-YYYY", "DD MMM YYYY", "D MMM YYYY", "MMM D, YYYY",
        "DD-MMM-YY", "YYYY/MM/DD", "YYYYMMDD",
    ].compactMap(DatePattern.init)

    public static func propose(
        file: String, contract: ObjectContract, limits: InputLimits = .standard
    ) throws(InputError) -> CSVMappingProposal {
        try propose(bytes: try head(of: file), file: file, contract: contract, limits: limits)
    }

    /// The same from the first bytes of an export (the fuzz target's way in).
    public static func propose(
        bytes: [UInt8], file: String, contract: ObjectContract,
        limits: InputLimits = .standard
    ) throws(InputError) -> CSVMappingProposal {
        var proposal = CSVMappingProposal()
        // Encoding.
        var encoding = TextEncoding.utf8
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw InputError(
                kind: .malformed, origin: Origin(file: file, line: 1), code: .invalidEncoding,
                message: "is UTF-16; convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)")
        }
        if String(validating: bytes, as: UTF8.self) == nil && !endsMidCharacter(bytes) {
            // Byte A4 is € in ISO-8859-15 and a rare ¤ in windows-1252, whose
            // own € is 0x80: A4 without any byte in 80–9F means Latin-9.
            if bytes.contains(0xA4) && !bytes.contains(where: { (0x80...0x9F).contains($0) }) {
                encoding = .iso885915
                proposal.guessed.append(
                    "encoding iso-8859-15: not UTF-8, and byte A4 (€ in ISO-8859-15) appears without windows-1252's 80–9F")
            } else {
                encoding = .windows1252
                proposal.guessed.append("encoding windows-1252: the file is not UTF-8")
            }
            proposal.mapping.append(("encoding", .string(encoding.rawValue)))
        }
        // Delimiter and header.
        var best: (delimiter: UInt8, rows: [CSVRow], width: Int, count: Int)?
        for delimiter in [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")] {
            var reader = CSVReader(input: InputFile(bytes: bytes, name: file), delimiter: delimiter, encoding: encoding, limits: limits)
            var rows: [CSVRow] = []
            while rows.count < sampleRows, let row = try? reader.next() { rows.append(row) }
            var widths: [Int: Int] = [:]
            for row in rows where row.fields.count > 1 { widths[row.fields.count, default: 0] += 1 }
            guard let (width, count) = widths.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }) else {
                continue
            }
            if best == nil || count > best!.count { best = (delimiter, rows, width, count) }
        }
        guard let best else {
            throw InputError(
                kind: .malformed, origin: Origin(file: file, line: 1), code: .malformedInput,
                message: "no delimiter (, ; tab |) splits its rows into columns")
        }
        if best.delimiter != UInt8(ascii: ",") {
            proposal.mapping.append(("delimiter", .string(String(UnicodeScalar(best.delimiter)))))
            proposal.guessed.append("delimiter '\(best.delimiter == 0x09 ? "tab" : String(UnicodeScalar(best.delimiter)))'")
        }
        func isValue(_ cell: String) -> Bool {
            let t = cell.trimmingCharacters(in: .whitespaces)
            return !t.isEmpty && (AmountFormat(autoDetect: true).parse(t) != nil || datePatterns.contains { $0.parse(t) != nil })
        }
        guard
            let headerIndex = best.rows.firstIndex(where: {
                ($0.fields.count == best.width || ($0.fields.count == best.width + 1 && $0.fields.last == ""))
                    && !$0.fields.contains(where: isValue)
            })
        else {
            throw InputError(
                kind: .malformed, origin: Origin(file: file, line: 1), code: .malformedInput,
                message: "no header row: every row of \(best.width) columns holds numbers or dates")
        }
        let preamble = best.rows[..<headerIndex]
        var headers = best.rows[headerIndex].fields
        while headers.count > 1, headers.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { headers.removeLast() }
        if headerIndex > 0 {
            proposal.mapping.append(("header_row", .string("auto")))
            proposal.guessed.append("\(headerIndex) preamble row(s) before the header on line \(best.rows[headerIndex].line)")
        }
        let data = best.rows[(headerIndex + 1)...].filter { $0.fields.count >= headers.count }
        try proposal.decideColumns(headers: headers, rows: Array(data), preamble: Array(preamble), contract: contract, file: file)
        return proposal
    }

    /// The first 1 MiB: enough rows to decide, never the whole file.
    static func head(of file: String) throws(InputError) -> [UInt8] {
        var input = try InputFile(path: file, kind: "a CSV file")
        var bytes: [UInt8] = []
        while bytes.count < 1 << 20, let byte = input.next() { bytes.append(byte) }
        return bytes
    }

    /// True when the only invalid UTF-8 is a character cut at the 1 MiB mark.
    static func endsMidCharacter(_ bytes: [UInt8]) -> Bool {
        for cut in 1...3 where bytes.count > cut {
            if String(validating: bytes.dropLast(cut), as: UTF8.self) != nil { return true }
        }
        return false
    }

    private mutating func decideColumns(
        headers raw: [String], rows: [CSVRow], preamble: [CSVRow], contract: ObjectContract,
        file: String
    ) throws(InputError) {
        // Each column as a mapping addresses it: the second `Name` is `Name#2`.
        var seen: [String: Int] = [:]
        let headers = raw.map { header -> String in
            let key = CSVHeaderMapper.matchKey(header)
            seen[key, default: 0] += 1
            return seen[key]! == 1 ? header : "\(header)#\(seen[key]!)"
        }
        let keys = raw.map(CSVHeaderMapper.matchKey)
        func values(_ i: Int) -> [String] {
            rows.map { i < $0.fields.count ? $0.fields[i].trimmingCharacters(in: .whitespaces) : "" }
        }
        func hasWord(_ key: String, _ words: [String]) -> Bool { words.contains { key == $0 || key.hasPrefix($0) || key.hasSuffix($0) } }
        var columns: [(String, String)] = []
        var ignore: [String] = []
        // A column without a name cannot be addressed: left out, and said.
        var used = Set(raw.indices.filter { raw[$0].trimmingCharacters(in: .whitespaces).isEmpty || keys[$0].isEmpty })
        if !used.isEmpty { guessed.append("\(used.count) column(s) without a header name are not imported") }

        // Pending rows: a status column with a pending value.
        var skipValues: [String] = []
        if let s = keys.firstIndex(where: { $0 == "status" || $0 == "state" }) {
            let pending = Set(values(s).filter { $0.lowercased() == "pending" })
            if !pending.isEmpty {
                skipValues = Array(pending).sorted()
                mapping.append(
                    ("skip_if", .array([.object(["column": .string(headers[s]), "equals": .array(skipValues.map(Value.string))])])))
                guessed.append("rows whose \(headers[s]) is \(skipValues.joined(separator: "/")) are skipped until they book")
            }
            ignore.append(headers[s])
            used.insert(s)
        }
        let kept = rows.filter { row in
            guard !skipValues.isEmpty, let s = keys.firstIndex(where: { $0 == "status" || $0 == "state" }), s < row.fields.count else {
                return true
            }
            return !skipValues.contains(row.fields[s].trimmingCharacters(in: .whitespaces))
        }
        func keptValues(_ i: Int) -> [String] {
            kept.map { i < $0.fields.count ? $0.fields[i].trimmingCharacters(in: .whitespaces) : "" }
        }

        // Dates: the first column every value of which one pattern reads.
        var dateColumns: [Int: DatePattern] = [:]
        var chosenPatterns: [DatePattern] = []
        for i in headers.indices where !used.contains(i) {
            let v = keptValues(i).filter { !$0.isEmpty }
            guard !v.isEmpty else { continue }
            let readers = Self.datePatterns.filter { p in v.allSatisfy { p.parse($0) != nil } }
            guard let first = readers.first else { continue }
            dateColumns[i] = first
            // Patterns that read the values differently (MM/DD or DD/MM when
            // no day passes 12): one of each reading is named.
            var readings: [[String]] = [v.map { first.parse($0)!.description }]
            var others: [DatePattern] = []
            for p in readers.dropFirst() {
                let reading = v.map { p.parse($0)!.description }
                if !readings.contains(reading) {
                    readings.append(reading)
                    others.append(p)
                }
            }
            if !others.isEmpty {
                undecided.append(
                    "\(headers[i]): dates read as \(first.text) or \(others.map(\.text).joined(separator: " or ")); "
                        + "\(first.text) was chosen, check date_formats")
            }
            if first.text != "YYYY-MM-DD", !chosenPatterns.contains(first) { chosenPatterns.append(first) }
        }
        let dateField = CSVHeaderMapper.expand("@date", contract: contract)
        let primaryDate =
            dateColumns.keys.sorted().first { hasWord(keys[$0], ["transactiondate", "date", "datum", "bookingdate", "buchungstag"]) }
            ?? dateColumns.keys.sorted().first
        for i in dateColumns.keys.sorted() {
            used.insert(i)
            if i == primaryDate, let dateField {
                columns.append((headers[i], dateField))
            } else {
                columns.append((headers[i], "metadata.\(Self.snake(headers[i]))"))
            }
        }
        if !chosenPatterns.isEmpty {
            mapping.append(("date_formats", .array(chosenPatterns.map { .string($0.text) })))
            guessed.append("dates as \(chosenPatterns.map(\.text).joined(separator: ", "))")
        }

        // Amounts: columns whose values are amounts with decimals.
        var amountColumns: [Int] = []
        var commaDecimal = false
        var dotDecimal = false
        var symbols = Set<Character>()
        var markers = false
        for i in headers.indices where !used.contains(i) {
            let v = keptValues(i).filter { !$0.isEmpty }
            guard !v.isEmpty else { continue }
            var decimals = 0
            var all = true
            for text in v {
                let upper = text.uppercased()
                let core = upper.hasSuffix("CR") || upper.hasSuffix("DR") ? String(text.dropLast(2)) : text
                guard AmountFormat(autoDetect: true).parseMarked(text).isSuccess || Self.isAmbiguousAmount(core) else {
                    all = false
                    break
                }
                let digits = core.filter { $0.isNumber || $0 == "," || $0 == "." }
                if let last = digits.lastIndex(where: { $0 == "," || $0 == "." }), digits.distance(from: last, to: digits.endIndex) == 3 {
                    decimals += 1
                }
            }
            guard all, decimals * 2 >= v.count else { continue }
            if hasWord(keys[i], Self.balanceWords) {
                ignore.append(headers[i])
                used.insert(i)
                continue
            }
            amountColumns.append(i)
            for text in v {
                symbols.formUnion(text.filter { "$£€¥₹".contains($0) })
                let upper = text.uppercased()
                if upper.hasSuffix("CR") || upper.hasSuffix("DR") { markers = true }
                let core = text.filter { $0.isNumber || $0 == "," || $0 == "." }
                if let last = core.lastIndex(where: { $0 == "," || $0 == "." }), core.distance(from: last, to: core.endIndex) == 3 {
                    if core[last] == "," { commaDecimal = true } else { dotDecimal = true }
                }
            }
        }
        if commaDecimal && dotDecimal {
            undecided.append(
                "amounts use both ',' and '.' before two decimals; amounts.style is set to auto, which rejects ambiguous values")
            mapping.append(("amounts", .object(["style": .string("auto")])))
        } else if commaDecimal {
            mapping.append(("amounts", .object(["decimal_separator": .string(","), "thousands_separator": .string(".")])))
            guessed.append("a decimal comma, '.' grouping")
        } else {
            mapping.append(("amounts", .object(["thousands_separator": .string(",")])))
        }
        for i in amountColumns { used.insert(i) }

        // Signs.
        let directionColumn = headers.indices.first { i in
            !used.contains(i) && !keptValues(i).filter({ !$0.isEmpty }).isEmpty
                && Self.directionPairs.contains { pair in
                    keptValues(i).filter { !$0.isEmpty }.allSatisfy { v in
                        (pair.out + pair.in).contains { $0.caseInsensitiveCompare(v) == .orderedSame }
                    }
                }
        }
        var amountRule: Value?
        var amountSources: [Int] = []
        if amountColumns.count >= 2,
            let d = amountColumns.first(where: { hasWord(keys[$0], Self.debitWords) }),
            let c = amountColumns.first(where: { $0 != d && hasWord(keys[$0], Self.creditWords) })
        {
            amountRule = .object(["debit": .string(headers[d]), "credit": .string(headers[c])])
            amountSources = [d, c]
            guessed.append("amounts from the pair \(headers[d]) (money out) / \(headers[c]) (money in)")
        } else if let a = amountColumns.first(where: { hasWord(keys[$0], ["amount", "bedrag", "betrag", "montant", "value", "sum"]) })
            ?? amountColumns.first
        {
            amountSources = [a]
            if let d = directionColumn {
                let present = Set(keptValues(d).filter { !$0.isEmpty }.map { $0.lowercased() })
                let pair = Self.directionPairs.first { pair in
                    present.allSatisfy { v in (pair.out + pair.in).contains { $0.lowercased() == v } }
                }!
                // A side the file never shows keeps the pair's usual spellings
                // (an empty list is no rule), and is named as undecided.
                let seenOut = pair.out.filter { present.contains($0.lowercased()) }
                let seenIn = pair.in.filter { present.contains($0.lowercased()) }
                let outs = seenOut.isEmpty ? pair.out : seenOut
                let ins = seenIn.isEmpty ? pair.in : seenIn
                let spelled = { (words: [String]) in words.map { w in keptValues(d).first { $0.lowercased() == w.lowercased() } ?? w } }
                amountRule = .object([
                    "column": .string(headers[a]),
                    "direction": .object([
                        "column": .string(headers[d]), "out": .array(spelled(outs).map(Value.string)),
                        "in": .array(spelled(ins).map(Value.string)),
                    ]),
                ])
                amountSources.append(d)
                used.insert(d)
                guessed.append(
                    "the sign from \(headers[d]): \(spelled(outs).joined(separator: "/")) is money out, \(spelled(ins).joined(separator: "/")) money in"
                )
                if seenOut.isEmpty || seenIn.isEmpty {
                    undecided.append("\(headers[d]) shows only one direction in this file; check amount.direction")
                }
            } else if markers {
                amountRule = .object(["column": .string(headers[a]), "negative_is": .string("in")])
                guessed.append("\(headers[a]) is card style: charges positive, CR is money in")
            } else if keptValues(a).contains(where: { $0.hasPrefix("-") || $0.hasSuffix("-") || $0.hasPrefix("(") }) {
                amountRule = .object(["column": .string(headers[a]), "negative_is": .string("out")])
                undecided.append(
                    "\(headers[a]) has negative values: a minus was taken as money out (a bank statement); "
                        + "for a card statement set amount.negative_is to \"in\"")
            } else {
                amountRule = .object(["column": .string(headers[a])])
                undecided.append(
                    "\(headers[a]) has no negative values and no CR/DR: the amounts are kept as the \(contract.objectType) sign")
            }
        } else {
            undecided.append("no column holds amounts with decimals: map one to \(contract.totalField ?? "amount")")
        }
        if let amountRule { mapping.append(("amount", amountRule)) }

        // Currency.
        var currency: String?
        for h in headers {
            for token in h.uppercased().split(whereSeparator: { !$0.isLetter })
            where token.count == 3 && Currency.minorUnits(String(token)) != nil {
                currency = String(token)
            }
        }
        if currency == nil, symbols.count == 1, let symbol = symbols.first {
            currency = ["£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR"][symbol]
            if symbol == "$" {
                currency = "USD"
                undecided.append("currency: '$' was read as USD; change constants.currency for CAD, AUD or another dollar")
            }
        }
        let currencyColumn = keys.firstIndex { $0 == "currency" || $0 == "ccy" }
        var constants: [(String, Value)] = []
        if currencyColumn == nil {
            if let currency {
                constants.append(("currency", .string(currency)))
                guessed.append("currency \(currency)")
            } else if contract.fieldsByName["currency"] != nil {
                undecided.append("currency: nothing in the file names it; set constants.currency")
            }
        }
        // An account number in the preamble (an IBAN) for a bank transaction.
        if contract.fieldsByName["bank_account_id"] != nil {
            let iban = preamble.flatMap(\.fields).map { $0.replacingOccurrences(of: " ", with: "") }.first { cell in
                cell.count >= 15 && cell.count <= 34 && cell.prefix(2).allSatisfy({ $0.isASCII && $0.isUppercase })
                    && cell.dropFirst(2).prefix(2).allSatisfy({ $0.isASCII && $0.isNumber })
                    && cell.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            }
            if let iban {
                constants.append(("bank_account_id", .string(iban)))
                guessed.append("bank_account_id \(iban), from the preamble")
            }
        }

        // Ids.
        let idColumn = headers.indices.first { i in
            !used.contains(i) && hasWord(keys[i], Self.idWords)
                && {
                    let v = keptValues(i)
                    return !v.contains("") && Set(v).count == v.count
                }()
        }
        if let idColumn {
            columns.append((headers[idColumn], "source_id"))
            used.insert(idColumn)
            guessed.append("\(headers[idColumn]) is the row id (unique on every row)")
        }

        // Text: the payee and the description.
        let textColumns = headers.indices.filter { i in !used.contains(i) && keptValues(i).contains { !$0.isEmpty } }
        let payee = textColumns.first {
            hasWord(keys[$0], ["payee", "vendor", "merchant", "name", "naam", "beneficiary", "counterparty", "empfanger", "empfänger"])
        }
        if let payee, let field = CSVHeaderMapper.expand("@vendor", contract: contract) {
            columns.append((headers[payee], field))
            used.insert(payee)
        }
        let descriptionWords = [
            "description", "omschrijving", "details", "memo", "narrative", "mededelingen", "verwendungszweck", "libelle", "libellé",
        ]
        let free = textColumns.filter { !used.contains($0) }
        let named = free.first { hasWord(keys[$0], descriptionWords) }
        func length(_ i: Int) -> Int { keptValues(i).reduce(0) { $0 + $1.count } }
        let longest = free.max { length($0) < length($1) }
        if contract.fieldsByName["description"] != nil, let d = named ?? longest {
            columns.append((headers[d], "description"))
            used.insert(d)
        }
        // Every other column is kept under metadata, under a name of its own
        // (never as a second source for a field already fed).
        for i in headers.indices where !used.contains(i) && !ignore.contains(headers[i]) {
            columns.append((headers[i], "metadata.\(Self.snake(headers[i]))"))
        }
        if idColumn == nil {
            var derive =
                ([primaryDate].compactMap { $0 } + amountSources + [payee].compactMap { $0 }
                    + headers.indices.filter { i in columns.contains { $0.0 == headers[i] && $0.1 == "description" } })
            // Nothing recognized (found by the fuzzer: an empty list the
            // mapping parser refuses): the whole row, less what is ignored.
            if derive.isEmpty { derive = headers.indices.filter { !ignore.contains(headers[$0]) && !keys[$0].isEmpty } }
            if derive.isEmpty {
                undecided.append("source_id: no column can identify a row; map one to source_id")
            } else {
                mapping.append(("source_id", .object(["derive": .array(derive.map { .string(headers[$0]) })])))
            }
            guessed.append(
                "no id column: ids derived from \(derive.map { headers[$0] }.joined(separator: ", ")) "
                    + "(identical rows get occurrence numbers)")
        }

        // Required fields nothing feeds: named, not invented.
        let fed = Set(
            columns.map { $0.1.split(separator: ".").first.map(String.init) ?? $0.1 } + constants.map(\.0)
                + (amountRule != nil ? [contract.totalField ?? "amount"] : []) + (currencyColumn != nil ? ["currency"] : []))
        let identity: Set = ["source_system", "connection_id", "source_id"]  // set by the connector and --connection
        let alreadyNamed = Set(undecided.compactMap { $0.split(separator: ":").first.map(String.init) })
        for field in contract.fields
        where field.required && !fed.contains(field.name) && !identity.contains(field.name) && !alreadyNamed.contains(field.name) {
            undecided.append(
                "\(field.name): required by \(contract.objectType), not in the file; set constants.\(field.name) or defaults.\(field.name)")
        }
        var columnFields = Fields()
        for (header, field) in columns { columnFields[header] = .string(field) }
        mapping.insert(("columns", .object(columnFields)), at: min(mapping.count, 2))
        if !ignore.isEmpty { mapping.append(("ignore_columns", .array(ignore.map(Value.string)))) }
        var constantFields = Fields()
        for (key, value) in constants { constantFields[key] = value }
        if !constants.isEmpty { mapping.append(("constants", .object(constantFields))) }
    }

    /// `1,234` read alone: an amount, only its separator unknown.
    static func isAmbiguousAmount(_ text: String) -> Bool {
        if case .failure(.ambiguous) = AmountFormat(autoDetect: true).parseMarked(text) { return true }
        return false
    }

    static func snake(_ header: String) -> String {
        var out = ""
        for scalar in header.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) { out.unicodeScalars.append(scalar) } else if !out.hasSuffix("_") { out += "_" }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        return trimmed.isEmpty ? "column" : trimmed
    }

    /// The mapping file: keys in reading order, notes in `$comment`.
    public func json(source: String) -> String {
        var notes = "Proposed by backfill-sync mapping init from \(source)."
        if !guessed.isEmpty { notes += " Guessed: " + guessed.joined(separator: "; ") + "." }
        if !undecided.isEmpty { notes += " Could not decide: " + undecided.joined(separator: "; ") + "." }
        var lines = ["  \"$comment\": " + CanonicalJSON.string(.string(notes))]
        for (key, value) in mapping { lines.append("  " + CanonicalJSON.string(.string(key)) + ": " + CanonicalJSON.string(value)) }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}
