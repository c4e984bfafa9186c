import BackfillCore
import Foundation

/// What a mapping says about rows beyond renaming columns: which rows are not
/// records, how the amount and its sign are read, and how a row without an
/// id gets one. Compiled once per file against its header, so every rule
/// names a column that exists (or the file fails with one clear error).
///
/// Columns are addressed by header, matched like any header (case, spaces,
/// `_`, `-` ignored); the second of two columns with one name is `Name#2`.
public struct CSVRowRules: Sendable {
    /// `skip_if`: rows that are not records (sub-headings, totals) or that
    /// the user does not want (pending rows).
    public struct SkipRule: Sendable {
        public var column: String
        public var equals: [String] = []
        public var prefix: String?
        public var empty = false

        func matches(_ cell: String) -> Bool {
            let value = cell.trimmingCharacters(in: .whitespaces)
            if empty && value.isEmpty { return true }
            if equals.contains(where: { $0.caseInsensitiveCompare(value) == .orderedSame }) { return true }
            if let prefix, value.lowercased().hasPrefix(prefix.lowercased()) { return true }
            return false
        }
    }

    /// `amount`: where the amount and its direction come from.
    public enum AmountRule: Sendable {
        /// One column. `negativeIsOut` says what a minus means (nil: the
        /// values already follow the type's convention and are kept); a
        /// `CR`/`DR` after a value is a direction, whatever the sign.
        case signed(column: String, negativeIsOut: Bool?)
        /// One unsigned column plus a direction column with the values that
        /// mean money out and money in. Any other value is a reject.
        case direction(column: String, directionColumn: String, out: [String], in: [String])
        /// A debit (out) and a credit (in) column: exactly one is filled.
        case debitCredit(debit: String, credit: String)

        var columns: [String] {
            switch self {
            case .signed(let c, _): return [c]
            case .direction(let c, let d, _, _): return [c, d]
            case .debitCredit(let d, let c): return [d, c]
            }
        }
    }

    public var skipIf: [SkipRule] = []
    public var amount: AmountRule?
    /// `source_id: {"derive": [...]}`: the columns a row's id is derived from.
    public var deriveSourceID: [String] = []
    /// `datetime`: a date-time field read from separate date, time and zone
    /// columns, joined with spaces before the normalizer reads them.
    public var combineDateTime: (field: String, columns: [String])?

    public init() {}

    /// Every column the rules read.
    var columns: [String] { skipIf.map(\.column) + (amount?.columns ?? []) + deriveSourceID + (combineDateTime?.columns ?? []) }

    /// Columns only the rules read: not also mapped to a field of their own.
    var consumed: [String] { (amount?.columns ?? []) + (combineDateTime?.columns ?? []) }
}

extension ObjectContract {
    /// The sign money leaving the account holder has on this type's amounts.
    ///
    /// The contracts give amounts without saying which way they go, so this
    /// is our choice, written down (README, "Signs"): an expense, a bill, a
    /// bill payment and a purchase order count what is spent, so money out
    /// is positive and a refund is negative. Every other type counts from
    /// the account's side: a bank transaction, a deposit, an invoice or a
    /// payment received is positive when money comes in, so money out is
    /// negative, as on a bank statement.
    public var moneyOutSign: Int {
        ["expense", "vendor_bill", "bill_payment", "purchase_order"].contains(objectType) ? 1 : -1
    }
}

extension CSVRecordStream {
    /// Why the amount rule refused a row.
    struct AmountProblem: Error {
        let code: IssueCode
        let message: String
    }

    /// `CSVRowRules` bound to one file's column positions.
    struct CompiledRules {
        enum Amount {
            case signed(Int, negativeIsOut: Bool?)
            case direction(Int, Int, out: [String], in: [String])
            case debitCredit(Int, Int)
        }

        var skip: [(index: Int, rule: CSVRowRules.SkipRule)] = []
        var amount: Amount?
        var derive: [Int] = []
        var combine: (field: String, columns: [Int])?
        var headers: [String] = []
        /// How the rule reads amounts: the mapping's format, or per-value
        /// detection (which refuses the ambiguous) when the mapping sets none.
        var format = AmountFormat(autoDetect: true)

        init() {}

        init(_ rules: CSVRowRules, headers: [String], format: AmountFormat, index: (String) throws(InputError) -> Int) throws(InputError) {
            self.headers = headers
            self.format = format == .plain ? AmountFormat(autoDetect: true) : format
            for rule in rules.skipIf { skip.append((try index(rule.column), rule)) }
            switch rules.amount {
            case .signed(let column, let negativeIsOut)?: amount = .signed(try index(column), negativeIsOut: negativeIsOut)
            case .direction(let column, let directionColumn, let out, let into)?:
                amount = .direction(try index(column), try index(directionColumn), out: out, in: into)
            case .debitCredit(let debit, let credit)?: amount = .debitCredit(try index(debit), try index(credit))
            case nil: break
            }
            for column in rules.deriveSourceID { derive.append(try index(column)) }
            if let (field, columns) = rules.combineDateTime {
                var indexes: [Int] = []
                for column in columns { indexes.append(try index(column)) }
                combine = (field, indexes)
            }
        }

        /// `2026-03-02 17:41 Europe/Amsterdam` from its three columns.
        func combined(_ fields: [String]) -> String? {
            guard let combine else { return nil }
            return combine.columns.map { cell(fields, $0) }.filter { !$0.isEmpty }.joined(separator: " ")
        }

        func skips(_ fields: [String]) -> Bool {
            skip.contains { $0.index < fields.count && $0.rule.matches(fields[$0.index]) }
        }

        private func cell(_ fields: [String], _ i: Int) -> String {
            i < fields.count ? fields[i].trimmingCharacters(in: .whitespaces) : ""
        }

        private func read(_ fields: [String], _ i: Int) -> Result<(ExactDecimal, AmountFormat.Marker?), AmountProblem> {
            let text = cell(fields, i)
            return format.parseMarked(text).mapError { why in
                AmountProblem(
                    code: .invalidDecimal,
                    message: "'\(Excerpt(text))' in column '\(Excerpt(headers[i]))' \(why == .notANumber ? "is not an amount" : why.reason)"
                )
            }
        }

        /// The row's amount with the sign its record type uses: money out is
        /// `moneyOutSign` (+1 for an expense, -1 for a bank transaction).
        func signedAmount(_ rule: Amount, _ fields: [String], moneyOutSign: Int) -> Result<ExactDecimal, AmountProblem> {
            func signed(_ v: ExactDecimal, out: Bool) -> ExactDecimal {
                let magnitude = v.isNegative ? v.negated : v
                return (out ? moneyOutSign : -moneyOutSign) > 0 ? magnitude : magnitude.negated
            }
            switch rule {
            case .signed(let i, let negativeIsOut):
                guard !cell(fields, i).isEmpty else {
                    return .failure(AmountProblem(code: .missingRequired, message: "column '\(Excerpt(headers[i]))' is empty"))
                }
                return read(fields, i).map { value, marker in
                    if let marker { return signed(value, out: marker == .debit) }
                    guard let negativeIsOut else { return value }
                    return signed(value, out: value.isNegative ? negativeIsOut : !negativeIsOut)
                }
            case .direction(let i, let d, let out, let into):
                let direction = cell(fields, d)
                let isOut: Bool
                if out.contains(where: { $0.caseInsensitiveCompare(direction) == .orderedSame }) {
                    isOut = true
                } else if into.contains(where: { $0.caseInsensitiveCompare(direction) == .orderedSame }) {
                    isOut = false
                } else {
                    return .failure(
                        AmountProblem(
                            code: .invalidValue,
                            message: "direction '\(Excerpt(direction))' in column '\(Excerpt(headers[d]))' "
                                + "is neither money out (\(out.joined(separator: ", "))) nor money in (\(into.joined(separator: ", "))); not guessed"
                        ))
                }
                switch read(fields, i) {
                case .failure(let problem): return .failure(problem)
                case .success((let value, let marker)):
                    guard !value.isNegative, marker == nil else {
                        return .failure(
                            AmountProblem(
                                code: .invalidValue,
                                message: "'\(Excerpt(cell(fields, i)))' in column '\(Excerpt(headers[i]))' "
                                    + "has a sign of its own and a direction in '\(Excerpt(headers[d]))'; which one holds is not guessed"))
                    }
                    return .success(signed(value, out: isOut))
                }
            case .debitCredit(let debit, let credit):
                func filled(_ i: Int) -> Result<ExactDecimal?, AmountProblem> {
                    guard !cell(fields, i).isEmpty else { return .success(nil) }
                    return read(fields, i).map { value, _ in value.isZero ? nil : value }
                }
                let d: ExactDecimal?
                let c: ExactDecimal?
                switch (filled(debit), filled(credit)) {
                case (.failure(let p), _), (_, .failure(let p)): return .failure(p)
                case (.success(let x), .success(let y)): (d, c) = (x, y)
                }
                switch (d, c) {
                case (let d?, nil): return .success(signed(d, out: true))
                case (nil, let c?): return .success(signed(c, out: false))
                case (nil, nil):
                    if !cell(fields, debit).isEmpty || !cell(fields, credit).isEmpty { return .success(.zero) }
                    return .failure(
                        AmountProblem(
                            code: .missingRequired,
                            message: "neither '\(Excerpt(headers[debit]))' nor '\(Excerpt(headers[credit]))' has an amount"))
                case (let d?, let c?):
                    return .failure(
                        AmountProblem(
                            code: .invalidValue,
                            message: "both '\(Excerpt(headers[debit]))' (\(d)) and "
                                + "'\(Excerpt(headers[credit]))' (\(c)) are filled; exactly one of debit and credit must be"))
                }
            }
        }

        /// The key a derived id is made of: the named cells, spaces collapsed,
        /// amounts and dates in canonical form when they parse (so a later
        /// export that spells them alike gives the same id), hashed.
        func derivedKey(_ fields: [String], options: NormalizeOptions) -> String {
            var parts: [String] = []
            for i in derive {
                let text = cell(fields, i).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
                if let date = options.datePatterns.lazy.compactMap({ $0.parse(text) }).first ?? CalendarDate(iso: text) {
                    parts.append(date.description)
                } else if case .success((let value, let marker)) = format.parseMarked(text) {
                    parts.append(value.description + (marker == .credit ? "CR" : marker == .debit ? "DR" : ""))
                } else {
                    parts.append(text)
                }
            }
            return SHA256.hex(Array(parts.joined(separator: "\u{1F}").utf8))
        }
    }
}
