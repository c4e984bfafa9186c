import BackfillCore
import LayerBills

enum ImportLayerCommand {
    static let spec = CommandSpec(
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
        arguments: [.init(name: "file", help: "Layer bill JSON files, in order.", variadic: true)],
        options: [
            .init(name: "--connection", valueName: "id", help: "connection_id that scopes these records' identity."),
            .init(name: "--currency", valueName: "code", help: "ISO 4217 currency of the bills (Layer bills carry none).",
                  defaultValue: "USD"),
        ] + ImportOptions.common,
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        let currency = (args.value("--currency") ?? "USD").uppercased()
        guard Currency.minorUnits(currency) != nil else {
            throw CommandError.usage("--currency '\(currency)' is not an ISO 4217 currency code.")
        }
        let connector = LayerConnector(connectionID: args.value("--connection"), currency: currency,
                                       limits: try ImportOptions.limits(args))
        return try ImportOptions(args).run(command: "import layer-bills", connector: LayerConnector.name,
                                           connectionID: args.value("--connection"), inputs: args.positionals,
                                           normalizer: Normalizer()) { run, file in
            var stream = try connector.open(file)
            try run.process(input: file, stream: &stream)
            return []
        }
    }
}
