import Foundation
import XCTest

@testable import BackfillCore
@testable import BackfillSQLite

final class StoreAndRunTests: XCTestCase {
    var dir: URL!
    var path: String { dir.appendingPathComponent("store.sqlite").path }

    override func setUpWithError() throws { dir = try temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testSchemaIsVersionedAndHasAViewPerType() throws {
        do {
            let store = try SQLiteStore.openForWriting(path: path)
            XCTAssertEqual(count(store, "PRAGMA user_version"), Schema.migrations.count)
            XCTAssertEqual(try store.database.scalarText("PRAGMA journal_mode"), "wal")
            XCTAssertEqual(
                count(store, "SELECT count(*) FROM sqlite_master WHERE type = 'view'"), 21 + 2,
                "a view per type, and records and record_versions")
            XCTAssertEqual(count(store, "SELECT count(*) FROM sqlite_master WHERE name = 'sync_cursors'"), 1)
            // While it is open for writing, nobody else may write.
            XCTAssertThrowsError(try SQLiteStore.openForWriting(path: path)) { error in
                XCTAssertTrue("\(error)".contains("in use by another run"), "\(error)")
            }
        }
        // Closed, it reopens, without re-running migrations.
        let reopened = try SQLiteStore.openForWriting(path: path)
        XCTAssertEqual(count(reopened, "PRAGMA user_version"), Schema.migrations.count)
    }

    /// A store written before migrations 3 and 4 (a v2 store, as the build
    /// before them left it) gains the columns the views read, filled from
    /// its payloads, and its Layer runs take the connector's one name.
    func testAVersionTwoStoreMigratesWithItsViewColumnsFilled() throws {
        do {
            let v2 = try Database(path: path)
            for sql in Schema.migrations.prefix(2) { try v2.execute(sql) }
            try v2.execute("PRAGMA user_version = 2")
            try v2.execute(
                "INSERT INTO runs (id, mode, connector, inputs, started_at, status) VALUES (1, 'apply', 'layer', '[]', 't', 'succeeded')")
            try v2.execute(
                """
                INSERT INTO records (id, object_type, source_system, connection_id, source_id, version, content_hash, payload,
                                     created_at, updated_at, created_run, updated_run)
                VALUES ('a', 'expense', 'csv_upload', '', 'e1', 1, 'h', '{"amount":"1234.56","currency":"USD"}', 't', 't', 1, 1),
                       ('b', 'vendor_bill', 'layer', '', 'b1', 1, 'h', '{"currency":"KWD","total_amount":"12.345"}', 't', 't', 1, 1),
                       ('c', 'expense', 'csv_upload', '', 'e2', 1, 'h', '{"amount":"7.5"}', 't', 't', 1, 1)
                """)
        }
        let store = try SQLiteStore.openForWriting(path: path)
        XCTAssertEqual(count(store, "PRAGMA user_version"), Schema.migrations.count)
        XCTAssertEqual(try store.database.scalarText("SELECT connector FROM runs"), "layer_bills")
        XCTAssertEqual(
            try store.database.scalarText("SELECT amount || ' ' || amount_minor || ' ' || currency FROM expenses WHERE source_id = 'e1'"),
            "1234.56 123456 USD")
        XCTAssertEqual(try store.database.scalarText("SELECT total_amount || ' ' || total_amount_minor FROM vendor_bills"), "12.345 12345")
        XCTAssertEqual(
            try store.database.scalarText("SELECT amount || ' ' || ifnull(amount_minor, 'null') FROM expenses WHERE source_id = 'e2'"),
            "7.5 null", "no currency, no minor units")
    }

    func testReimportIsIdempotent() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        let records = [expenseRecord("e-1", amount: "10"), expenseRecord("e-2", amount: "20", line: 3)]
        let (first, _) = try runImport(store, [("a.csv", ArrayStream(records))])
        XCTAssertEqual(first.counts, RunCounts(created: 2))
        let before = try store.database.scalarText("SELECT group_concat(id || updated_at || version || content_hash) FROM records")
        let (second, status) = try runImport(store, [("a.csv", ArrayStream(records))])
        XCTAssertEqual(second.counts, RunCounts(unchanged: 2))
        XCTAssertEqual(status, .succeeded)
        XCTAssertEqual(
            try store.database.scalarText("SELECT group_concat(id || updated_at || version || content_hash) FROM records"),
            before, "no new version, no timestamp churn")
        XCTAssertEqual(count(store, "SELECT count(*) FROM record_versions"), 0)
        XCTAssertEqual(count(store, "SELECT count(*) FROM runs"), 2, "only a run row is written")
    }

    func testUpdateKeepsTheIdAndThePreviousVersion() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "10")]))])
        let id = try store.database.scalarText("SELECT id FROM records")
        let observer = CollectingObserver()
        let (run, _) = try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "12")]))], observer: observer)
        XCTAssertEqual(run.counts, RunCounts(updated: 1))
        XCTAssertEqual(
            observer.changes.first?.fields, [FieldChange(path: "amount", from: .string("10.00"), to: .decimal(ExactDecimal("12.00")!))])
        XCTAssertEqual(try store.database.scalarText("SELECT id FROM records"), id, "the canonical id never changes")
        XCTAssertEqual(count(store, "SELECT version FROM records"), 2)
        XCTAssertEqual(try store.database.scalarText("SELECT json_extract(payload, '$.amount') FROM record_versions"), "10.00")
        XCTAssertEqual(count(store, "SELECT replaced_run FROM record_versions"), run.runID)
        XCTAssertEqual(try store.database.scalarText("SELECT amount_minor FROM expenses"), "1200", "the view shows the current version")
    }

    func testNumericallyEqualAmountsAreNotAChange() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "125.0")]))])
        let (run, _) = try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "125.00")]))])
        XCTAssertEqual(run.counts, RunCounts(unchanged: 1))
    }

    func testDryRunWritesNothingAndPlansLikeApply() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "10")]))])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try XCTUnwrap(SQLiteStore.openForReading(path: path))
        let observer = CollectingObserver()
        let (run, _) = try runImport(
            reader,
            [
                ("a.csv", ArrayStream([expenseRecord("e-1", amount: "11"), expenseRecord("e-2", amount: "5", line: 3)])),
                ("b.csv", ArrayStream([expenseRecord("e-2", amount: "6", file: "b.csv")])),
            ], mode: .dryRun, observer: observer)
        XCTAssertEqual(
            observer.changes.map(\.action), [.update, .create, .update],
            "b.csv's e-2 is diffed against what a.csv would have created")
        XCTAssertNil(run.runID)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes)
        XCTAssertEqual(count(store, "SELECT count(*) FROM runs"), 1)
        XCTAssertEqual(count(store, "SELECT count(*) FROM records"), 1)
    }

    func testASecondRowWithTheSameIdentityInOneFileIsRejected() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        let observer = CollectingObserver()
        let (run, status) = try runImport(
            store,
            [
                (
                    "a.csv",
                    ArrayStream([
                        expenseRecord("e-1", amount: "10", line: 2),
                        expenseRecord("e-1", amount: "99", line: 9),
                    ])
                )
            ],
            observer: observer)
        XCTAssertEqual(run.counts, RunCounts(created: 1, failed: 1))
        XCTAssertEqual(status, .partial)
        let issue = try XCTUnwrap(observer.rejects.first?.first)
        XCTAssertEqual(issue.code, .duplicateIdentity)
        XCTAssertEqual(issue.origin.line, 9)
        XCTAssertTrue(issue.message.contains("line 2") && issue.message.contains("line 9"), issue.message)
        XCTAssertEqual(try store.database.scalarText("SELECT amount_minor FROM expenses"), "1000", "the first row stands")
        XCTAssertEqual(count(store, "SELECT count(*) FROM rejects WHERE code = 'duplicate_identity'"), 1)
    }

    func testTheSameIdentityInTwoFilesIsNoDuplicateButARepeatInTheSecondIs() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        let observer = CollectingObserver()
        let (run, _) = try runImport(
            store,
            [
                ("a.csv", ArrayStream([expenseRecord("e-1", amount: "10", line: 2)])),
                (
                    "b.csv",
                    ArrayStream([
                        expenseRecord("e-1", amount: "12", line: 5, file: "b.csv"),
                        expenseRecord("e-1", amount: "13", line: 7, file: "b.csv"),
                    ])
                ),
            ], observer: observer)
        XCTAssertEqual(run.counts, RunCounts(created: 1, updated: 1, failed: 1))
        let issue = try XCTUnwrap(observer.rejects.first?.first)
        XCTAssertEqual(issue.code, .duplicateIdentity)
        XCTAssertTrue(issue.message.contains("first on line 5"), issue.message)
        XCTAssertEqual(try store.database.scalarText("SELECT amount_minor FROM expenses"), "1200")
    }

    func testADryRunDiffsEachInputAgainstTheLatestPlannedContent() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "10")]))])
        let reader = try XCTUnwrap(SQLiteStore.openForReading(path: path))
        let observer = CollectingObserver()
        try runImport(
            reader,
            [
                ("a.csv", ArrayStream([expenseRecord("e-1", amount: "11")])),
                ("b.csv", ArrayStream([expenseRecord("e-1", amount: "11", file: "b.csv")])),
                ("c.csv", ArrayStream([expenseRecord("e-1", amount: "10", file: "c.csv")])),
            ], mode: .dryRun, observer: observer)
        // b.csv repeats what a.csv planned; c.csv puts back the stored 10.00,
        // which is a change from the planned 11.00, not "unchanged".
        XCTAssertEqual(observer.changes.map(\.action), [.update, .unchanged, .update])
    }

    func testRejectsAreStoredWithTheirRawRow() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "ten", line: 4)]))])
        let row = try store.database.statement("SELECT file, line, source_id, field, code, raw FROM rejects")
            .firstRow { s in [s.text(0), String(s.int(1)), s.text(2), s.text(3), s.text(4), s.text(5)] }
        XCTAssertEqual(row, ["t.csv", "4", "e-1", "amount", "invalid_decimal", "e-1,ten"])
        XCTAssertEqual(try store.database.scalarText("SELECT status FROM runs"), "partial")
    }

    func testStrictAppliesNothingWhenAnythingIsRejected() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        let (_, status) = try runImport(
            store,
            [
                ("a.csv", ArrayStream([expenseRecord("e-1", amount: "10")])),
                ("b.csv", ArrayStream([expenseRecord("e-2", amount: "bad", file: "b.csv")])),
            ], strict: true)
        XCTAssertEqual(status, .rejected)
        XCTAssertEqual(count(store, "SELECT count(*) FROM records"), 0)
        XCTAssertEqual(try store.database.scalarText("SELECT status FROM runs"), "rejected")
        XCTAssertEqual(count(store, "SELECT count(*) FROM rejects"), 1)
        let (clean, cleanStatus) = try runImport(store, [("a.csv", ArrayStream([expenseRecord("e-1", amount: "10")]))], strict: true)
        XCTAssertEqual(cleanStatus, .succeeded)
        XCTAssertEqual(clean.counts, RunCounts(created: 1))
        XCTAssertEqual(count(store, "SELECT count(*) FROM records WHERE created_run = \(clean.runID!)"), 1)
    }

    func testAFailingInputIsRolledBackAndOthersStillApply() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        let observer = CollectingObserver()
        let (run, status) = try runImport(
            store,
            [
                ("bad.csv", ArrayStream([expenseRecord("e-1", amount: "10"), expenseRecord("e-2", amount: "20", line: 3)], failAfter: 1)),
                ("good.csv", ArrayStream([expenseRecord("e-3", amount: "30", file: "good.csv")])),
            ], observer: observer)
        XCTAssertEqual(status, .partial)
        XCTAssertEqual(observer.inputErrors.count, 1)
        XCTAssertEqual(
            try store.database.scalarText("SELECT group_concat(source_id) FROM records"), "e-3",
            "nothing of the failed file is half-written")
        XCTAssertEqual(run.counts, RunCounts(created: 1, failed: 1))
        XCTAssertEqual(count(store, "SELECT count(*) FROM rejects WHERE code = 'invalid_encoding'"), 1)
    }

    func testDryRunAgainstAMissingStoreUsesAnEmptyOne() throws {
        XCTAssertNil(try SQLiteStore.openForReading(path: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "opening for reading never creates the file")
        let (run, _) = try runImport(
            try SQLiteStore.inMemory(), [("a.csv", ArrayStream([expenseRecord("e-1", amount: "1")]))], mode: .dryRun)
        XCTAssertEqual(run.counts, RunCounts(created: 1))
    }

    func testCursorsMoveAndPersist() throws {
        let store = try SQLiteStore.openForWriting(path: path)
        try store.setCursor(connection: "api", stream: "expenses", value: #"{"page":3}"#, now: "t1")
        try store.setCursor(connection: "api", stream: "expenses", value: #"{"page":4}"#, now: "t2")
        XCTAssertEqual(try store.cursor(connection: "api", stream: "expenses"), #"{"page":4}"#)
        XCTAssertNil(try store.cursor(connection: "api", stream: "bills"))
    }
}
