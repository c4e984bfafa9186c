/// Which scratch keys have been written to the session's table, as a Bloom
/// filter: "no" is certain, so a batch asks the server only about the keys
/// that may be there, and a first sighting (nearly every record of a run)
/// costs no probe. A wrong "maybe" is only a probe that finds nothing: each
/// filter gives about 1% of them. When one is full, a filter twice its size
/// is added: about 1.2 bytes a key in all, and four filters (so up to 4%
/// wasted probes) for a run of ten million records.
struct SentKeys {
    private struct Filter {
        var bits: [UInt64]
        let capacity: Int
        var count = 0

        /// 9.6 bits and 7 probes a key give about 1% false positives.
        init(capacity: Int) {
            self.capacity = capacity
            bits = Array(repeating: 0, count: max(1, capacity * 96 / 10 / 64))
        }

        /// The i-th of seven bit positions, by double hashing of the key's halves.
        func position(_ key: SessionRunScratch.Key, _ i: UInt64) -> Int {
            Int((key.high &+ i &* (key.low | 1)) % UInt64(bits.count * 64))
        }

        func mayContain(_ key: SessionRunScratch.Key) -> Bool {
            for i in 0..<UInt64(7) {
                let p = position(key, i)
                if bits[p >> 6] & (1 << UInt64(p & 63)) == 0 { return false }
            }
            return true
        }

        mutating func insert(_ key: SessionRunScratch.Key) {
            for i in 0..<UInt64(7) {
                let p = position(key, i)
                bits[p >> 6] |= 1 << UInt64(p & 63)
            }
            count += 1
        }
    }

    private var filters = [Filter(capacity: 1 << 20)]

    /// A key is 16 bytes of a SHA-256 digest: its halves are already uniform.
    func mayContain(_ key: SessionRunScratch.Key) -> Bool { filters.contains { $0.mayContain(key) } }

    mutating func insert(_ key: SessionRunScratch.Key) {
        if filters[filters.count - 1].count >= filters[filters.count - 1].capacity {
            filters.append(Filter(capacity: filters[filters.count - 1].capacity * 2))
        }
        filters[filters.count - 1].insert(key)
    }
}
