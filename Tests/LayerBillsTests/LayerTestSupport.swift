import Foundation
import XCTest

@testable import BackfillCore
@testable import LayerBills

func writeJSON(_ text: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layer-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("bills.json").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// All raw records a Layer file yields, normalized and validated.
func layerRecords(_ json: String, currency: String = "USD") throws -> [NormalizedRecord] {
    let connector = LayerConnector(connectionID: "acme", currency: currency)
    var stream = try connector.open(try writeJSON(json))
    var out: [NormalizedRecord] = []
    while let raw = try stream.next() {
        // As the pipeline does: a record that is not readable as one is not normalized.
        if raw.issues.contains(where: { $0.field == nil }) {
            out.append(NormalizedRecord(identity: nil, payload: [:], origin: raw.origin, rawText: raw.rawText, issues: raw.issues))
            continue
        }
        var r = Normalizer().normalize(raw)
        Validator().validate(&r, objectType: raw.objectType)
        out.append(r)
    }
    return out
}

func decimal(_ s: String) -> Value { .decimal(ExactDecimal(s)!) }

/// A minimal valid request-shape bill with the given overrides (JSON fragments).
func bill(_ id: String = "B-1", _ extra: String = "") -> String {
    """
    {"external_id": "\(id)", "received_at": "2026-04-02T15:20:00Z", "bill_terms": "NET_30", "vendor_external_id": "v-1",
     "line_items": [{"product_name": "Widget", "unit_price": 123, "quantity": 1}]\(extra.isEmpty ? "" : ", " + extra)}
    """
}
