import BackfillCore

/// The `layer_bills` connector as a plug-in: `import layer-bills`, and file
/// drops in a sync config (`glob`, optional `currency`).
public struct LayerFactory: ConnectorFactory {
    public init() {}
    public var kind: String { LayerConnector.name }
    public var syncs: Bool { true }

    public func connection(_ entry: ConnectionEntry) throws(SyncConfig.ConfigError) -> SyncConnection? {
        entry.warnUnknown(besides: ["glob", "currency"])
        let glob = entry.reader.resolve(try entry.string("glob", required: true)!)
        let currency = (try entry.string("currency") ?? "USD").uppercased()
        guard Currency.minorUnits(currency) != nil else { throw entry.fail("currency", "'\(currency)' is not an ISO 4217 code") }
        let connector = LayerConnector(connectionID: entry.connectionID, currency: currency)
        return FileDropConnection(entry: entry, glob: glob, objectType: "vendor_bill") { connector.fileImport }
    }

    public var importCommand: FileImportCommand? {
        FileImportCommand(
            name: "layer-bills",
            abstract: "Import Layer bulk-bill JSON (request or response shape) as vendor bills, expenses, payments and vendors.",
            discussion: """
                Reads the body of Layer's POST /v1/businesses/{id}/bills/bulk (a JSON array of
                bills) or its response ({"data": [...]}), streaming one bill at a time.
                Each bill becomes a vendor_bill (an expense when is_expense is true) keyed by
                its external_id, with its lines, taxes and tags; each payment a bill_payment;
                an embedded vendor a vendor. Amounts are integer cents ("123" → "1.23");
                anything else is rejected, never rounded.

                A bill re-imported without "payments" keeps its payments; with a "payments"
                list, earlier payments missing from it are marked removed (never deleted);
                "payments": [] removes them all. A dry run shows these as "- remove".

                EXIT CODES: as for import csv (0, 65, 64, 66, 73, 74, 75, 77, 130/143, 70;
                2 with --detailed-exitcode).

                EXAMPLES:
                  backfill-sync import layer-bills samples/layer_bills.json --connection acme-layer
                  backfill-sync import layer-bills bills.json --currency CAD --dry-run --report json
                """,
            fileHelp: "Layer bill JSON files, in order.",
            options: [
                .init(name: "--connection", valueName: "id", help: "connection_id that scopes these records' identity."),
                .init(
                    name: "--currency", valueName: "code", help: "ISO 4217 currency of the bills (Layer bills carry none).",
                    defaultValue: "USD"),
            ]
        ) { args, limits in
            let currency = (args.value("--currency") ?? "USD").uppercased()
            guard Currency.minorUnits(currency) != nil else {
                throw UsageError("--currency '\(currency)' is not an ISO 4217 currency code.")
            }
            return LayerConnector(connectionID: args.value("--connection"), currency: currency, limits: limits).fileImport
        }
    }
}

extension LayerConnector {
    var fileImport: FileImport {
        FileImport(connector: Self.name, connectionID: connectionID, objectType: "vendor_bill") { file throws(InputError) in
            AnyRecordStream(try open(file))
        }
    }
}
