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
        for (text, expected) in [("[{\"a\": 1}, {\"b\": ", "truncated"), ("id,amount\n1,2", "not JSON"),
                                 ("[{\"a\": 1} {\"b\": 2}]", "expected ','"), ("[{\"a\": tru}]", "invalid JSON in $[0].a"), ("", "empty")] {
            XCTAssertThrowsError(try all(text), text) { error in
                let e = error as! InputError
                XCTAssertEqual(e.kind, .malformed)
                XCTAssertTrue(e.message.contains(expected) && e.message.contains("byte"), "\(text): \(e.message)")
            }
        }
    }
}
