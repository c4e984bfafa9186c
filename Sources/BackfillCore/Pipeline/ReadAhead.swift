import Foundation

/// A record read, normalized, validated and serialized, ready for the store.
struct PreparedRecord: Sendable {
    let raw: RawRecord
    /// nil when the raw record was unreadable as a record (an issue with no
    /// field): it is rejected for that alone, so normalizing it is pointless.
    let record: NormalizedRecord?
    /// The stored form and hash, for a record with no issues and an identity.
    let content: Differ.Content?
}

/// The first half of an input's pipeline, run on a second thread ahead of the
/// store: read raw records, normalize, validate, serialize and hash. None of
/// that touches the store, so it overlaps the main thread's diffing and
/// writing of the batch before; on two cores that is most of the difference
/// between one core busy and two.
///
/// Order is kept: records come out in the order the stream yields them, and
/// an input error comes out after the records read before it, exactly where
/// a single-threaded run would have met it. Memory stays flat: at most
/// `depth` batches of `batchSize` records wait.
final class ReadAhead<S: RecordStream>: @unchecked Sendable {
    enum Item {
        case batch([PreparedRecord])
        case failed(InputError)
        case end
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Item] = []
    private var cancelled = false
    private var producerDone = false
    private var stream: S

    private let depth: Int
    private let batchSize: Int
    private let prepare: @Sendable (RawRecord) -> PreparedRecord

    init(stream: S, batchSize: Int = 256, depth: Int = 4, prepare: @escaping @Sendable (RawRecord) -> PreparedRecord) {
        self.stream = stream
        self.batchSize = batchSize
        self.depth = depth
        self.prepare = prepare
        let thread = Thread { [self] in produce() }
        thread.name = "backfill-sync read-ahead"
        thread.start()
    }

    private func produce() {
        var batch: [PreparedRecord] = []
        batch.reserveCapacity(batchSize)
        var last: Item = .end
        do {
            while let raw = try stream.next() {
                batch.append(prepare(raw))
                if batch.count == batchSize {
                    guard push(.batch(batch)) else { break }
                    batch.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            last = .failed(error)
        }
        if !batch.isEmpty { _ = push(.batch(batch)) }
        _ = push(last)
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for room; false when the consumer cancelled.
    private func push(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= depth && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        queue.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, waiting for the producer when it is behind.
    func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let item = queue.removeFirst()
        condition.broadcast()
        return item
    }

    /// Stops the producer (if still running), waits for it to finish, and
    /// hands back the stream in whatever state it reached.
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
