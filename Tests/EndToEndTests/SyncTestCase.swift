import BackfillAPIStub
import BackfillCore
import Foundation
import XCTest

/// End-to-end tests of `sync` against the loopback stub server.
class SyncTestCase: CLITestCase {
    static let token = "tok_7f3a9c-do-not-log-me"
    var servers: [StubServer] = []

    override func tearDownWithError() throws {
        for server in servers { server.stop() }
        try super.tearDownWithError()
    }

    func stub(_ configure: (inout StubServer.Options) -> Void = { _ in }) throws -> StubServer {
        var options = StubServer.Options(dataDirectory: dir.appendingPathComponent("samples/backfill_api").path, token: Self.token)
        configure(&options)
        let server = try StubServer(options: options)
        server.start()
        servers.append(server)
        return server
    }

    /// A config with one API connection to `server` (and, if asked, the file
    /// drops). `settings` adds keys to it: `, "max_retry_after_seconds": 1`.
    @discardableResult
    func config(
        _ server: StubServer, name: String = "sync.json", store: String = "backfill.sqlite", pageSize: Int = 2,
        objects: [String]? = nil, maxRetries: Int = 5, timeout: Double = 5, settings: String = "",
        drops: Bool = false, connectionID: String = "conn_acme"
    ) -> String {
        let objectList = objects.map { ", \"objects\": [" + $0.map { "\"\($0)\"" }.joined(separator: ", ") + "]" } ?? ""
        var connections = [
            #"{"name": "acme-api", "connector": "backfill_api", "connection_id": "\#(connectionID)", "base_url": "\#(server.baseURL)", "token_env": "BACKFILL_TOKEN", "page_size": \#(pageSize), "max_requests_per_second": 1000, "burst": 1000, "max_retries": \#(maxRetries), "timeout_seconds": \#(timeout)\#(settings)\#(objectList)}"#
        ]
        if drops {
            connections.append(
                #"{"name": "bank-drops", "connector": "csv_upload", "connection_id": "conn_bank", "glob": "samples/bank_export.csv", "object": "expense", "mapping": "samples/mappings/bank.json"}"#
            )
            connections.append(
                #"{"name": "layer-drops", "connector": "layer_bills", "connection_id": "conn_layer", "glob": "samples/layer_bills.json"}"#)
        }
        // A PostgreSQL store is a URL (`store.url`); a SQLite one a path.
        let storeKey = store.hasPrefix("postgres") ? "url" : "path"
        return write(
            #"{"version": 1, "store": {"\#(storeKey)": "\#(store)"}, "connections": [\#(connections.joined(separator: ", "))]}"#, to: name)
    }

    func sync(_ args: [String] = [], config: String = "sync.json") throws -> Result {
        try run(["sync", "--config", config] + args, environment: ["BACKFILL_TOKEN": Self.token])
    }

    /// A `sync` running in the background, its output discarded.
    func launchSync(config: String = "sync.json", extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["sync", "--config", config] + extra
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(["BACKFILL_TOKEN": Self.token]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Every canonical record of every type, without the store's own timestamps
    /// (two stores filled at different moments differ only in those).
    func exportAll(db: String = "backfill.sqlite") throws -> String {
        var out = ""
        for type in ContractCatalog.standard.objectTypes {
            for line in try run(["export", type, "--db", db]).stdout.split(separator: "\n") {
                var record = try json(String(line))
                record.removeValue(forKey: "created_at")
                record.removeValue(forKey: "updated_at")
                out += String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self) + "\n"
            }
        }
        return out
    }
}
