import Foundation
import XCTest

@testable import BackfillCore
@testable import BackfillSQLite

/// RFC 8259, rule by rule: for each, texts that must be accepted and texts
/// that must be refused, and with what kind of error. Every accepted text is
/// also checked against SQLite's own `json_valid`, which is what the store's
/// views rely on, and must survive a round trip through the canonical writer;
/// every ASCII text refused as not JSON must be refused by SQLite too. (We
/// are stricter than SQLite where it is lax: it takes invalid UTF-8, a
/// repeated name and a lone surrogate escape.)
/// Written for this project; no case is taken from another corpus.
final class JSONConformanceTests: XCTestCase {
    var sqlite: Database!

    override func setUpWithError() throws { sqlite = try Database(path: ":memory:") }

    func sqliteAccepts(_ bytes: [UInt8]) throws -> Bool {
        let statement = try sqlite.statement(sql: "select json_valid(?)")
        try statement.bindText(1, bytes: bytes)
        XCTAssertTrue(try statement.step())
        defer { statement.reset() }
        return statement.int(0) == 1
    }

    func accepts(_ texts: [String], rule: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for text in texts {
            let bytes = Array(text.utf8)
            do {
                let value = try JSONParser.parse(bytes)
                // The tape is the same grammar's other output: the same value.
                XCTAssertEqual(try JSONParser.tape(bytes).value, value, "\(rule): the tape of \(text)", file: file, line: line)
                let written = CanonicalJSON.bytes(value)
                XCTAssertEqual(try JSONParser.parse(written), value, "\(rule): round trip of \(text)", file: file, line: line)
                // SQLite refuses a byte-order mark; we ignore one in files but never store it.
                if !text.hasPrefix("\u{FEFF}") {
                    XCTAssertTrue(try sqliteAccepts(bytes), "\(rule): SQLite refuses \(text)", file: file, line: line)
                }
                XCTAssertTrue(try sqliteAccepts(written), "\(rule): SQLite refuses what we write for \(text)", file: file, line: line)
            } catch {
                XCTFail("\(rule): \(text.debugDescription) must be accepted: \(error)", file: file, line: line)
            }
        }
    }

    func refuses(
        _ texts: [String], rule: String, as kind: JSONParser.SyntaxError.Kind = .syntax,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        for text in texts { try refuses(bytes: Array(text.utf8), rule: rule, as: kind, file: file, line: line) }
    }

    func refuses(
        bytes: [UInt8], rule: String, as kind: JSONParser.SyntaxError.Kind = .syntax,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let shown = String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription
        do {
            _ = try JSONParser.parse(bytes)
            XCTFail("\(rule): \(shown) must be refused", file: file, line: line)
        } catch {
            XCTAssertEqual(error.kind, kind, "\(rule): \(shown): \(error)", file: file, line: line)
            // The tape refuses it with the very same error.
            XCTAssertThrowsError(try JSONParser.tape(bytes), "\(rule): the tape takes \(shown)", file: file, line: line) { tapeError in
                let t = tapeError as! JSONParser.SyntaxError
                XCTAssertEqual(
                    [t.description, "\(t.kind)"], [error.description, "\(error.kind)"], "\(rule): \(shown)", file: file, line: line)
            }
            // Where SQLite is as strict as we are: it does not check UTF-8,
            // and it reads bound text only up to a NUL.
            if kind == .syntax && bytes.count < 100_000 && bytes.allSatisfy({ $0 > 0 && $0 < 0x80 }) {
                XCTAssertFalse(
                    try sqliteAccepts(bytes), "\(rule): SQLite accepts \(shown), which we refuse as not JSON",
                    file: file, line: line)
            }
        }
    }

    // §3 Values

    func testLiteralsAreLowercaseAndExact() throws {
        try accepts(["true", "false", "null", "[true,false,null]"], rule: "§3 literals")
        try refuses(
            ["True", "FALSE", "nul", "nulll", "tru", "NaN", "Infinity", "-Infinity", "undefined", "[nil]"],
            rule: "§3 literals")
    }

    func testAnyValueMayBeTheWholeText() throws {
        try accepts(["1", "\"a\"", "null", " [] ", "\t{}\n"], rule: "§2 JSON-text = ws value ws")
        try refuses(["", "   ", "\n"], rule: "§2 a text has one value")
    }

    func testOnlyWhiteSpaceMayFollowTheValue() throws {
        try refuses(
            ["1 2", "[] []", "{}x", "[1]]", "{\"a\":1}}", "[0] garbage", "\"a\"\"b\"", "[1]\u{0}", "null,"],
            rule: "§2 nothing after the value")
    }

    func testWhiteSpaceIsFourCharactersOnly() throws {
        try accepts([" \t\n\r[ \t\n\r1 \t\n\r] \t\n\r"], rule: "§2 ws")
        try refuses(["\u{0C}[]", "[\u{0B}1]", "[\u{A0}1]", "[1\u{2028}]", "\u{FEFF}\u{FEFF}[]"], rule: "§2 ws")
    }

    // §4 Objects

    func testObjectGrammar() throws {
        try accepts(["{}", "{\"a\":1}", "{ \"a\" : 1 , \"b\" : [ ] }", "{\"\":0}", "{\"a\":{\"a\":{\"a\":null}}}"], rule: "§4 objects")
        try refuses(
            [
                "{a:1}", "{'a':1}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,\"a\":1}", "{\"a\" 1}", "{1:1}",
                "{\"a\":1 \"b\":2}", "{\"a\":1", "{", "}", "{\"a\"::1}", "{null:1}",
            ], rule: "§4 objects")
    }

    func testANameAppearsOncePerObject() throws {
        try refuses(
            [
                "{\"a\":1,\"a\":1}", "{\"external_id\":\"x\",\"external_id\":\"y\"}", "[{\"k\":{\"b\":1,\"b\":2}}]",
                "{\"a\":1,\"\\u0061\":2}",
            ], rule: "§4 names SHOULD be unique", as: .duplicateKey)
        try accepts(
            ["{\"a\":{\"a\":1},\"b\":{\"a\":2}}", "[{\"a\":1},{\"a\":1}]", "{\"a\":1,\"A\":2}"], rule: "§4 names in different objects")
        XCTAssertThrowsError(try JSONParser.parse("{\n\"data\": [],\n\"data\": [1]\n}")) { error in
            let e = error as! JSONParser.SyntaxError
            XCTAssertEqual([e.line, e.offset], [3, 14], "the second name's place")
            XCTAssertEqual(e.code, .duplicateKey)
        }
    }

    // §5 Arrays

    func testArrayGrammar() throws {
        try accepts(["[]", "[1]", "[1,2]", "[ 1 , [ 2 , [ ] ] ]", "[\"a\",{},[],null]"], rule: "§5 arrays")
        try refuses(["[1,]", "[,1]", "[1 2]", "[,]", "[\"a\":1]", "[", "]", "[1", "[[]", "[1,,2]"], rule: "§5 arrays")
    }

    func testNestingIsLimitedAndNeverRecurses() throws {
        let limit = JSONParser.Limits.standard.maxDepth
        XCTAssertEqual(limit, 256, "the README documents 256")
        try accepts([String(repeating: "[", count: limit) + String(repeating: "]", count: limit)], rule: "depth at the limit")
        try accepts(
            [String(repeating: "{\"a\":", count: limit - 1) + "[]" + String(repeating: "}", count: limit - 1)],
            rule: "objects at the limit")
        try refuses([String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)], rule: "depth", as: .tooDeep)
        // Far deeper than any stack: a located error, not a crash.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { error in
            let e = error as! JSONParser.SyntaxError
            XCTAssertEqual(e.kind, .tooDeep)
            XCTAssertEqual(e.offset, limit, "stops where the limit is passed, without reading the rest")
            XCTAssertLessThan(e.path.count, 100, "a deep path is shortened: \(e.path)")
        }
        // Unclosed and deep: the same.
        try refuses([String(repeating: "[{\"a\":", count: 50_000)], rule: "unclosed depth", as: .tooDeep)
    }

    // §6 Numbers

    func testNumberGrammar() throws {
        try accepts(
            [
                "0", "-0", "1", "-1", "10", "1.5", "-1.5", "0.0", "1e2", "1E2", "1e+2", "1e-2", "-1.5E-10", "0e0",
                "123456789012345678901234567890", "[0,1,-0.25]",
            ], rule: "§6 numbers")
        for text in ["1.10", "123456789012345678901234567890", "-0", "2.50e-3"] {
            XCTAssertEqual(try JSONParser.parse(text), .number(text), "kept as written, never through Double")
        }
        try refuses(
            [
                "01", "-01", "00", "+1", ".5", "2.", "-", "--1", "1eE2", "1e", "1e+", "1e-", "0x10", "1.2.3", "0.1.2",
                "1_000", "1,5", "[01]", "[2.]", "[1.e1]", "-.5", "Infinity", "1e2.5", "[-]",
            ], rule: "§6 numbers")
    }

    // §7 Strings

    func testStringGrammar() throws {
        try accepts(
            [
                "\"\"", "\"a\"", "\"é\"", "\"日本\"", "\"/\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u0041\\u00e9\\u65E5\"",
                "\"\\uD83D\\uDE00\"", "\"😀\"", "\"\\u0000\"", "\"\u{7F}\"",
            ], rule: "§7 strings")
        XCTAssertEqual(try JSONParser.parse("\"\\uD83D\\uDE00\\u00e9\\/\""), .string("😀é/"))
        try refuses(
            [
                "\"\\x00\"", "\"\\a\"", "\"\\'\"", "\"\\U0041\"", "\"\\u00g0\"", "\"\\u12\"", "\"\\u\"", "\"\\", "\"abc",
                "'a'", "\"a\u{0}b\"", "\"a\u{1F}\"", "\"tab\there\"", "\"line\nbreak\"",
            ], rule: "§7 strings")
    }

    func testSurrogatesOnlyInPairs() throws {
        // The grammar allows these; no text can be made of them (§8.2).
        try refuses(
            [
                "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\ud800\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"\\uDBFF\\uDBFF\"",
                "\"\\ude00\\ud83d\"", "{\"\\ud800\":1}",
            ], rule: "§8.2 surrogates", as: .invalidString)
        XCTAssertThrowsError(try JSONParser.parse("[\"ok\",\n \"\\ud800\\u0041\"]")) { error in
            let e = error as! JSONParser.SyntaxError
            XCTAssertEqual([e.line, e.offset], [2, 9])
            XCTAssertEqual(e.path, "$[1]")
        }
    }

    // §8 Encoding

    func testTextIsUTF8() throws {
        try accepts(["\u{FEFF}[1]"], rule: "§8.1 a UTF-8 byte-order mark may be ignored")
        for bad: [UInt8] in [
            [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0xEF, 0xBB, 0x00, 0x5B, 0x5D],
        ] {
            try refuses(bytes: bad, rule: "§8.1 UTF-8")
        }
        for (bytes, name) in [
            ([0xFF, 0xFE, 0x5B, 0x00, 0x5D, 0x00], "UTF-16 (little-endian"),
            ([0xFE, 0xFF, 0x00, 0x5B, 0x00, 0x5D], "UTF-16 (big-endian"),
            ([0x5B, 0x00, 0x5D, 0x00], "UTF-16 (little-endian)"),
            ([0xFF, 0xFE, 0x00, 0x00, 0x5B, 0x00, 0x00, 0x00], "UTF-32 (little-endian"),
            ([0x00, 0x00, 0x00, 0x5B], "UTF-32 (big-endian)"),
        ] as [([UInt8], String)] {
            XCTAssertThrowsError(try JSONParser.parse(bytes)) { error in
                let e = error as! JSONParser.SyntaxError
                XCTAssertEqual(e.kind, .encoding)
                XCTAssertTrue(e.message.contains(name), e.message)
            }
        }
    }

    // Limits and locations

    func testLongStringsAreRefusedWithoutBeingBuilt() throws {
        let limits = JSONParser.Limits(maxDepth: 256, maxStringBytes: 1 << 20)
        let big = "[\"" + String(repeating: "a", count: (1 << 20) + 1) + "\"]"
        XCTAssertThrowsError(try JSONParser.parse(big, limits: limits)) { error in
            XCTAssertEqual((error as! JSONParser.SyntaxError).kind, .tooLarge)
            XCTAssertEqual((error as! JSONParser.SyntaxError).code, .tooLarge)
        }
        let escaped = "[\"" + String(repeating: "\\n", count: (1 << 20) + 1) + "\"]"
        XCTAssertThrowsError(try JSONParser.parse(escaped, limits: limits))
        XCTAssertNoThrow(try JSONParser.parse("[\"" + String(repeating: "a", count: 1 << 20) + "\"]", limits: limits))
    }

    func testErrorsGiveLineByteAndPath() {
        XCTAssertThrowsError(try JSONParser.parse("{\n  \"bills\": [\n    {\"amount\": 0.1.2}\n  ]\n}")) { error in
            let e = error as! JSONParser.SyntaxError
            XCTAssertEqual(e.line, 3)
            XCTAssertEqual(e.offset, 33)
            XCTAssertEqual(e.path, "$.bills[0].amount")
            XCTAssertTrue(e.description.contains("line 3, byte 33"), e.description)
        }
    }

    func testGeneratedLargeDocumentsParseInOnePass() throws {
        // 200,000 elements and a 4 MB string: no recursion, no quadratic work.
        let wide = "[" + Array(repeating: "{\"a\":[1,\"x\"]}", count: 200_000).joined(separator: ",") + "]"
        XCTAssertEqual(try JSONParser.parse(wide).arrayValue?.count, 200_000)
        let long = try JSONParser.parse("\"" + String(repeating: "é", count: 2 << 20) + "\"")
        XCTAssertEqual(long.stringValue?.utf8.count, 4 << 20)
        XCTAssertEqual(try JSONParser.tape(Array(wide.utf8)).elements.count, 200_000)
    }

    func testTheTapeFindsARepeatedNameAmongManyWithoutComparingEveryPair() throws {
        // 200,000 names in one object: past the first few, repeats are found
        // by hash, so this is one pass, not 2·10¹⁰ comparisons.
        let names = (0..<200_000).map { "\"k\($0)\":\($0)" }
        let wide = Array(("{" + names.joined(separator: ",") + "}").utf8)
        let node = try JSONParser.tape(wide)
        XCTAssertEqual(node["k199999"]?.numberText, "199999")
        XCTAssertNil(node["k200000"])
        for repeated in ["k3", "k17", "k150000"] {
            let text = Array(("{" + names.joined(separator: ",") + ",\"\(repeated)\":0}").utf8)
            XCTAssertThrowsError(try JSONParser.tape(text), repeated) { error in
                XCTAssertEqual((error as! JSONParser.SyntaxError).kind, .duplicateKey)
                XCTAssertTrue("\(error)".contains("\"\(repeated)\" appears twice"), "\(error)")
            }
        }
        // A name spelled with an escape is the same name.
        XCTAssertThrowsError(try JSONParser.tape(Array(("{" + names.prefix(40).joined(separator: ",") + ",\"k\\u0033\":0}").utf8)))
    }

    func testTheTapeReadsMembersAsTheTreeDoes() throws {
        let node = try JSONParser.tape(Array(#"{"a":"x\u00e9","n":-1.50e3,"t":true,"z":null,"l":[1,{"b":[]}],"o":{}}"#.utf8))
        XCTAssertEqual(node["a"]?.string, "xé")
        XCTAssertEqual(node["n"]?.numberText, "-1.50e3")
        XCTAssertNil(node["n"]?.string)
        XCTAssertEqual(node["t"]?.bool, true)
        XCTAssertEqual(node["z"]?.isNull, true)
        XCTAssertEqual(node["l"]?.elements.count, 2)
        XCTAssertEqual(node["l"]?.elements[1]["b"]?.kind, .array)
        XCTAssertEqual(node["o"]?.value, .object([:]))
        XCTAssertNil(node["missing"])
        XCTAssertNil(node["l"]?["a"], "an array has no members")
        XCTAssertEqual(node.fields(excluding: ["a", "n", "t", "l"]), ["z": .null, "o": .object([:])])
    }
}
