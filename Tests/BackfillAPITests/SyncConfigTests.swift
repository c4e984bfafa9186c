import CSVUpload
import Foundation
import LayerBills
import XCTest

@testable import BackfillAPI
@testable import BackfillCore

final class SyncConfigTests: XCTestCase {
    func load(_ json: String) throws -> SyncConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("sync.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return try SyncConfig.load(path: path, factories: Self.factories)
    }

    static let factories: [ConnectorFactory] = [CSVFactory(), LayerFactory(), BackfillAPIFactory()]

    func api(_ connection: SyncConnection) -> BackfillAPISettings { (connection as! BackfillAPIConnection).settings }

    func testTheExampleConfigLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config.example.json").path
        let config = try SyncConfig.load(path: path, factories: Self.factories)
        XCTAssertEqual(config.warnings, [])
        XCTAssertEqual(config.connections.map(\.entry.name), ["acme-api", "bank-drops", "layer-drops"])
        XCTAssertEqual(api(config.connections[0]).objects, ["expense", "vendor_bill"])
        XCTAssertEqual(api(config.connections[0]).tokenEnv, "BACKFILL_TOKEN")
        XCTAssertTrue((config.connections[1] as! FileDropConnection).glob.hasSuffix("/drops/bank/*.csv"), "relative to the config's folder")
        XCTAssertTrue(config.storePath.hasPrefix("/"))
    }

    func testErrorsNameTheKeyPath() {
        let api = #"{"name": "a", "connector": "backfill_api", "connection_id": "c", "base_url": "https://x.example", "token_env": "T"}"#
        let cases: [(String, String)] = [
            (#"{"version": 2, "connections": []}"#, "version"),
            (#"{"version": 1}"#, "connections"),
            (
                #"{"version": 1, "connections": [\#(api), {"name": "b", "connector": "backfill_api", "connection_id": "c", "base_url": "https://x"}]}"#,
                "connections[1].token_env"
            ),
            (#"{"version": 1, "connections": [{"name": "a", "connector": "ftp", "connection_id": "c"}]}"#, "connections[0].connector"),
            (
                #"{"version": 1, "connections": [{"name": "a", "connector": "backfill_api", "connection_id": "c", "base_url": "http://api.example.com", "token_env": "T"}]}"#,
                "connections[0].base_url"
            ),
            (
                #"{"version": 1, "connections": [{"name": "a", "connector": "backfill_api", "connection_id": "c", "base_url": "https://x", "token_env": "T", "objects": ["expence"]}]}"#,
                "connections[0].objects[0]"
            ),
            (
                #"{"version": 1, "connections": [{"name": "a", "connector": "backfill_api", "connection_id": "c", "base_url": "https://x", "token_env": "T", "page_size": 0}]}"#,
                "connections[0].page_size"
            ),
            (#"{"version": 1, "connections": [\#(api), \#(api)]}"#, "connections[1].name"),
        ]
        for (json, keyPath) in cases {
            XCTAssertThrowsError(try load(json), json) { error in
                XCTAssertEqual((error as! SyncConfig.ConfigError).keyPath, keyPath, json)
            }
        }
    }

    func testUnknownKeysWarnAndLoopbackHTTPIsAllowed() throws {
        let config = try load(
            #"{"version": 1, "colour": "red", "connections": [{"name": "a", "connector": "backfill_api", "connection_id": "c", "base_url": "http://127.0.0.1:8089", "token_env": "T", "pagesize": 3}]}"#
        )
        XCTAssertEqual(config.warnings.count, 2)
        XCTAssertTrue(config.warnings[1].contains("connections[0].pagesize"), config.warnings[1])
        XCTAssertEqual(api(config.connections[0]).objects.count, 21, "default: every type the API lists")
    }

    func testCleartextOnlyToAddressesThatAreLoopbackAndNoPasswordsInURLs() throws {
        func api(_ url: String) -> String {
            #"{"version": 1, "connections": [{"name": "a", "connector": "backfill_api", "connection_id": "c", "base_url": "\#(url)", "token_env": "T"}]}"#
        }
        for url in ["http://127.0.0.1:8089", "http://127.9.9.9", "http://localhost:1", "http://[::1]:8089", "http://127.1"] {
            XCTAssertNoThrow(try load(api(url)), url)
        }
        // Decided from the resolved address, not the text: these only look like loopback.
        for url in ["http://127.attacker.example", "http://127.0.0.1.nip.io", "http://localhost.example", "http://[::2]", "http://0.0.0.0"]
        {
            XCTAssertThrowsError(try load(api(url)), url) { error in
                XCTAssertEqual((error as! SyncConfig.ConfigError).keyPath, "connections[0].base_url", url)
            }
        }
        for url in ["https://user:s3cret@api.example.com", "http://admin:hunter2@127.0.0.1:8089", "https://token@api.example.com"] {
            XCTAssertThrowsError(try load(api(url)), url) { error in
                let e = error as! SyncConfig.ConfigError
                XCTAssertTrue(e.message.contains("user name or password"), e.message)
                XCTAssertFalse("\(e)".contains("s3cret") || "\(e)".contains("hunter2"), "the password is never repeated: \(e)")
            }
        }
    }
}
