import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files as a sync source, for any connector that reads files: the files
/// given to `import`, or those a drop's glob matches. A drop's file is
/// imported once per content: its size and SHA-256 are its cursor, so an
/// unchanged file is skipped and a file that fails leaves the cursor where
/// it was, to be tried again by the next run.
public final class FileSource: SyncSource {
    public let objectType: String
    public var inputNoun: String { "file" }
    private var files: ArraySlice<String>
    private let fingerprints: Bool
    private let open: (String) throws(InputError) -> AnyRecordStream
    private var pendingNote: String?

    /// Files given by name, with no cursor.
    public init(files: [String], objectType: String, open: @escaping (String) throws(InputError) -> AnyRecordStream) {
        self.files = files[...]
        self.objectType = objectType
        self.fingerprints = false
        self.open = open
    }

    /// The files `glob` matches, in sorted order, each with its fingerprint
    /// cursor. `name` names the connection in the note of a glob that
    /// matches nothing (most often a typo or a drop that never came).
    public init(glob: String, name: String, objectType: String, open: @escaping (String) throws(InputError) -> AnyRecordStream) {
        let matched = Self.glob(glob)
        self.files = matched[...]
        self.objectType = objectType
        self.fingerprints = true
        self.open = open
        if matched.isEmpty { pendingNote = "\(name): no file matches \(glob)" }
    }

    public func next(cursor: (String) throws -> String?) throws -> SyncStep {
        if let note = pendingNote {
            pendingNote = nil
            return .note(note)
        }
        guard let file = files.popFirst() else { return .end }
        let open = self.open
        guard fingerprints else { return .input(SyncInput(label: file, cursor: nil) { () throws(InputError) in try open(file) }) }
        guard let fingerprint = Self.fingerprint(file) else {
            return .failed(
                SourceFailure(
                    .data,
                    InputError(
                        kind: .unreadable, origin: Origin(file: file), code: .malformedInput,
                        message: "cannot be read")))
        }
        return .input(SyncInput(label: file, cursor: ("file:" + file, fingerprint)) { () throws(InputError) in try open(file) })
    }

    /// `{"sha256": …, "size": …}` of the file's bytes; nil when it cannot be read.
    static func fingerprint(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { handle.closeFile() }
        var hash = SHA256()
        var size = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            size += chunk.count
            chunk.withUnsafeBytes { hash.update($0) }
        }
        return CanonicalJSON.string(.object(["size": .integer(size), "sha256": .string(hash.finalizeHex())]))
    }

    /// Files matching a shell pattern, sorted so runs are repeatable.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.sorted()
    }

    /// The part of a glob before its first wildcard's folder: `drops/bank/*.csv` → `drops/bank`.
    public static func fixedFolder(of glob: String) -> String {
        let parts = glob.split(separator: "/", omittingEmptySubsequences: false)
        let fixed = parts.prefix { !$0.contains(where: { "*?[".contains($0) }) }
        let folder = fixed.count == parts.count ? parts.dropLast() : fixed
        let joined = folder.joined(separator: "/")
        return joined.isEmpty ? (glob.hasPrefix("/") ? "/" : ".") : joined
    }
}

/// A file drop: a connection whose inputs are the files a glob matches,
/// read by its connector's `FileImport`. Every file connector's sync entry
/// is one of these; its factory supplies the import.
public final class FileDropConnection: SyncConnection {
    public let entry: ConnectionEntry
    public let glob: String
    public let objectType: String
    private let makeImport: () throws(SyncConfig.ConfigError) -> FileImport
    private var fileImport: FileImport?

    /// `makeImport` loads what the connector needs (a mapping file); its
    /// error names the key that is wrong.
    public init(
        entry: ConnectionEntry, glob: String, objectType: String,
        makeImport: @escaping () throws(SyncConfig.ConfigError) -> FileImport
    ) {
        self.entry = entry
        self.glob = glob
        self.objectType = objectType
        self.makeImport = makeImport
    }

    public var runInputs: [String] { [glob] }
    /// The mapping's normalizer options, loaded on first use whether or not
    /// `check` ran first; if it cannot load, `sources` throws why.
    public var normalizer: Normalizer { (try? loaded())?.normalizer ?? Normalizer() }

    private func loaded() throws(SyncConfig.ConfigError) -> FileImport {
        if let fileImport { return fileImport }
        let made = try makeImport()
        fileImport = made
        return made
    }

    public func check(environment: [String: String]) -> [String] {
        var problems: [String] = []
        do { _ = try loaded() } catch { problems.append(error.description) }
        let folder = FileSource.fixedFolder(of: glob)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            problems.append("\(entry.reader.file): \(entry.keyPath).glob: the folder \(folder) does not exist")
        }
        return problems
    }

    public func sources(_ context: SyncContext) throws -> [SyncSource] {
        [FileSource(glob: glob, name: entry.name, objectType: objectType, open: try loaded().open)]
    }
}
