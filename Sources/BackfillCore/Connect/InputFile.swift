import Foundation

/// An input file read in 64 KiB chunks and consumed byte by byte: the one
/// way connectors read files, so memory stays one buffer whatever the size,
/// and "missing", "a directory", "unreadable" are reported alike everywhere.
public struct InputFile {
    public let path: String
    /// nil for bytes already in memory (`init(bytes:name:)`).
    @usableFromInline let handle: FileHandle?
    @usableFromInline var buffer: [UInt8] = []
    @usableFromInline var position = 0
    /// Bytes consumed before `buffer[0]`.
    @usableFromInline var base = 0
    @usableFromInline var atEOF = false
    /// The file's size when it is a regular file: what progress counts toward.
    public private(set) var totalBytes: Int?
    /// Bytes consumed so far.
    public var bytesConsumed: Int { base + position }

    /// Opens `path`, or throws an `unreadable` input error that says why.
    /// `kind` names what the file should be ("a CSV file").
    public init(path: String, kind: String) throws(InputError) {
        let unreadable = UnreadablePath.check(path)
        guard unreadable == nil, let handle = FileHandle(forReadingAtPath: path) else {
            let message: String
            switch unreadable ?? .denied {
            case .missing: message = Self.whyMissing(path)
            case .directory: message = "is a directory, not \(kind)"
            case .denied: message = "cannot be read (permission denied?)"
            }
            throw InputError(kind: .unreadable, origin: Origin(file: path), code: .malformedInput, message: message)
        }
        self.path = path
        self.handle = handle
        var info = stat()
        if fstat(handle.fileDescriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG { totalBytes = Int(info.st_size) }
    }

    /// "no such file", unless the name is there as a link that leads
    /// nowhere: a loop of links is not a missing file.
    static func whyMissing(_ path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return "no such file" }
        return stat(path, &info) != 0 && errno == ELOOP ? "a loop of symbolic links" : "a symbolic link to a file that does not exist"
    }

    /// Bytes already in memory, read through the same interface: how the
    /// fuzz targets and tests feed a reader without a file.
    public init(bytes: [UInt8], name: String) {
        self.path = name
        self.handle = nil
        self.buffer = bytes
        self.atEOF = true
        self.totalBytes = bytes.count
    }

    @usableFromInline mutating func fill() -> Bool {
        if atEOF { return false }
        guard let handle else { return false }
        let chunk = handle.readData(ofLength: 1 << 16)
        if chunk.isEmpty {
            atEOF = true
            return false
        }
        if position > 0 {
            buffer.removeSubrange(0..<position)
            base += position
            position = 0
        }
        buffer.append(contentsOf: chunk)
        return true
    }

    /// The next byte without consuming it; nil at the end of the file.
    @inlinable public mutating func peek() -> UInt8? {
        if position >= buffer.count && !fill() { return nil }
        return buffer[position]
    }

    /// Consumes and returns the next byte; nil at the end of the file.
    @inlinable public mutating func next() -> UInt8? {
        guard let b = peek() else { return nil }
        position += 1
        return b
    }

    /// The byte `ahead` positions on, without consuming anything.
    public mutating func peek(ahead: Int) -> UInt8? {
        while position + ahead >= buffer.count { if !fill() { return nil } }
        return buffer[position + ahead]
    }

    /// Bytes consumed so far.
    public var offset: Int { base + position }

    /// The unread bytes now in the buffer (read more first when none are
    /// left; empty only at the end of the file), for scanning a run of
    /// bytes without a call per byte. `consume` them once done.
    public mutating func available() -> ArraySlice<UInt8> {
        if position >= buffer.count && !fill() { return [] }
        return buffer[position...]
    }

    /// Marks `count` bytes of `available()` as read.
    public mutating func consume(_ count: Int) {
        position += count
    }
}
