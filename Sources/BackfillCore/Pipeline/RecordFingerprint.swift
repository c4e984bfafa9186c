import Foundation
import Synchronization

/// The fast path's key: a hash of a raw record as its connector produced it,
/// seeded with everything else that shapes its canonical payload. When it
/// equals the one stored with that identity, the record is the one already
/// stored, and normalization, validation, serialization and hashing are
/// skipped: the row counts as unchanged.
///
/// What goes in, and why that is enough:
/// - The raw record: object type, source system, connection, the provider's
///   id, every mapped and unmapped field with its value as read, its parent
///   and the children it states. A connector applies the mapping (column
///   names, debit/credit and direction columns, derived row ids) before the
///   record exists, so the mapping is in these values. A CSV row's text alone
///   would not be: the same text under another header means other fields.
/// - The seed: the normalizer's options (amount format, date patterns, time
///   zone: the parts of a mapping applied after the connector), the contract
///   catalog's text, the tool's version and this executable's size and
///   modification time, so a rebuilt tool misses on every record once rather
///   than trusting fingerprints its older self wrote.
///
/// A connector that can name the bytes a record was made from (Layer: the
/// bill as written) lets the fingerprint be their hash instead
/// (`RawRecord.madeFrom`), which costs a fraction of serializing the record.
///
/// A miss only costs the slow path, so correctness never rests on the cache;
/// a hit needs all 128 bits equal. Records with issues from their connector
/// get none: they are never stored, so they could never hit.
public struct RecordFingerprinter: Sendable {
    let seed: [UInt8]

    public init(catalog: ContractCatalog, options: NormalizeOptions) {
        var seed = Array("backfill-sync record fingerprint 1\u{1F}\(ToolVersion.current)\u{1F}".utf8)
        seed += Self.buildStamp.utf8
        seed += Array("\u{1F}\(catalog.fingerprint)\u{1F}".utf8)
        let patterns = options.datePatterns.map(\.text).joined(separator: "\u{1E}")
        seed += Array("\(options.amountFormat)\u{1F}\(patterns)\u{1F}\(options.timeZone?.identifier ?? "")".utf8)
        self.seed = SHA256.digest(seed)
    }

    /// False when `BACKFILL_FAST_PATH` is `off`: for comparing the two
    /// paths, or ruling the fast one out when something looks wrong.
    public static var enabledByEnvironment: Bool {
        ProcessInfo.processInfo.environment["BACKFILL_FAST_PATH"]?.lowercased() != "off"
    }

    /// The executable's size and modification time: changes with every build.
    static let buildStamp: String = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return "unknown build" }
        return "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }()

    /// 16 bytes, or nil for a record that can never be on the fast path.
    public func fingerprint(of raw: RawRecord) -> [UInt8]? {
        guard raw.issues.isEmpty else { return nil }
        if let source = raw.madeFrom {
            // Its bytes as read decide it (`RawRecord.SourceBytes`): hashed as
            // they are, with no record serialized. The tag keeps these
            // fingerprints apart from the described kind below.
            // One buffer, hashed in one call: a CSV row is about 80 bytes,
            // so building the input costs as much as hashing it. Type,
            // source system and connection are the identity's, which the
            // fingerprint is only ever compared within; the context's
            // length keeps where it ends and the bytes begin unambiguous.
            let context = source.context.utf8
            var input = seed
            input.reserveCapacity(seed.count + 96 + context.count + source.bytes.count)
            input += "made from\u{1F}".utf8
            input += raw.objectType.utf8
            input.append(0x1F)
            input += raw.sourceSystem.utf8
            input.append(0x1F)
            input += (raw.connectionID ?? "").utf8
            input.append(0x1F)
            withUnsafeBytes(of: UInt64(context.count).littleEndian) { input += $0 }
            input += context
            input += source.bytes
            return Array(SHA256.digest(input).prefix(16))
        }
        var described: Fields = [
            "c": .string(raw.connectionID ?? ""), "f": .object(raw.fields), "s": .string(raw.sourceSystem),
            "t": .string(raw.objectType), "u": .object(raw.unmapped),
        ]
        if let id = raw.canonicalID { described["i"] = .string(id) }
        if let parent = raw.parent { described["p"] = .string(parent.key) }
        if let owned = raw.ownedChildren {
            described["o"] = .array([.string(owned.objectType)] + owned.sourceIDs.sorted().map(Value.string))
        }
        var bytes = seed
        CanonicalJSON.write(.object(described), into: &bytes)
        return Array(SHA256.digest(bytes).prefix(16))
    }
}

/// Whether the read-ahead threads leave normalization to the store thread:
/// yes while most of the last window of records were stored unchanged under
/// the same fingerprint. A first import normalizes on every core as before;
/// a re-import skips normalization almost entirely. A wrong guess costs only
/// time: a deferred record that misses is normalized on the store thread.
final class FastPathHint: @unchecked Sendable {
    private let expects = Atomic<Bool>(false)
    private let expectsAll = Atomic<Bool>(false)
    // Store thread only.
    private var unchanged = 0
    private var seen = 0

    var expectsUnchanged: Bool { expects.load(ordering: .relaxed) }
    /// Whether nearly all of the last window (31 in 32) were unchanged:
    /// records a connector can leave unmade (`UnmadeRecord`) are then left
    /// so. Below that, a miss made on the store thread costs more there than
    /// making every record on the workers.
    var expectsAllUnchanged: Bool { expectsAll.load(ordering: .relaxed) }

    /// One record's outcome, from the store thread.
    func record(unchangedByFingerprint: Bool) {
        seen += 1
        if unchangedByFingerprint { unchanged += 1 }
        guard seen == 256 else { return }
        expects.store(unchanged * 2 > seen, ordering: .relaxed)
        expectsAll.store(unchanged * 32 >= seen * 31, ordering: .relaxed)
        seen = 0
        unchanged = 0
    }
}
