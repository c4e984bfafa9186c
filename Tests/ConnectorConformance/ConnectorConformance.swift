import BackfillCore
import BackfillSQLite
import Foundation
import XCTest

/// The conformance suite every connector passes over its `samples/`: records
/// come out, each with an identity and an origin; identities are unique; nothing
/// is rejected; and a second run of the same input is all unchanged.
public enum ConnectorConformance {
    public static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

    final class Observer: RunObserver {
        var changes: [RecordChange] = []
        var rejects: [RecordIssue] = []
        func inputStarted(_ input: String) {}
        func recordProcessed(_ change: RecordChange) { changes.append(change) }
        func recordRejected(_ issues: [RecordIssue], rawText: String) { rejects += issues }
        func inputFailed(_ error: InputError, discarded: Bool) { rejects.append(error.asIssue) }
        func inputFinished(_ input: String, counts: RunCounts) {}
        func progress(input: String, records: Int) {}
    }

    /// Runs `connector` over `sample` twice into `store` and checks the rules;
    /// returns the first pass's changes for further checks.
    @discardableResult
    public static func check<C: Connector>(
        _ connector: C, sample: String, store: SQLiteStore, normalizer: Normalizer = Normalizer(),
        expectedRecords: Int, file: StaticString = #filePath, line: UInt = #line
    ) throws -> [RecordChange] {
        let path = samples.appendingPathComponent(sample).path
        var firstPass: [RecordChange] = []
        for pass in 1...2 {
            let observer = Observer()
            let run = try ImportRun(
                store: store, mode: .apply, strict: false, connector: connector.sourceSystem,
                connectionID: "conformance", inputs: [path], normalizer: normalizer, observer: observer)
            var stream = try connector.open(path)
            try run.process(input: path, stream: &stream)
            try run.finish()
            XCTAssertEqual(observer.rejects, [], "\(sample) pass \(pass)", file: file, line: line)
            XCTAssertEqual(observer.changes.count, expectedRecords, "\(sample) pass \(pass)", file: file, line: line)
            var identities: Set<String> = []
            for change in observer.changes {
                XCTAssertEqual(change.origin.file, path, file: file, line: line)
                XCTAssertTrue(
                    change.origin.line != nil || change.origin.jsonPath != nil, "origin of \(change.identity)", file: file, line: line)
                XCTAssertTrue(identities.insert(change.identity.key).inserted, "unique identity \(change.identity)", file: file, line: line)
                XCTAssertEqual(change.identity.sourceSystem, connector.sourceSystem, file: file, line: line)
            }
            let expected: ChangeAction = pass == 1 ? .create : .unchanged
            XCTAssertEqual(Set(observer.changes.map(\.action)), [expected], "\(sample) pass \(pass)", file: file, line: line)
            if pass == 1 { firstPass = observer.changes }
        }
        return firstPass
    }
}
