import Foundation
import XCTest

@testable import BackfillCore
@testable import CSVUpload

func writeFile(_ bytes: [UInt8], name: String = "in.csv") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csv-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func readAll(_ path: String, encoding: TextEncoding = .utf8) throws -> [CSVRow] {
    var reader = try CSVReader(path: path, encoding: encoding)
    var rows: [CSVRow] = []
    while let row = try reader.next() { rows.append(row) }
    return rows
}

final class CSVReaderTests: XCTestCase {
    func testRFC4180EdgeCases() throws {
        let text =
            "\u{FEFF}id,desc,amount\r\n"
            + "a,\"Coffee, beans\",1.00\r\n"
            + "b,\"He said \"\"hi\"\"\",2.00\n"
            + "c,\"line one\r\nline two\nline three\",3.00\r\n"
            + "d,,4.00\n"
            + "\n"
        let rows = try readAll(try writeFile(Array(text.utf8)))
        XCTAssertEqual(
            rows.map(\.fields),
            [
                ["id", "desc", "amount"],
                ["a", "Coffee, beans", "1.00"],
                ["b", "He said \"hi\"", "2.00"],
                ["c", "line one\r\nline two\nline three", "3.00"],
                ["d", "", "4.00"],
            ], "BOM dropped, quoted commas, doubled quotes, multi-line fields, CRLF and LF, blank trailing line")
        XCTAssertEqual(rows.map(\.line), [1, 2, 3, 4, 7], "physical lines, counting every line of a multi-line field")
        XCTAssertEqual(rows[2].text, "b,\"He said \"\"hi\"\"\",2.00", "the raw row as read, for the rejects table")
    }

    func testRecordsSpanningReadBuffersAreIntact() throws {
        let long = String(repeating: "x", count: 200_000)
        let rows = try readAll(try writeFile(Array("a,b\n1,\"\(long)\"\n2,z\n".utf8)))
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[1].fields[1].count, 200_000)
        XCTAssertEqual(rows[2].fields, ["2", "z"])
        XCTAssertEqual(rows[2].line, 3)
    }

    func testInvalidUTF8NamesTheFileAndPhysicalLine() throws {
        var bytes = Array("id,desc\n1,\"ok\nstill ok\"\n2,caf".utf8)
        bytes.append(0xE9)  // é in windows-1252, invalid as UTF-8
        bytes += Array("\n".utf8)
        let path = try writeFile(bytes)
        XCTAssertThrowsError(try readAll(path)) { error in
            let e = error as! InputError
            XCTAssertEqual(e.code, .invalidEncoding)
            XCTAssertEqual(e.origin, Origin(file: path, line: 4))
            XCTAssertTrue(e.message.contains("--encoding windows-1252"), e.message)
        }
        let rows = try readAll(path, encoding: .windows1252)
        XCTAssertEqual(rows.last?.fields, ["2", "café"], "decoded, never stored garbled")
        XCTAssertEqual(Windows1252.decode([0x80, 0x93, 0x94]), "€“”")
    }

    func testUnclosedQuoteIsAnErrorAtTheLineItOpened() throws {
        let path = try writeFile(Array("a,b\n1,\"open\n2,3\n".utf8))
        XCTAssertThrowsError(try readAll(path)) { error in
            XCTAssertEqual((error as! InputError).origin.line, 2)
        }
    }

    func testMissingFileIsUnreadable() {
        XCTAssertThrowsError(try CSVReader(path: "/nonexistent/x.csv")) { error in
            XCTAssertEqual((error as! InputError).kind, .unreadable)
        }
    }
}
