import Foundation
import XCTest
@testable import CSVUpload
@testable import BackfillCore

/// The connector conformance suite over the shipped samples: every record
/// comes out with an identity and an origin, identities are unique, nothing
/// is rejected, and a second run is all unchanged.
final class SamplesConformanceTests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

    struct Sample {
        let file: String
        let object: String
        let mapping: String?
        let expected: Int
    }

    let cases = [
        Sample(file: "expenses.csv", object: "expense", mapping: nil, expected: 6),
        Sample(file: "bank_export.csv", object: "expense", mapping: "mappings/bank.json", expected: 4),
        Sample(file: "vendor_bills.csv", object: "vendor_bill", mapping: nil, expected: 3),
    ]

    func testEverySampleConforms() throws {
        let store = try Store.inMemory()
        for sample in cases {
            let mapping = try sample.mapping.map { try CSVMapping.load(path: Self.samples.appendingPathComponent($0).path) } ?? CSVMapping()
            let connector = try CSVConnector(objectType: sample.object, connectionID: "conformance", mapping: mapping)
            let path = Self.samples.appendingPathComponent(sample.file).path
            var identities: Set<String> = []
            for pass in 1...2 {
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
                let observer = Observer()
                let run = try ImportRun(store: store, mode: .apply, strict: false, connector: "csv_upload", connectionID: "conformance",
                                        inputs: [path], normalizer: Normalizer(options: mapping.options), observer: observer)
                var stream = try connector.open(path)
                try run.process(input: path, stream: &stream)
                try run.finish()
                XCTAssertEqual(observer.rejects, [], sample.file)
                XCTAssertEqual(observer.changes.count, sample.expected, sample.file)
                for change in observer.changes {
                    XCTAssertEqual(change.origin.file, path)
                    XCTAssertNotNil(change.origin.line)
                    if pass == 1 { XCTAssertTrue(identities.insert(change.identity.key).inserted, "unique identity \(change.identity)") }
                }
                let expectedAction: ChangeAction = pass == 1 ? .create : .unchanged
                XCTAssertEqual(Set(observer.changes.map(\.action)), [expectedAction], "\(sample.file) pass \(pass)")
            }
        }
    }
}
