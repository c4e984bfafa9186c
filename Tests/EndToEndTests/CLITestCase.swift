import BackfillCore
import Foundation
import XCTest

@testable import BackfillSQLite

/// Runs the built `backfill-sync` binary in a scratch directory holding a copy
/// of `samples/`, and checks what a user sees: stdout, stderr, exit code, store.
class CLITestCase: XCTestCase {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    var dir: URL!
    var db: String { dir.appendingPathComponent("backfill.sqlite").path }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `swift test` builds every product next to the test bundle.
    static var binary: URL {
        if let override = ProcessInfo.processInfo.environment["BACKFILL_SYNC_BIN"] { return URL(fileURLWithPath: override) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("backfill-sync")
    }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.packageRoot.appendingPathComponent("samples"), to: dir.appendingPathComponent("samples"))
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the tool first: \(Self.binary.path)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func run(_ args: [String], environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = args
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a large report cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
        assertPlainErrors(result.stderr, file: file, line: line)
        return result
    }

    /// Every run of every test passes here, so every error path the suite
    /// knows is checked: what a user reads on stderr is never a raw Swift
    /// value (`CommandError(exitCode: …)`) or a module-qualified type name.
    func assertPlainErrors(_ stderr: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(stderr.contains("Error("), "a raw Swift error value on stderr: \(stderr)", file: file, line: line)
        let modules = ["backfill_sync", "BackfillCore", "CSVUpload", "LayerBills", "BackfillAPI", "Foundation", "Swift"]
        for module in modules where stderr.contains(module + ".") {
            let qualified = stderr.components(separatedBy: module + ".").dropFirst().contains { $0.first?.isUppercase == true }
            XCTAssertFalse(qualified, "a module-qualified type name (\(module).…) on stderr: \(stderr)", file: file, line: line)
        }
    }

    func write(_ text: String, to name: String) -> String {
        let path = dir.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)), "cannot write \(path)")
        return name
    }

    func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], file: file, line: line)
    }

    /// The counts of a run's JSON report (`--report json`): created,
    /// updated, unchanged, failed, removed.
    func summary(_ result: Result, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Int]? {
        try json(result.stdout, file: file, line: line)["summary"] as? [String: Int]
    }

    /// One value (rows joined by newlines) from the store, read-only, the way
    /// a user would query it with the sqlite3 shell.
    func sqlite(_ sql: String, in store: String? = nil) throws -> String {
        let database = try Database(path: store.map { dir.appendingPathComponent($0).path } ?? db, readOnly: true)
        let statement = try database.statement(sql: sql)
        var rows: [String] = []
        while try statement.step() { rows.append(statement.text(0) ?? "") }
        return rows.joined(separator: "\n")
    }

    /// The rows of a one-column query, as a list.
    func rows(_ sql: String) throws -> [String] { try sqlite(sql).split(separator: "\n").map(String.init) }

    /// A CSV of `rows` approved USD expenses; its text report is about 110 bytes a row.
    func bigCSV(_ name: String, rows: Int, prefix: String = "e") -> String {
        var text = "ID,Date,Vendor,Amount,Currency,Status\n"
        for i in 0..<rows { text += "\(prefix)\(i),2026-03-02,Vendor \(i),\(i % 1000).25,USD,approved\n" }
        return write(text, to: name)
    }

    func importSamples() throws -> [Result] {
        [
            try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme", "--report", "json"]),
            try run([
                "import", "csv", "samples/bank_export.csv", "--object", "expense", "--connection", "bank",
                "--mapping", "samples/mappings/bank.json", "--report", "json",
            ]),
            try run(["import", "csv", "samples/vendor_bills.csv", "--object", "vendor_bill", "--connection", "acme", "--report", "json"]),
        ]
    }
}
