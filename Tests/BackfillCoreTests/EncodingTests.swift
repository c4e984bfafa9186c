import CSHA256
import XCTest

@testable import BackfillCore

final class EncodingTests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(Array("".utf8)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var h = SHA256()
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        million.withUnsafeBytes { h.update($0) }
        XCTAssertEqual(h.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The SHA-extension path (used when this CPU has it) and the portable
    /// path agree on every length around the padding boundaries, and the
    /// one-shot digest agrees with feeding the bytes in pieces.
    func testSHA256AcceleratedAndPortablePathsAgree() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096 + 17] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var pieces = SHA256()
            bytes.prefix(length / 3).withUnsafeBytes { pieces.update($0) }
            bytes.dropFirst(length / 3).withUnsafeBytes { pieces.update($0) }
            XCTAssertEqual(pieces.finalize(), SHA256.digest(bytes), "length \(length)")
            // Whole blocks through both block functions.
            let blocks = Array(bytes.prefix(length / 64 * 64))
            var fast: [UInt32] = [1, 2, 3, 4, 5, 6, 7, 8]
            var portable = fast
            blocks.withUnsafeBufferPointer { csha256_blocks(&fast, $0.baseAddress, blocks.count / 64) }
            blocks.withUnsafeBufferPointer { csha256_blocks_portable(&portable, $0.baseAddress, blocks.count / 64) }
            XCTAssertEqual(fast, portable, "length \(length), accelerated: \(SHA256.isAccelerated)")
        }
    }

    func testJSONNumbersKeepTheirText() throws {
        let v = try JSONParser.parse(#"{"cents": 123, "qty": 2.50, "big": 12345678901234567890123}"#)
        XCTAssertEqual(v["cents"], .number("123"))
        XCTAssertEqual(v["qty"], .number("2.50"), "no trip through Double")
        XCTAssertEqual(v["big"], .number("12345678901234567890123"))
    }

    func testJSONSyntaxErrorsNameThePath() {
        XCTAssertThrowsError(try JSONParser.parse(#"[{"a": 1}, {"b": tru}]"#)) { error in
            let e = error as! JSONParser.SyntaxError
            XCTAssertEqual(e.path, "$[1].b")
        }
    }

    func testCanonicalJSONIsDeterministic() throws {
        let value: Value = .object(["b": .decimal(ExactDecimal("1.50")!), "a": .string("x\"\n"), "c": .array([.null, .bool(true)])])
        XCTAssertEqual(CanonicalJSON.string(value), #"{"a":"x\"\n","b":"1.50","c":[null,true]}"#)
        XCTAssertEqual(try JSONParser.parse(CanonicalJSON.string(value))["a"], .string("x\"\n"))
    }

    func testDerivedCanonicalIDIsStableAndUUIDShaped() {
        let id = RecordIdentity(objectType: "expense", sourceSystem: "csv_upload", connectionID: "acme", sourceID: "e-1")
        XCTAssertEqual(id.derivedCanonicalID, id.derivedCanonicalID)
        XCTAssertEqual(id.derivedCanonicalID.count, 36)
        let other = RecordIdentity(objectType: "expense", sourceSystem: "csv_upload", connectionID: "", sourceID: "e-1")
        XCTAssertNotEqual(id.derivedCanonicalID, other.derivedCanonicalID, "the connection is part of identity")
    }
}
