import BackfillCore
import XCTest

@testable import JSONL

/// JSON Lines as jsonlines.org defines it (UTF-8, one JSON value a line,
/// `\n` between lines, `\r\n` allowed, the last newline optional), with the
/// files other tools write: a byte-order mark, blank lines, broken lines.
final class JSONLConnectorTests: XCTestCase {
    func records(_ text: String, limits: InputLimits = .standard) throws -> (records: [RawRecord], notes: [String]) {
        try records(Array(text.utf8), limits: limits)
    }

    func records(_ bytes: [UInt8], limits: InputLimits = .standard) throws -> (records: [RawRecord], notes: [String]) {
        var stream = JSONLConnector(objectType: "expense", limits: limits).open(InputFile(bytes: bytes, name: "x.jsonl"), label: "x.jsonl")
        var out: [RawRecord] = []
        while let r = try stream.next() { out.append(r) }
        return (out, stream.notes)
    }

    let exported =
        #"{"amount":"18.75","connection_id":"acme","created_at":"2026-12-01T19:03:49.108Z","currency":"USD","id":"bf13c8e5-8f0e-8eb8-8695-c37a364c5b57","source_id":"exp-1001","source_system":"csv_upload","status":"approved","updated_at":"2026-12-01T19:03:49.108Z","expense_date":"2026-03-02"}"#

    func testAnExportedLineKeepsItsIdentityAndIdAndDropsTheStoresTimestamps() throws {
        let r = try records(exported + "\n").records
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].sourceSystem, "csv_upload")
        XCTAssertEqual(r[0].connectionID, "acme")
        XCTAssertEqual(r[0].declaredSourceID, "exp-1001")
        XCTAssertEqual(r[0].canonicalID, "bf13c8e5-8f0e-8eb8-8695-c37a364c5b57")
        XCTAssertEqual(r[0].issues.count, 0)
        for key in ["id", "created_at", "updated_at"] { XCTAssertNil(r[0].fields[key], key) }
        XCTAssertEqual(r[0].fields["amount"], .string("18.75"), "money stays the exact text it was")
        XCTAssertEqual(r[0].origin.description, "x.jsonl:1")
    }

    func testLineEndingsBlankLinesAndAByteOrderMark() throws {
        let line = #"{"source_system":"s","source_id":"a"}"#
        // A UTF-8 byte-order mark first (the JSON parser ignores it, RFC 8259 §8.1),
        // CRLF, a blank line, spaces only, no final newline.
        let text = "\u{FEFF}\(line)\r\n\r\n   \n\(line.replacingOccurrences(of: "\"a\"", with: "\"b\""))"
        let r = try records(text).records
        XCTAssertEqual(r.map(\.declaredSourceID), ["a", "b"])
        XCTAssertEqual(r.map { $0.origin.line }, [1, 4], "blank lines still count as lines")
        XCTAssertEqual(try records("").records.count, 0, "an empty file has no records")
        XCTAssertEqual(try records("\n\n").records.count, 0)
    }

    func testABadLineIsRejectedAtItsLineAndTheNextStillReads() throws {
        let good = #"{"source_system":"s","source_id":"ok"}"#
        var bytes = Array("not json\n[1,2]\n\"text\"\n{\"source_id\":\"x\",\"source_id\":\"y\",\"source_system\":\"s\"}\n".utf8)
        bytes += Array(#"{"source_system":"s","source_id":"caf"#.utf8) + [0xE9] + Array("\"}\n".utf8)  // Latin-1 é
        bytes += Array(#"{"source_id":"nobody"}"#.utf8) + [0x0A]
        bytes += Array(good.utf8)
        let r = try records(bytes).records
        XCTAssertEqual(r.count, 7)
        let codes = r.map { $0.issues.first?.code }
        XCTAssertEqual(codes, [.malformedInput, .notARecord, .notARecord, .duplicateKey, .malformedInput, .missingRequired, nil])
        XCTAssertTrue(r[4].issues[0].message.contains("not valid UTF-8"), r[4].issues[0].message)
        XCTAssertEqual(r.map { $0.origin.line }, [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(r[5].issues.first?.field, "source_system")
        XCTAssertEqual(r[0].rawText, "not json", "the raw line is kept for the rejects table")
    }

    func testALineOverTheRecordLimitIsRejectedWithoutHoldingIt() throws {
        var limits = InputLimits.standard
        limits.maxRecordBytes = 1000
        let long = #"{"source_system":"s","source_id":"big","memo":""# + String(repeating: "x", count: 200_000) + "\"}"
        let r = try records(long + "\n" + #"{"source_system":"s","source_id":"after"}"#, limits: limits).records
        XCTAssertEqual(r.map { $0.issues.first?.code }, [.tooLarge, nil])
        XCTAssertEqual(r[0].rawText, "", "nothing of the long line is kept")
        XCTAssertEqual(r[1].declaredSourceID, "after")
    }

    func testRemovedRecordsAreSkippedWithANote() throws {
        let removed = exported.replacingOccurrences(of: "\"status\"", with: "\"removed_at\":\"2026-12-02T00:00:00Z\",\"status\"")
        let (r, notes) = try records(removed + "\n" + exported.replacingOccurrences(of: "exp-1001", with: "exp-1002"))
        XCTAssertEqual(r.map(\.declaredSourceID), ["exp-1002"])
        XCTAssertEqual(notes, ["x.jsonl: 1 removed record(s) (with removed_at) skipped; import brings in live records only"])
    }

    func testAMissingFileIsUnreadable() {
        XCTAssertThrowsError(try JSONLConnector(objectType: "expense").open("/nonexistent/x.jsonl")) { error in
            XCTAssertEqual((error as? InputError)?.kind, .unreadable)
        }
    }
}
