/// A record stream over records already in memory: one API page.
public struct RecordList: RecordStream {
    private var records: [RawRecord]
    private var index = 0

    public init(_ records: [RawRecord]) { self.records = records }

    public mutating func next() throws(InputError) -> RawRecord? {
        guard index < records.count else { return nil }
        defer { index += 1 }
        return records[index]
    }
}
