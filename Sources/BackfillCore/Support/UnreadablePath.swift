import Foundation

/// Why a path that was to be read could not be: missing, a directory, or
/// there but refused. Found one way for input files, the sync config and
/// mapping files; each words its own message.
public enum UnreadablePath: Sendable, Equatable {
    case missing, directory, denied

    /// `.missing` or `.directory`, or nil for a file (which opening may
    /// still refuse: `.denied`).
    public static func check(_ path: String) -> UnreadablePath? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        return isDirectory.boolValue ? .directory : nil
    }
}
