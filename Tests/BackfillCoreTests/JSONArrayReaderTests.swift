import Foundation
import XCTest

@testable import BackfillCore

final class JSONArrayReaderTests: XCTestCase {
    func path(_ text: String) throws -> String {
        let url = try temporaryDirectory().appendingPathComponent("in.json")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func all(_ text: String) throws -> [JSONArrayReader.Element] {
        var reader = try JSONArrayReader(path: try path(text))
        var out: [JSONArrayReader.Element] = []
        while let e = try reader.next() { out.append(e) }
        return out
    }

    func testReadsBothShapesElementByElement() throws {
        let array = try all("[\n {\"a\": \"x]}\\\"\"},\n {\"a\": 2}\n]")
        XCTAssertEqual(array.map(\.path), ["$[0]", "$[1]"])
        XCTAssertEqual(array.map(\.line), [2, 3])
        XCTAssertEqual(array[0].value["a"], .string("x]}\""), "brackets and escaped quotes inside strings")
        let envelope = try all(#"{"meta": {"x": [1, {"y": 2}]}, "data": [{"a": 1}], "after": true}"#)
        XCTAssertEqual(envelope.map(\.path), ["$.data[0]"])
        XCTAssertEqual(try all("[]").count, 0)
    }

    func testTruncatedAndNonJSONFilesSayWhere() throws {
        for (text, expected) in [
            ("[{\"a\": 1}, {\"b\": ", "truncated"), ("id,amount\n1,2", "not JSON"),
            ("[{\"a\": 1} {\"b\": 2}]", "expected ','"), ("[{\"a\": tru}]", "invalid JSON in $[0].a"), ("", "empty"),
        ] {
            XCTAssertThrowsError(try all(text), text) { error in
                let e = error as! InputError
                XCTAssertEqual(e.kind, .malformed)
                XCTAssertTrue(e.message.contains(expected) && e.message.contains("byte"), "\(text): \(e.message)")
            }
        }
    }

    func failure(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> InputError? {
        do {
            _ = try all(text)
            XCTFail("\(text.prefix(80)) must fail", file: file, line: line)
            return nil
        } catch {
            return error as? InputError
        }
    }

    func testTheWholeFileIsHeldToTheGrammar() throws {
        let bill = #"{"external_id": "B1"}"#
        for (text, expected, code) in [
            ("[\(bill)] garbage", "unexpected 'g' after the top-level JSON value", IssueCode.malformedInput),
            ("[\(bill)][\(bill)]", "unexpected '['", .malformedInput),
            ("[\(bill)]]", "unexpected ']'", .malformedInput),
            (#"{"data": [\#(bill)]"#, "ends inside the top-level object", .malformedInput),
            (#"{"data": [\#(bill)], "data": []}"#, "\"data\" appears twice", .duplicateKey),
            (#"{"x": 1, "x": 2, "data": []}"#, "\"x\" appears twice", .duplicateKey),
            (#"{"meta": [1,], "data": []}"#, "invalid JSON in $.meta", .malformedInput),
            (#"{"data": [], "after": tru}"#, "invalid JSON in $.after", .malformedInput),
            (#"[{"external_id": "B1", "external_id": "B2"}]"#, "$[0].external_id", .duplicateKey),
            (#"[{"amount": 0.1.2}]"#, "$[0].amount", .malformedInput),
            (#"[{"a": "\x00"}]"#, "is not a JSON escape", .malformedInput),
            ("[1,]", "unexpected ']'", .malformedInput),
            ("\"just a string\"", "JSON, but a string", .malformedInput),
            ("42", "JSON, but a number", .malformedInput),
            (#"{"pagination": {}}"#, "no \"data\" array", .malformedInput),
            ("\u{FEFF}{\"data\": 5}", "\"data\" is not an array", .malformedInput),
        ] {
            let e = try XCTUnwrap(failure(text), text)
            XCTAssertTrue(e.message.contains(expected) && e.message.contains("(byte "), "\(text): \(e.message)")
            XCTAssertEqual(e.code, code, text)
            XCTAssertNotNil(e.origin.line)
        }
    }

    func testDepthIsLimitedAcrossTheWholeFile() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let e = try XCTUnwrap(failure(deep))
        XCTAssertEqual(e.code, .tooDeep)
        XCTAssertTrue(e.message.contains("deeper than 256 levels (byte 256)"), e.message)
        // An element counts its array's level: 255 more are allowed in the array, 254 in {"data": [...]}.
        XCTAssertEqual(try all("[" + String(repeating: "[", count: 255) + String(repeating: "]", count: 255) + "]").count, 1)
        XCTAssertEqual(failure("[" + String(repeating: "[", count: 256) + String(repeating: "]", count: 256) + "]")?.code, .tooDeep)
        XCTAssertEqual(
            failure(#"{"data": ["# + String(repeating: "[", count: 255) + String(repeating: "]", count: 255) + "]}")?.code,
            .tooDeep)
    }

    func testAnElementWithALoneSurrogateIsRejectedAloneTheRestIsRead() throws {
        let elements = try all("[{\"a\": 1},\n {\"a\": \"\\ud800\\u0041\"},\n {\"a\": \"\\udc00\"}, {\"a\": 2}]")
        XCTAssertEqual(elements.count, 4)
        XCTAssertNil(elements[0].issue)
        XCTAssertEqual(elements[1].issue?.origin.jsonPath, "$[1].a")
        XCTAssertEqual(elements[1].issue?.origin.line, 2)
        XCTAssertEqual(elements[1].issue?.code, .invalidEncoding)
        XCTAssertTrue(elements[2].issue?.message.contains("low surrogate without a high surrogate") ?? false)
        XCTAssertEqual(elements[3].value["a"], .number("2"))
    }

    func testEncodingsAreNamedAndLimitsHold() throws {
        let url = try temporaryDirectory().appendingPathComponent("u16.json")
        try Data([0xFF, 0xFE, 0x5B, 0x00, 0x5D, 0x00]).write(to: url)
        var reader = try JSONArrayReader(path: url.path)
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertTrue((error as! InputError).message.contains("UTF-16 (little-endian"), "\(error)")
        }
        var bomless = JSONArrayReader(input: InputFile(bytes: [0xEF, 0xBB, 0x00, 0x5B, 0x5D], name: "x.json"))
        XCTAssertThrowsError(try bomless.next(), "EF BB 00 is not a byte-order mark")
        let limits = InputLimits(maxFieldBytes: 1 << 10, maxRecordBytes: 1 << 12)
        var big = JSONArrayReader(
            input: InputFile(
                bytes: Array(("[\"" + String(repeating: "a", count: 5000) + "\"]").utf8),
                name: "big.json"), limits: limits)
        XCTAssertThrowsError(try big.next()) { error in
            XCTAssertEqual((error as! InputError).code, .tooLarge)
            XCTAssertTrue((error as! InputError).message.contains("--max-record-mib"), "\(error)")
        }
        var field = JSONArrayReader(
            input: InputFile(
                bytes: Array(("[\"" + String(repeating: "a", count: 2000) + "\"]").utf8),
                name: "field.json"), limits: limits)
        XCTAssertThrowsError(try field.next()) { error in XCTAssertEqual((error as! InputError).code, .tooLarge) }
    }
}
