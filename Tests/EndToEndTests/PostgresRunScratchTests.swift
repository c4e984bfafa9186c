import XCTest

@testable import BackfillCore
@testable import BackfillPostgres

/// The PostgreSQL run scratch keeps a run's sightings in a TEMP table: what
/// it answers must not depend on whether a sighting is still in memory or
/// already on the server, and a rollback must forget exactly what the
/// rolled-back input added. Batches of a few rows put every path under test.
final class PostgresRunScratchTests: XCTestCase {
    func connection() throws -> Connection {
        guard let url = StoreBackend.postgresURL else { throw XCTSkip("PostgreSQL store tests SKIPPED: no server") }
        return try Connection(parameters: PostgresLocation(url).connectionParameters(applicationName: "scratch test"))
    }

    func identity(_ sourceID: String) -> RecordIdentity {
        RecordIdentity(objectType: "expense", sourceSystem: "csv_upload", connectionID: "acme", sourceID: sourceID)
    }

    func testRepeatsAreFoundWhereverTheEarlierSightingIs() throws {
        let connection = try connection()
        let scratch = try SessionRunScratch(connection: connection, batchRows: 7)
        let ids = (0..<3000).map { identity("e-\($0)") }
        for (i, id) in ids.enumerated() {
            XCTAssertNil(try scratch.claim(id, input: 1, line: i + 2), "a first sighting")
        }
        // Loaded for a batch, read on its own, and still unsent: all found.
        try scratch.load(Array(ids[100..<356]))
        for (i, id) in ids.enumerated() where i % 7 == 0 || (100..<356).contains(i) || i >= 2996 {
            let earlier = try scratch.claim(id, input: 1, line: 9999)
            XCTAssertEqual(earlier?.input, 1, id.sourceID)
            XCTAssertEqual(earlier?.line, i + 2, "the first sighting's line: \(id.sourceID)")
        }
        XCTAssertNil(try scratch.claim(identity("never"), input: 1, line: 1))
        try scratch.send()
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM pg_temp.backfill_seen"), "3001", "each identity once")
    }

    func testARollbackForgetsOnlyWhatTheInputAdded() throws {
        let connection = try connection()
        let scratch = try SessionRunScratch(connection: connection, batchRows: 3)
        try connection.execute("BEGIN")
        for i in 0..<10 { XCTAssertNil(try scratch.claim(identity("kept-\(i)"), input: 1, line: i)) }
        try scratch.send()
        try connection.execute("COMMIT")

        try connection.execute("BEGIN")
        for i in 0..<10 { XCTAssertNil(try scratch.claim(identity("lost-\(i)"), input: 2, line: i)) }
        try scratch.move(identity("kept-4"), to: 2, line: 40)
        XCTAssertEqual(try scratch.claim(identity("kept-4"), input: 2, line: 41)?.line, 40, "moved into input 2")
        try connection.execute("ROLLBACK")
        scratch.rolledBack()

        for i in 0..<10 {
            XCTAssertNil(try scratch.claim(identity("lost-\(i)"), input: 3, line: i), "input 2 was rolled back")
            XCTAssertEqual(try scratch.claim(identity("kept-\(i)"), input: 3, line: 0)?.input, 1, "input 1 committed")
        }
        XCTAssertEqual(try scratch.claim(identity("kept-4"), input: 3, line: 0)?.line, 4, "the move was rolled back too")
    }

    func testADryRunKeepsWhatItWouldHaveWritten() throws {
        let connection = try connection()
        let scratch = try SessionRunScratch(connection: connection, batchRows: 2)
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for i in 0..<5 {
            let id = identity("d-\(i)")
            XCTAssertNil(try scratch.claim(id, input: 1, line: i))
            try scratch.keep(
                RecordChange(
                    action: .update, identity: id, id: "id-\(i)", origin: Origin(file: "a"), fields: [],
                    payload: Array("{\"n\":\(i)}".utf8), contentHash: "h\(i)"))
        }
        try scratch.send()
        try scratch.load([identity("d-0"), identity("d-3")])
        let kept = try scratch.claim(identity("d-3"), input: 2, line: 0)
        XCTAssertEqual(kept?.id, "id-3")
        XCTAssertEqual(kept?.contentHash, "h3")
        XCTAssertEqual(kept?.payload, "{\"n\":3}")
        try connection.execute("ROLLBACK")
    }
}
