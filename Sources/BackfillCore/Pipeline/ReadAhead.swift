import Foundation

/// A record read, normalized, validated and serialized, ready for the store.
/// A class: it crosses threads and is read in several places, and copying a
/// struct of this many reference-counted members showed in profiles.
final class PreparedRecord: Sendable {
    let raw: RawRecord
    /// nil when the raw record was unreadable as a record (an issue with no
    /// field), since it is rejected for that alone, or when normalization was
    /// left to the store thread (`deferred`).
    let record: NormalizedRecord?
    /// The payload, its stored form and hash, for a record with no issues and an identity.
    let content: Differ.Content?
    /// The fast path's key (`RecordFingerprinter`), nil when it has none.
    let fingerprint: [UInt8]?
    /// Set when the record was not normalized because it is probably stored
    /// unchanged: the identity the store thread tries the fast path with.
    let deferred: RecordIdentity?
    /// Set when `raw` is only the record's shell (`UnmadeRecord`): a
    /// deferred record that misses is made from this first.
    let unmade: (any UnmadeRecord)?

    init(
        raw: RawRecord, record: NormalizedRecord?, content: Differ.Content?, fingerprint: [UInt8]? = nil,
        deferred: RecordIdentity? = nil, unmade: (any UnmadeRecord)? = nil
    ) {
        self.raw = raw
        self.record = record
        self.content = content
        self.fingerprint = fingerprint
        self.deferred = deferred
        self.unmade = unmade
    }
}

/// The first half of an input's pipeline, run ahead of the store on other
/// threads: one thread reads raw records in batches, and each batch is
/// normalized, validated, serialized and hashed on the system's worker
/// threads while the next is read. A stream that returns its pieces
/// unmade (`RecordGroup.deferred`) has them made there too. None of that
/// touches the store, so it
/// overlaps the main thread's diffing and writing; on two cores that is most
/// of the difference between one core busy and two.
///
/// Order is kept: batches come out in the order the stream yields them, and
/// an input error comes out after the records read before it, exactly where
/// a single-threaded run would have met it. Memory stays flat: at most
/// `depth` batches of `batchSize` pieces (records, or bills still to map) wait.
final class ReadAhead<S: RecordStream>: @unchecked Sendable {
    enum Item {
        case batch([PreparedRecord])
        case failed(InputError)
        case end
    }

    /// A batch being prepared on a worker thread.
    private final class PendingBatch: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        // Written once, before `done` is signalled.
        private var records: [PreparedRecord] = []

        init(_ groups: [RecordGroup], prepare: Preparers) {
            DispatchQueue.global(qos: .userInitiated).async { [self] in
                var made: [PreparedRecord] = []
                made.reserveCapacity(groups.count)
                for group in groups {
                    switch group {
                    case .made(let raw): made.append(prepare.made(raw))
                    case .deferred(let make): for raw in make() { made.append(prepare.made(raw)) }
                    case .unmade(let record): made.append(prepare.unmade(record))
                    }
                }
                records = made
                done.signal()
            }
        }

        func wait() -> [PreparedRecord] {
            done.wait()
            return records
        }
    }

    private enum Queued {
        case batch(PendingBatch)
        case failed(InputError)
        case end
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Queued] = []
    private var cancelled = false
    private var producerDone = false
    private var stream: S
    private var consumedBytes = 0
    /// The input's size, when the stream knows it (a file).
    let totalBytes: Int?
    /// How far the reader is through the input: it runs ahead of the
    /// records handed out by at most `depth` batches.
    var bytesRead: Int {
        condition.lock()
        defer { condition.unlock() }
        return consumedBytes
    }

    /// Consumer only: the `repeatKey`s met so far.
    private var firsts = FirstSightings()
    private let depth: Int
    private let batchSize: Int
    private let prepare: Preparers

    convenience init(stream: S, batchSize: Int = 256, depth: Int = 8, prepare: @escaping @Sendable (RawRecord) -> PreparedRecord) {
        self.init(stream: stream, batchSize: batchSize, depth: depth, prepare: Preparers(made: prepare))
    }

    init(stream: S, batchSize: Int = 256, depth: Int = 8, prepare: Preparers) {
        self.stream = stream
        self.batchSize = batchSize
        self.depth = depth
        self.prepare = prepare
        self.totalBytes = (stream as? any SizedStream)?.totalBytes ?? nil
        let thread = Thread { [self] in produce() }
        thread.name = "backfill-sync read-ahead"
        thread.start()
    }

    private func produce() {
        var batch: [RecordGroup] = []
        batch.reserveCapacity(batchSize)
        // nil once the consumer has given up: nothing more is prepared or pushed.
        var last: Queued? = .end
        // A piece still to make counts as two records: batches of 256 Layer
        // bills held 149 MiB at peak (over the 128 MiB budget); counted as
        // four, 64 MiB but a slower re-import; as two, about 86 MiB.
        var weight = 0
        do {
            while let group = try stream.nextGroup() {
                batch.append(group)
                if case .deferred = group { weight += 2 } else { weight += 1 }
                if weight >= batchSize {
                    weight = 0
                    guard push(.batch(PendingBatch(batch, prepare: prepare))) else {
                        last = nil
                        break
                    }
                    batch.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            last = .failed(error)
        }
        if let last {
            if !batch.isEmpty { _ = push(.batch(PendingBatch(batch, prepare: prepare))) }
            _ = push(last)
        }
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for room; false when the consumer cancelled.
    private func push(_ item: Queued) -> Bool {
        let read = (stream as? any SizedStream)?.bytesRead
        condition.lock()
        defer { condition.unlock() }
        if let read { consumedBytes = read }
        while queue.count >= depth && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        queue.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, waiting for the producer when it is behind. Records
    /// made on the workers are sifted here, in input order, for repeats.
    func next() -> Item {
        condition.lock()
        while queue.isEmpty { condition.wait() }
        let item = queue.removeFirst()
        condition.broadcast()
        condition.unlock()
        switch item {
        case .batch(let pending):
            let records = pending.wait()
            guard records.contains(where: { $0.raw.repeatKey != nil }) else { return .batch(records) }
            return .batch(records.filter { firsts.keeps($0.raw) })
        case .failed(let error): return .failed(error)
        case .end: return .end
        }
    }

    /// Frees a consumed batch on a worker thread. Releasing a batch's
    /// strings, arrays and payload bytes was a visible share of the store
    /// thread, which is the busier one on a first import. Bounded: when four
    /// batches already wait to be freed, this one is freed here, so memory
    /// cannot pile up behind busy workers.
    static func discard(_ batch: consuming [PreparedRecord]) {
        guard ReadAheadDiscard.slots.wait(timeout: .now()) == .success else { return }
        DispatchQueue.global(qos: .userInitiated).async { [batch] in
            _ = batch.count
            ReadAheadDiscard.slots.signal()
        }
    }

    /// Stops the producer (if still running), waits for it to finish, and
    /// hands back the stream in whatever state it reached. Batches still
    /// being prepared finish on their own and are dropped.
    func finish() -> S {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !producerDone { condition.wait() }
        let result = stream
        condition.unlock()
        return result
    }
}

/// What the workers run on each record: one made, and one still unmade
/// (which, unless it is left for the fast path, is made and prepared alike).
struct Preparers: Sendable {
    let made: @Sendable (RawRecord) -> PreparedRecord
    let unmade: @Sendable (any UnmadeRecord) -> PreparedRecord

    init(made: @escaping @Sendable (RawRecord) -> PreparedRecord, unmade: (@Sendable (any UnmadeRecord) -> PreparedRecord)? = nil) {
        self.made = made
        self.unmade = unmade ?? { made($0.make()) }
    }
}

/// Shared by every `ReadAhead` (a generic type cannot have stored statics):
/// at most this many consumed batches wait to be freed on other threads.
private enum ReadAheadDiscard {
    static let slots = DispatchSemaphore(value: 4)
}
