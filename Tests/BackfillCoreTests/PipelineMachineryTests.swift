import XCTest

@testable import BackfillCore

/// The two pieces the speed work added under the pipeline: the sorted object
/// map every payload is built in, and the read-ahead thread.
final class PipelineMachineryTests: XCTestCase {
    func testFieldsKeepKeysInUTF8OrderWhateverTheInsertionOrder() {
        var a = Fields()
        for key in ["zeta", "amount", "é", "Amount", "a", "amount_2", ""] { a[key] = .string(key) }
        // UTF-8 byte order: "" < "Amount" < "a" < "amount" < "amount_2" < "zeta" < "é" (0xC3 0xA9).
        XCTAssertEqual(a.keys, ["", "Amount", "a", "amount", "amount_2", "zeta", "é"])
        var b: Fields = ["é": .string("é"), "": .string(""), "a": .string("a")]
        for key in ["amount_2", "zeta", "Amount", "amount"] { b[key] = .string(key) }
        XCTAssertEqual(a, b)
        XCTAssertEqual(CanonicalJSON.string(.object(a)), CanonicalJSON.string(.object(b)))
        XCTAssertTrue(CanonicalJSON.string(.object(a)).hasPrefix(#"{"":"","Amount":"Amount","a":"a","amount""#))
    }

    func testFieldsReplaceRemoveAndLookUpLikeADictionary() {
        var f: Fields = ["currency": .string("USD"), "amount": .string("1.00")]
        f["amount"] = .string("2.00")
        XCTAssertEqual(f.count, 2)
        XCTAssertEqual(f["amount"], .string("2.00"))
        XCTAssertNil(f["memo"])
        f["memo"] = nil  // removing what is absent changes nothing
        XCTAssertEqual(f.count, 2)
        XCTAssertEqual(f.removeValue(forKey: "currency"), .string("USD"))
        XCTAssertNil(f["currency"])
        f["amount"] = nil
        XCTAssertTrue(f.isEmpty)
        let pairs = Fields([("b", .integer(1)), ("a", .integer(2)), ("b", .integer(3))])
        XCTAssertEqual(pairs.keys, ["a", "b"])
        XCTAssertEqual(pairs["b"], .integer(3), "a later duplicate wins")
    }

    func testFillAbsentAddsOnlyMissingKeysAndKeepsOrder() {
        var payload: Fields = ["amount": .string("1.00"), "status": .string("paid"), "lines": .array([])]
        payload.fillAbsent(from: ["status": .string("draft"), "metadata": .object([:]), "a_first": .null, "zz": .bool(true)])
        XCTAssertEqual(payload.keys, ["a_first", "amount", "lines", "metadata", "status", "zz"])
        XCTAssertEqual(payload["status"], .string("paid"), "a present value is never replaced by a default")
        var empty = Fields()
        empty.fillAbsent(from: ["b": .null, "a": .null])
        XCTAssertEqual(empty.keys, ["a", "b"])
        // Any two key sets: the union in key order, present values kept.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let ours = Set((0..<Int.random(in: 0...8, using: &generator)).map { _ in "k\(Int.random(in: 0...12, using: &generator))" })
            let theirs = Set((0..<Int.random(in: 0...8, using: &generator)).map { _ in "k\(Int.random(in: 0...12, using: &generator))" })
            var merged = Fields(ours.map { ($0, Value.string("ours")) })
            merged.fillAbsent(from: Fields(theirs.map { ($0, Value.string("theirs")) }))
            XCTAssertEqual(merged.keys, ours.union(theirs).sorted { Fields.precedes($0, $1) }, "\(ours) + \(theirs)")
            for (key, value) in merged { XCTAssertEqual(value, .string(ours.contains(key) ? "ours" : "theirs")) }
        }
    }

    /// The content hash is read from the payload bytes with the trailing
    /// zeros of decimals skipped; it must equal the hash of the normalized
    /// form written out, or every stored record would look changed.
    func testContentHashSkipsTrailingZerosExactlyAsTheNormalizedForm() {
        func d(_ s: String) -> Value { .decimal(ExactDecimal(s)!) }
        let payload: Fields = [
            "amount": d("125.00"), "zero": d("0.00"), "negative": d("-1.20"), "whole": d("100"), "exact": d("3.25"),
            "memo": .string("1.50 stays as written"),
            "lines": .array([.object(["quantity": d("12.50"), "unit_amount": d("0.10")]), .object(["quantity": d("2")])]),
        ]
        let content = Differ().content(of: payload)
        var normalized: [UInt8] = []
        CanonicalJSON.write(.object(payload), into: &normalized, normalizingDecimals: true)
        XCTAssertEqual(content.hash, SHA256.hex(normalized))
        XCTAssertTrue(String(decoding: content.payload, as: UTF8.self).contains(#""amount":"125.00""#), "the payload keeps its precision")
        XCTAssertTrue(String(decoding: normalized, as: UTF8.self).contains(#""zero":"0"}"#))
        XCTAssertEqual(Differ().content(of: ["amount": d("125.0")]).hash, Differ().content(of: ["amount": d("125")]).hash)
        XCTAssertNotEqual(Differ().content(of: ["amount": d("125.01")]).hash, Differ().content(of: ["amount": d("125.1")]).hash)
    }

    /// A stream that yields `count` records, then fails (or ends).
    struct CountingStream: RecordStream {
        var count: Int
        var failAtEnd: Bool
        var produced = 0

        mutating func next() throws(InputError) -> RawRecord? {
            guard produced < count else {
                if failAtEnd {
                    throw InputError(
                        kind: .malformed, origin: Origin(file: "f.json", line: 9), code: .malformedInput,
                        message: "truncated")
                }
                return nil
            }
            produced += 1
            return RawRecord(
                objectType: "expense", origin: Origin(file: "f.json", line: produced), sourceSystem: "test",
                connectionID: nil, fields: ["source_id": .string("r\(produced)")], rawText: "")
        }
    }

    func testReadAheadKeepsOrderAndDeliversTheInputErrorAfterTheRecordsBeforeIt() {
        let ahead = ReadAhead(
            stream: CountingStream(count: 1000, failAtEnd: true), batchSize: 64, depth: 2,
            prepare: { PreparedRecord(raw: $0, record: nil, content: nil) })
        var lines: [Int] = []
        var failure: InputError?
        reading: while true {
            switch ahead.next() {
            case .batch(let batch): lines += batch.map { $0.raw.origin.line ?? -1 }
            case .failed(let error):
                failure = error
                break reading
            case .end: break reading
            }
        }
        XCTAssertEqual(lines, Array(1...1000))
        XCTAssertEqual(failure?.message, "truncated")
        XCTAssertEqual(ahead.finish().produced, 1000)
    }

    func testReadAheadStopsReadingWhenTheConsumerGivesUp() {
        let ahead = ReadAhead(
            stream: CountingStream(count: 1_000_000, failAtEnd: false), batchSize: 10, depth: 2,
            prepare: { PreparedRecord(raw: $0, record: nil, content: nil) })
        guard case .batch(let first) = ahead.next() else { return XCTFail("expected a batch") }
        XCTAssertEqual(first.count, 10)
        // The queue holds at most `depth` batches: the producer cannot have
        // read far ahead when it is told to stop.
        let stream = ahead.finish()
        XCTAssertLessThanOrEqual(stream.produced, 10 * 4 + 1)
    }
}
