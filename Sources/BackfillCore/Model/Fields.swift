/// A JSON object's members, kept sorted by key in UTF-8 byte order: the order
/// canonical JSON writes them in.
///
/// Why not a `Dictionary`: every record passes through a dozen objects of ten
/// to thirty keys, built once, read a few times and then serialized. Hashing
/// each key on every insert and lookup, and sorting the keys again for every
/// write, cost more than the rest of normalization together (profiled with
/// perf on a 100k-row import). A sorted array needs no hashing, finds a key
/// in four or five comparisons, and is already in canonical order.
///
/// It reads like a dictionary on purpose (`fields["amount"]`, `for (key,
/// value) in fields`, `removeValue(forKey:)`, dictionary literals), so code
/// that builds records reads the same.
public struct Fields: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: Value)

    /// One member. A struct rather than a tuple: arrays of tuples are
    /// copied and destroyed through the runtime's generic tuple witnesses,
    /// which profiles showed on every record.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: Value
    }

    /// Sorted by `key` in UTF-8 byte order, keys unique.
    private var members: [Member]

    public init() { members = [] }

    /// Room for `capacity` members without growing (a payload of a known contract).
    public init(minimumCapacity capacity: Int) {
        members = []
        members.reserveCapacity(capacity)
    }

    public init(dictionaryLiteral elements: (String, Value)...) {
        members = []
        members.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    /// Members from any sequence of pairs; a later duplicate key wins.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, Value) {
        members = []
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }
    public var values: [Value] { members.map(\.value) }

    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Member]>
        public mutating func next() -> Element? { base.next().map { ($0.key, $0.value) } }
    }

    public func makeIterator() -> Iterator { Iterator(base: members.makeIterator()) }

    /// The members in key order, borrowed: the JSON writer walks every
    /// object of every record, and iterating copies (and retains) each pair.
    public func withMembers<R>(_ body: (UnsafeBufferPointer<Member>) throws -> R) rethrows -> R {
        try members.withUnsafeBufferPointer(body)
    }

    public static func == (a: Fields, b: Fields) -> Bool {
        a.members == b.members
    }

    /// The index of `key`, or where it would be inserted. The probe's bytes
    /// are fetched once and members are read in place: a lookup costs a few
    /// byte comparisons, not a retain and release per step.
    private func search(_ key: String) -> (index: Int, found: Bool) {
        var key = key
        return key.withUTF8 { probe in
            members.withUnsafeBufferPointer { m in
                var low = 0
                var high = m.count
                while low < high {
                    let mid = (low + high) / 2
                    let c = Fields.compare(m[mid].key, probe)
                    if c == 0 { return (mid, true) }
                    if c < 0 { low = mid + 1 } else { high = mid }
                }
                return (low, false)
            }
        }
    }

    /// Where `key` is among the members (in key order), if it is there.
    public func index(forKey key: String) -> Int? {
        let at = search(key)
        return at.found ? at.index : nil
    }

    public subscript(key: String) -> Value? {
        get {
            let at = search(key)
            return at.found ? members[at.index].value : nil
        }
        set {
            // Objects are mostly built in key order (from another `Fields`):
            // a key after the last one is appended without a search.
            if let value = newValue, !members.isEmpty, Fields.compare(members[members.count - 1].key, key) < 0 {
                members.append(Member(key: key, value: value))
                return
            }
            let at = search(key)
            switch (at.found, newValue) {
            case (true, let value?): members[at.index].value = value
            case (true, nil): members.remove(at: at.index)
            case (false, let value?): members.insert(Member(key: key, value: value), at: at.index)
            case (false, nil): break
            }
        }
    }

    /// Adds each member of `other` whose key is absent here, in one merge of
    /// the two sorted lists. In place, back to front: the members here are
    /// moved, not copied (which retained and released every key and value
    /// of every payload), and a payload reserved for its contract's fields
    /// has the room already.
    public mutating func fillAbsent(from other: Fields) {
        guard !other.isEmpty else { return }
        var absent = 0
        var i = 0
        var j = 0
        while j < other.members.count {
            if i == members.count {
                absent += other.members.count - j
                break
            }
            let c = Fields.compare(members[i].key, other.members[j].key)
            if c <= 0 { i += 1 }
            if c >= 0 {
                if c > 0 { absent += 1 }
                j += 1
            }
        }
        guard absent > 0 else { return }
        let count = members.count
        members.reserveCapacity(count + absent)
        // Grown by copies of the last member, each overwritten below.
        for _ in 0..<absent { members.append(members.last ?? other.members[0]) }
        members.withUnsafeMutableBufferPointer { out in
            var write = count + absent - 1
            var i = count - 1
            var j = other.members.count - 1
            while j >= 0 {
                if i >= 0 {
                    let c = Fields.compare(out[i].key, other.members[j].key)
                    if c > 0 {
                        out.swapAt(write, i)
                        i -= 1
                        write -= 1
                        continue
                    }
                    if c == 0 {
                        j -= 1
                        continue
                    }
                }
                out[write] = other.members[j]
                write -= 1
                j -= 1
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        let at = search(key)
        guard at.found else { return nil }
        return members.remove(at: at.index).value
    }

    public func mapValues(_ transform: (Value) throws -> Value) rethrows -> Fields {
        var out = self
        for i in out.members.indices { out.members[i].value = try transform(out.members[i].value) }
        return out
    }

    public func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> Fields {
        var out = Fields()
        out.members = try members.filter { try isIncluded(($0.key, $0.value)) }
        return out
    }

    /// True when key `a` comes before `b` in member (UTF-8 byte) order.
    public static func precedes(_ a: String, _ b: String) -> Bool { compare(a, b) < 0 }

    /// Three-way comparison of UTF-8 bytes: negative, zero or positive.
    static func compare(_ a: String, _ b: String) -> Int {
        var b = b
        return b.withUTF8 { compare(a, $0) }
    }

    static func compare(_ a: String, _ probe: UnsafeBufferPointer<UInt8>) -> Int {
        // Contiguous bytes in place (on the stack for small strings): no copy.
        if let result = a.utf8.withContiguousStorageIfAvailable({ compare(UnsafeRawBufferPointer($0), UnsafeRawBufferPointer(probe)) }) {
            return result
        }
        return Array(a.utf8).withUnsafeBytes { compare($0, UnsafeRawBufferPointer(probe)) }
    }

    /// Eight bytes at a time (big-endian words order like bytes), then the rest.
    private static func compare(_ pa: UnsafeRawBufferPointer, _ pb: UnsafeRawBufferPointer) -> Int {
        let n = Swift.min(pa.count, pb.count)
        var i = 0
        while i + 8 <= n {
            let x = UInt64(bigEndian: pa.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let y = UInt64(bigEndian: pb.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if x != y { return x < y ? -1 : 1 }
            i += 8
        }
        while i < n {
            let x = pa[i]
            let y = pb[i]
            if x != y { return x < y ? -1 : 1 }
            i += 1
        }
        return pa.count - pb.count
    }
}
