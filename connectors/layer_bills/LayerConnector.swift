import BackfillCore

/// The `layer_bills` connector: files in the shape of Layer's
/// `POST /v1/businesses/{businessId}/bills/bulk`, either the request body (a
/// JSON array of bills) or the response (`{"data": [...]}`). Bills stream one
/// at a time: a file of 100k bills is never held as one parsed tree.
public struct LayerConnector: Connector {
    /// The connector's one name, in runs, reports and config (`connector:
    /// layer_bills`). Its records' `source_system` stays `layer`: that is
    /// their identity, and the provider's name.
    public static let name = "layer_bills"
    public let sourceSystem = LayerBillMapper.sourceSystem
    public let connectionID: String?
    /// Layer bills carry no currency; every canonical document needs one.
    public let currency: String

    public let limits: InputLimits

    public init(connectionID: String?, currency: String = "USD", limits: InputLimits = .standard) {
        self.connectionID = connectionID
        self.currency = currency
        self.limits = limits
    }

    public func open(_ input: String) throws(InputError) -> LayerRecordStream {
        try open(InputFile(path: input, kind: "a JSON file"))
    }

    /// The same from bytes already open (or in memory).
    public func open(_ file: InputFile) throws(InputError) -> LayerRecordStream {
        let input = file.path
        guard let minorUnits = Currency.minorUnits(currency) else {
            throw InputError(
                kind: .malformed, origin: Origin(file: "--currency"), code: .invalidCurrency,
                message: "'\(currency)' is not an ISO 4217 currency code")
        }
        let reader = JSONArrayReader(input: file, limits: limits)
        let mapper = LayerBillMapper(file: input, connectionID: connectionID, currency: currency, minorUnits: minorUnits)
        return LayerRecordStream(reader: reader, mapper: mapper)
    }
}

/// Streams the raw records of one Layer file: for each bill, its vendor (the
/// first time that vendor appears in the file), the bill, then its payments.
public struct LayerRecordStream: SizedStream {
    public var bytesRead: Int { reader.bytesRead }
    public var totalBytes: Int? { reader.totalBytes }
    var reader: JSONArrayReader
    let mapper: LayerBillMapper
    private var queue: [RawRecord] = []
    private var queueIndex = 0
    /// Vendors and response payments repeat across bills; each is imported
    /// once per file (the first occurrence), or its repeats would be
    /// rejected as duplicates of itself.
    private var firsts = FirstSightings()

    init(reader: JSONArrayReader, mapper: LayerBillMapper) {
        self.reader = reader
        self.mapper = mapper
    }

    public mutating func next() throws(InputError) -> RawRecord? {
        while queueIndex >= queue.count {
            guard let element = try reader.next() else { return nil }
            queue = mapper.map(element).filter { firsts.keeps($0) }
            queueIndex = 0
        }
        defer { queueIndex += 1 }
        return queue[queueIndex]
    }

    /// A bill as read, its records made on a worker thread: mapping is most
    /// of a re-import's reading, and this way it runs on every core.
    public mutating func nextGroup() throws(InputError) -> RecordGroup? {
        guard queueIndex >= queue.count else { return try next().map(RecordGroup.made) }
        guard let element = try reader.next() else { return nil }
        let mapper = self.mapper
        return .deferred { mapper.map(element) }
    }
}
