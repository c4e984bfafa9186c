import Foundation
import XCTest

@testable import BackfillCore
@testable import BackfillSQLite

/// A record stream over records built in the test; can fail after some.
struct ArrayStream: RecordStream {
    var records: [RawRecord]
    var failAfter: Int? = nil
    var index = 0

    init(_ records: [RawRecord], failAfter: Int? = nil) {
        self.records = records
        self.failAfter = failAfter
    }

    mutating func next() throws(InputError) -> RawRecord? {
        if let failAfter, index == failAfter {
            throw InputError(kind: .malformed, origin: Origin(file: "t.csv", line: index + 2), code: .invalidEncoding, message: "bad byte")
        }
        guard index < records.count else { return nil }
        defer { index += 1 }
        return records[index]
    }
}

final class CollectingObserver: RunObserver {
    var changes: [RecordChange] = []
    var rejects: [[RecordIssue]] = []
    var inputErrors: [InputError] = []
    func inputStarted(_ input: String) {}
    func recordProcessed(_ change: RecordChange) { changes.append(change) }
    func recordRejected(_ issues: [RecordIssue], rawText: String) { rejects.append(issues) }
    func inputFailed(_ error: InputError, discarded: Bool) { inputErrors.append(error) }
    func inputFinished(_ input: String, counts: RunCounts) {}
    func progress(input: String, records: Int) {}
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func expenseRecord(_ id: String, amount: String, line: Int = 2, file: String = "t.csv") -> RawRecord {
    RawRecord(
        objectType: "expense", origin: Origin(file: file, line: line), sourceSystem: "csv_upload", connectionID: "acme",
        fields: [
            "source_id": .string(id), "amount": .string(amount), "currency": .string("USD"),
            "status": .string("approved"), "expense_date": .string("2026-03-02"),
        ],
        rawText: "\(id),\(amount)")
}

/// Runs `inputs` (name → records) through one import run.
@discardableResult
func runImport(
    _ store: SQLiteStore, _ inputs: [(String, ArrayStream)], mode: ImportRun.Mode = .apply, strict: Bool = false,
    observer: CollectingObserver = CollectingObserver()
) throws -> (ImportRun, ImportRun.Status) {
    let run = try ImportRun(
        store: store, mode: mode, strict: strict, connector: "csv_upload", connectionID: "acme",
        inputs: inputs.map(\.0), normalizer: Normalizer(), observer: observer)
    for (name, stream) in inputs {
        var s = stream
        try run.process(input: name, stream: &s)
    }
    return (run, try run.finish())
}

func count(_ store: SQLiteStore, _ sql: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
    do { return try store.database.scalarInt(sql) ?? -1 } catch {
        XCTFail("\(error)", file: file, line: line)
        return -1
    }
}
