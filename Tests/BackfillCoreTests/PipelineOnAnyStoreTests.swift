import Foundation
import XCTest

@testable import BackfillCore

/// The pipeline and the sync runner against `InMemoryRecordStore`: no SQLite
/// anywhere, so whatever they need of a store is in `RecordStore`.
final class PipelineOnAnyStoreTests: XCTestCase {
    /// Opens inputs by name from a table of streams.
    func fileImport(_ inputs: [String: ArrayStream]) -> FileImport {
        FileImport(connector: "csv_upload", connectionID: "acme", objectType: "expense") { name throws(InputError) in
            guard let stream = inputs[name] else {
                throw InputError(kind: .unreadable, origin: Origin(file: name), code: .malformedInput, message: "no such file")
            }
            return AnyRecordStream(stream)
        }
    }

    func runner(
        _ store: InMemoryRecordStore, mode: ImportRun.Mode = .apply, observer: CollectingObserver = CollectingObserver()
    )
        -> SyncRunner
    {
        SyncRunner(store: store, mode: mode, observer: observer)
    }

    func testImportUpdateAndRollbackOnAStoreWithoutSQLite() throws {
        let store = InMemoryRecordStore()
        let inputs = [
            "a.csv": ArrayStream([expenseRecord("e-1", amount: "10"), expenseRecord("e-2", amount: "20", line: 3)]),
            "b.csv": ArrayStream([expenseRecord("e-3", amount: "30", file: "b.csv")], failAfter: 1),
        ]
        let first = try runner(store).importFiles(["a.csv", "b.csv", "gone.csv"], with: fileImport(inputs), strict: false)
        XCTAssertEqual(first.counts.created, 2)
        XCTAssertEqual(first.counts.failed, 2, "b.csv failed midway, gone.csv could not be opened")
        XCTAssertTrue(first.unreadableInputs)
        XCTAssertEqual(first.status, .partial)
        XCTAssertEqual(store.state.rows.map(\.identity.sourceID), ["e-1", "e-2"], "b.csv's record was rolled back with it")
        XCTAssertEqual(store.state.runs.map(\.status), ["partial"])
        XCTAssertEqual(store.state.rejects.map(\.issue.code), [.invalidEncoding, .malformedInput], "b.csv's bad byte, gone.csv")
        XCTAssertEqual(store.state.rows[0].columns.moneyMinor, 1000, "the headline money reaches the store in minor units")

        // The same file again: nothing changes, not even a version.
        let again = try runner(store).importFiles(["a.csv"], with: fileImport(inputs), strict: false)
        XCTAssertEqual(again.counts, RunCounts(unchanged: 2))
        XCTAssertEqual(store.state.rows.map(\.version), [1, 1])

        // One amount changed: one update, the old version kept, found by its row token.
        let changed = ["a.csv": ArrayStream([expenseRecord("e-1", amount: "12.50"), expenseRecord("e-2", amount: "20", line: 3)])]
        let observer = CollectingObserver()
        let update = try runner(store, observer: observer).importFiles(["a.csv"], with: fileImport(changed), strict: false)
        XCTAssertEqual(update.counts, RunCounts(updated: 1, unchanged: 1))
        XCTAssertEqual(observer.changes.first?.fields.map(\.text), [#"amount: "10.00" → "12.50""#])
        let history = try store.histories(objectType: "expense", sourceID: "e-1", connectionID: nil, sourceSystem: nil)
        XCTAssertEqual(history.first?.versions.count, 2)
        XCTAssertEqual(store.state.rows[0].columns.moneyMinor, 1250)
    }

    func testADryRunWritesNothingAndStillSeesItsOwnEarlierInputs() throws {
        let store = InMemoryRecordStore()
        let inputs = [
            "a.csv": ArrayStream([expenseRecord("e-1", amount: "10")]),
            "b.csv": ArrayStream([expenseRecord("e-1", amount: "11", file: "b.csv")]),
        ]
        let result = try runner(store, mode: .dryRun).importFiles(["a.csv", "b.csv"], with: fileImport(inputs), strict: false)
        XCTAssertEqual(result.counts, RunCounts(created: 1, updated: 1), "b.csv diffs against what a.csv would have written")
        XCTAssertTrue(store.state.rows.isEmpty && store.state.runs.isEmpty, "a dry run leaves no record and no run row")
    }

    func testAStrictRunAppliesNothingWhenAnythingIsRejected() throws {
        let store = InMemoryRecordStore()
        let inputs = ["a.csv": ArrayStream([expenseRecord("e-1", amount: "10"), expenseRecord("e-2", amount: "lots", line: 3)])]
        let result = try runner(store).importFiles(["a.csv"], with: fileImport(inputs), strict: true)
        XCTAssertEqual(result.status, .rejected)
        XCTAssertTrue(store.state.rows.isEmpty)
        XCTAssertEqual(store.state.runs.map(\.status), ["rejected"])
        XCTAssertEqual(store.state.rejects.map(\.issue.field), ["amount"])
    }

    /// A source of inputs with cursors, and one failure at the end.
    final class ScriptedSource: SyncSource {
        var steps: [SyncStep]
        var closed = false
        let objectType = "expense"
        var inputsAreIndependent: Bool { false }
        init(_ steps: [SyncStep]) { self.steps = steps }
        func next(cursor: (String) throws -> String?) throws -> SyncStep { steps.isEmpty ? .end : steps.removeFirst() }
        func close() { closed = true }
    }

    final class ScriptedConnection: SyncConnection {
        let entry: ConnectionEntry
        let makeSources: () -> [SyncSource]
        init(_ entry: ConnectionEntry, _ makeSources: @escaping () -> [SyncSource]) {
            self.entry = entry
            self.makeSources = makeSources
        }
        var runInputs: [String] { ["scripted"] }
        var normalizer: Normalizer { Normalizer() }
        func check(environment: [String: String]) -> [String] { [] }
        func sources(_ context: SyncContext) throws -> [SyncSource] { makeSources() }
    }

    func entry() throws -> ConnectionEntry {
        struct Scripted: ConnectorFactory {
            var kind: String { "scripted" }
            var syncs: Bool { true }
            func connection(_ entry: ConnectionEntry) throws(SyncConfig.ConfigError) -> SyncConnection? {
                ScriptedConnection(entry) { [] }
            }
        }
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("sync.json").path
        try Data(#"{"version": 1, "connections": [{"name": "s", "connector": "scripted", "connection_id": "c"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        return try SyncConfig.load(path: path, factories: [Scripted()]).connections[0].entry
    }

    func page(_ n: Int, cursor: String) -> SyncStep {
        let record = expenseRecord("e-\(n)", amount: "\(n)")
        return .input(SyncInput(label: "page \(n)", cursor: ("expense", cursor)) { AnyRecordStream(ArrayStream([record])) })
    }

    func testTheRunnerMovesCursorsWithEachInputSkipsUnmovedOnesAndEndsASourceOnATemporaryFailure() throws {
        let store = InMemoryRecordStore()
        let entry = try entry()
        let context = SyncContext(dryRun: false) { _ in }
        var sources: [ScriptedSource] = []
        let connection = ScriptedConnection(entry) {
            let source = ScriptedSource([
                self.page(1, cursor: "after-1"), self.page(2, cursor: "after-2"),
                .failed(
                    SourceFailure(
                        .temporary,
                        InputError(
                            kind: .malformed, origin: Origin(file: "page 3"),
                            code: .fetchFailed, message: "retries exhausted"))),
                self.page(4, cursor: "never"),
            ])
            sources.append(source)
            return [source]
        }
        let runner = runner(store)
        let first = try runner.sync(connection, context: context)
        XCTAssertEqual(first.counts.created, 2)
        XCTAssertEqual(runner.failures.temporary, 1)
        XCTAssertTrue(sources[0].closed, "a temporary failure ends its source")
        XCTAssertEqual(try store.cursor(connection: "s", stream: "expense"), "after-2", "the cursor of the last committed input")
        XCTAssertEqual(store.state.rows.count, 2, "page 4 was never read")

        // The stored cursor equals the input's: skipped, and said so.
        let second = SyncRunner(store: store, mode: .apply, observer: CollectingObserver())
        let again = ScriptedConnection(entry) { [ScriptedSource([self.page(2, cursor: "after-2")])] }
        let result = try second.sync(again, context: context)
        XCTAssertEqual(result.counts, RunCounts())
        XCTAssertEqual(second.notes, ["s: 1 input(s) unchanged since their last import, skipped"])
    }
}
