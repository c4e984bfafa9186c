// swift-tools-version:6.0
// backfill-sync: connectors turn provider input into raw records; the core
// normalizes, validates, diffs and applies them to a store behind the
// RecordStore protocol (SQLite by default).
// No third-party packages: SQLite, libcurl and libpq come from the system
// (libsqlite3-dev, libcurl4-openssl-dev, libpq-dev).
import Foundation
import PackageDescription

let package = Package(
    name: "backfill-sync",
    products: [
        .executable(name: "backfill-sync", targets: ["backfill-sync"]),
        .executable(name: "backfill-api-stub", targets: ["backfill-api-stub"]),
        .executable(name: "backfill-fuzz", targets: ["backfill-fuzz"]),
    ],
    targets: [
        // SQLite through the system library; `apt-get install libsqlite3-dev`.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // libcurl for the API client (`apt-get install libcurl4-openssl-dev`):
        // its write callback can stop a body at a limit, which
        // FoundationNetworking's URLSession cannot.
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libpq for the PostgreSQL store (`apt-get install libpq-dev`).
        .systemLibrary(
            name: "CLibpq",
            path: "Sources/CLibpq",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // SHA-256 in C: the x86 SHA extensions when the CPU has them, a
        // portable path otherwise. Content hashes and ids are on every record.
        .target(name: "CSHA256", path: "Sources/CSHA256"),
        // The engine: contracts, normalize, validate, diff, apply, sync, report,
        // and the RecordStore protocol. It never imports a connector or a
        // store backend, and never prints.
        .target(name: "BackfillCore", dependencies: ["CSHA256", "CCurl"]),
        // The SQLite store: Database, Statement, Schema and views, RunLock.
        .target(name: "BackfillSQLite", dependencies: ["BackfillCore", "CSQLite"]),
        // The PostgreSQL store: Connection (libpq), its schema and migrations,
        // the staged write path, advisory run locks.
        .target(name: "BackfillPostgres", dependencies: ["BackfillCore", "CLibpq"]),
        // Connectors: each turns one provider format into raw records.
        .target(name: "CSVUpload", dependencies: ["BackfillCore"], path: "connectors/csv_upload"),
        .target(name: "LayerBills", dependencies: ["BackfillCore"], path: "connectors/layer_bills"),
        .target(name: "BackfillAPI", dependencies: ["BackfillCore"], path: "connectors/backfill_api"),
        .target(name: "JSONL", dependencies: ["BackfillCore"], path: "connectors/jsonl"),
        // A loopback stand-in for the Backfill API, with fault injection: used
        // by the tests and, as `backfill-api-stub`, for a local sync demo.
        .target(name: "BackfillAPIStub", dependencies: ["BackfillCore"]),
        .executableTarget(name: "backfill-api-stub", dependencies: ["BackfillAPIStub"]),
        // The command-line tool: commands, diagnostics, the connector registry.
        .executableTarget(
            name: "backfill-sync",
            dependencies: ["BackfillCore", "BackfillSQLite", "BackfillPostgres", "CSVUpload", "LayerBills", "BackfillAPI", "JSONL"]),
        // Every stage that parses input, as fuzz targets: run by libFuzzer
        // through `backfill-fuzz` (scripts/fuzz), replayed by the tests.
        .target(name: "FuzzTargets", dependencies: ["BackfillCore", "CSVUpload", "LayerBills", "BackfillAPI", "JSONL"]),
        .executableTarget(name: "backfill-fuzz", dependencies: ["FuzzTargets"]),
        // The conformance suite every connector's tests run over samples/.
        .target(name: "ConnectorConformance", dependencies: ["BackfillCore", "BackfillSQLite"], path: "Tests/ConnectorConformance"),
        .testTarget(name: "BackfillCoreTests", dependencies: ["BackfillCore", "BackfillSQLite", "CSHA256"]),
        .testTarget(name: "CSVUploadTests", dependencies: ["CSVUpload", "BackfillCore", "BackfillSQLite", "ConnectorConformance"]),
        .testTarget(name: "LayerBillsTests", dependencies: ["LayerBills", "BackfillCore", "BackfillSQLite", "ConnectorConformance"]),
        .testTarget(
            name: "BackfillAPITests",
            dependencies: ["BackfillAPI", "CSVUpload", "LayerBills", "BackfillCore", "BackfillSQLite", "BackfillAPIStub"]),
        .testTarget(name: "JSONLTests", dependencies: ["JSONL", "BackfillCore"]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["BackfillCore", "BackfillSQLite", "BackfillPostgres", "BackfillAPIStub"],
            exclude: ["Fixtures"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"], exclude: ["corpus"]),
    ],
    swiftLanguageModes: [.v6]
)

// CI builds with every warning an error (`.ci/run` sets
// BACKFILL_WARNINGS_AS_ERRORS=1): a warning fails the build there instead of
// waiting for someone to notice it. Ordinary builds leave it out, so that a
// newer compiler's new warning never stops a user's build from source.
if ProcessInfo.processInfo.environment["BACKFILL_WARNINGS_AS_ERRORS"] == "1" {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-warnings-as-errors"])]
    }
}
