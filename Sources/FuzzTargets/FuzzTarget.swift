import BackfillAPI
import BackfillCore
import CSVUpload
import Foundation
import JSONL
import LayerBills

/// What the fuzzers feed arbitrary bytes to: every stage that parses input.
/// A target returns normally for every input, whether the input is imported
/// or refused with a located error; a trap, a hang or a broken invariant is
/// the bug. The same code runs under libFuzzer (`scripts/fuzz`) and in
/// `swift test`, which replays the seed and regression corpora.
///
/// Invariants checked on every input that gets through:
/// - what `JSONParser` accepts, written back by `CanonicalJSON`, parses again
///   to the same value (so the store only ever holds valid JSON);
/// - every record that normalizes and validates serializes to a payload that
///   `JSONParser` accepts, within the depth limit SQLite's JSON functions need.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The CSV reader and connector, through normalize and validate.
    case csv
    /// `JSONParser` on a whole document.
    case json
    /// `JSONArrayReader`, element by element.
    case jsonStream = "json-stream"
    /// The Layer connector and mapper, through normalize and validate.
    case layer
    /// An API page: the client's decoding and shape check, the Backfill API
    /// connector, normalize and validate.
    case apiPage = "api-page"
    /// `mapping init`'s sniffer: every proposal must be a mapping the
    /// mapping parser accepts, and must open the bytes it came from.
    case mappingInit = "mapping-init"
    /// The JSON Lines connector, through normalize and validate, with the
    /// standard limits and with a 64-byte line limit (the overlong path).
    case jsonl

    /// A broken invariant: the fuzzer's finding.
    public struct Violation: Error, CustomStringConvertible {
        public let description: String
    }

    public func run(_ bytes: [UInt8]) throws(Violation) {
        switch self {
        case .csv:
            for connector in Self.csvConnectors {
                guard var stream = try? connector.open(InputFile(bytes: bytes, name: "fuzz.csv")) else { continue }
                try Self.drain(&stream)
            }
        case .json:
            guard let value = try? JSONParser.parse(bytes) else { return }
            try Self.roundTrips(value)
        case .jsonStream:
            var reader = JSONArrayReader(input: InputFile(bytes: bytes, name: "fuzz.json"))
            while let element = try? reader.next() {
                if element.issue == nil { try Self.roundTrips(element.value) }
            }
        case .layer:
            guard var stream = try? LayerConnector(connectionID: "fuzz").open(InputFile(bytes: bytes, name: "fuzz.json")) else { return }
            try Self.drain(&stream)
        case .apiPage:
            let client = APIClient(
                transport: OneResponse(body: bytes), token: "fuzz", retry: RetryPolicy(maxRetries: 0),
                bucket: TokenBucket(rate: 1e9, burst: 1_000_000, clock: SystemClock()), timeout: 1)
            let list = PagedList(client: client, baseURL: URL(string: "http://127.0.0.1:1")!, path: "/v1/expenses", pageSize: 2)
            guard let page = try? list.fetch(page: 1) else { return }
            var records = RecordList(BackfillAPIConnector(connectionID: "fuzz").records(of: page, objectType: "expense").records)
            try Self.drain(&records)
        case .jsonl:
            for limits in [InputLimits.standard, InputLimits(maxRecordBytes: 64)] {
                var stream = JSONLConnector(objectType: "expense", limits: limits).open(
                    InputFile(bytes: bytes, name: "fuzz.jsonl"),
                    label: "fuzz.jsonl")
                try Self.drain(&stream)
            }
        case .mappingInit:
            for type in ["expense", "bank_transaction"] {
                guard let contract = ContractCatalog.standard.contract(for: type),
                    let proposal = try? CSVMappingProposal.propose(bytes: bytes, file: "fuzz.csv", contract: contract)
                else { continue }
                let json = proposal.json(source: "fuzz.csv")
                let mapping: CSVMapping
                do { mapping = try CSVMapping.parse(Array(json.utf8), file: "proposal.json") } catch {
                    throw Violation(description: "mapping init proposed a mapping its own parser refuses: \(error)\n\(json)")
                }
                guard
                    let connector = try? CSVConnector(
                        objectType: type, connectionID: "fuzz", mapping: mapping,
                        encoding: mapping.encoding ?? .utf8),
                    var stream = try? connector.open(InputFile(bytes: bytes, name: "fuzz.csv"))
                else { continue }
                try Self.drain(&stream)
            }
        }
    }

    /// One flat and one document type: the two ways a CSV file is read.
    nonisolated(unsafe) private static let csvConnectors =
        ["expense", "vendor_bill"].compactMap { try? CSVConnector(objectType: $0, connectionID: "fuzz") }
        + [bankRules].compactMap { $0 }
    /// Every row rule at once: header detection, skip rules, a direction
    /// amount with auto-detected separators, derived ids, month-name dates.
    nonisolated(unsafe) private static let bankRules: CSVConnector? = {
        let json =
            #"{"header_row": "auto", "delimiter": ";", "columns": {"Datum": "posted_at", "Naam": "merchant_name"}, "skip_if": [{"column": "Naam", "prefix": "Total"}, {"column": "Datum", "empty": true}], "amount": {"column": "Bedrag", "direction": {"column": "Af Bij", "out": ["Af"], "in": ["Bij"]}}, "source_id": {"derive": ["Datum", "Naam", "Bedrag", "Af Bij"]}, "amounts": {"style": "auto"}, "date_formats": ["DD-MMM-YY", "DD.MM.YYYY"], "constants": {"currency": "EUR", "bank_account_id": "fuzz"}}"#
        guard let mapping = try? CSVMapping.parse(Array(json.utf8), file: "fuzz-mapping.json") else { return nil }
        return try? CSVConnector(objectType: "bank_transaction", connectionID: "fuzz", mapping: mapping)
    }()
    private static let normalizer = Normalizer()
    private static let validator = Validator()

    /// Every record of a stream through normalize and validate; each that
    /// passes must serialize to JSON the reader accepts.
    private static func drain<S: RecordStream>(_ stream: inout S) throws(Violation) {
        var count = 0
        while let raw = try? stream.next() {
            count += 1
            if count > 100_000 { return }  // enough of one input
            if raw.issues.contains(where: { $0.field == nil }) { continue }
            var record = normalizer.normalize(raw)
            validator.validate(&record, objectType: raw.objectType)
            guard record.issues.isEmpty else { continue }
            let payload = Differ().content(of: record.payload).payload
            do {
                _ = try JSONParser.parse(payload)
            } catch {
                throw Violation(description: "a valid record serialized to JSON the reader refuses: \(error)")
            }
        }
    }

    private static func roundTrips(_ value: Value) throws(Violation) {
        let text = CanonicalJSON.bytes(value)
        let again: Value
        do { again = try JSONParser.parse(text) } catch {
            throw Violation(description: "accepted JSON written back is refused: \(error)")
        }
        guard again == value else { throw Violation(description: "accepted JSON changed on a round trip") }
    }
}

/// A transport that answers every request with the same 200 body.
private struct OneResponse: HTTPTransport {
    let body: [UInt8]
    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) throws(TransportError) -> HTTPResponse {
        guard body.count <= maxBodyBytes else { throw TransportError(kind: .tooLarge, message: "too large") }
        return HTTPResponse(status: 200, headers: [:], body: body)
    }
}
