import ConnectorConformance
import Foundation
import XCTest

@testable import BackfillCore
@testable import BackfillSQLite
@testable import CSVUpload

/// The CSV connector over every shipped CSV sample.
final class SamplesConformanceTests: XCTestCase {
    func testEverySampleConforms() throws {
        let store = try SQLiteStore.inMemory()
        try ConnectorConformance.check(
            try CSVConnector(objectType: "expense", connectionID: "conformance"),
            sample: "expenses.csv", store: store, expectedRecords: 6)
        let bank = try CSVMapping.load(path: ConnectorConformance.samples.appendingPathComponent("mappings/bank.json").path)
        try ConnectorConformance.check(
            try CSVConnector(objectType: "expense", connectionID: "conformance", mapping: bank),
            sample: "bank_export.csv", store: store, normalizer: Normalizer(options: bank.options),
            expectedRecords: 4)
        try ConnectorConformance.check(
            try CSVConnector(objectType: "vendor_bill", connectionID: "conformance"),
            sample: "vendor_bills.csv", store: store, expectedRecords: 3)
    }
}
