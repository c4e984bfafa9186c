import Foundation
import FuzzTargets

// Built two ways. `scripts/fuzz` builds with `-sanitize=fuzzer` and
// `-D FUZZING`: libFuzzer supplies `main` and calls the entry point below,
// with the target named by BACKFILL_FUZZ_TARGET. A plain build is a replay
// tool: `backfill-fuzz TARGET FILE...` runs files (a crash libFuzzer wrote,
// a corpus) through a target, which is how a finding is reproduced.

/// Standard error, for the few lines this tool prints.
private func complain(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

#if FUZZING
nonisolated(unsafe) private var target: FuzzTarget = .json

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let name = ProcessInfo.processInfo.environment["BACKFILL_FUZZ_TARGET"] ?? ""
    guard let chosen = FuzzTarget(rawValue: name) else {
        complain("BACKFILL_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        exit(64)
    }
    target = chosen
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try target.run(bytes) } catch { fatalError("\(target.rawValue): \(error)") }
    return 0
}
#else
@main
struct FuzzReplay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        guard let name = args.first, let target = FuzzTarget(rawValue: name), args.count > 1 else {
            complain(
                "usage: backfill-fuzz TARGET FILE...   (TARGET: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))\n"
                    + "Runs each file through the target; the fuzzer itself is scripts/fuzz.")
            exit(64)
        }
        for file in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else {
                complain("\(file): cannot be read")
                exit(66)
            }
            do { try target.run(Array(data)) } catch {
                complain("\(file): \(error)")
                exit(1)
            }
            print("\(file): ok")
        }
    }
}
#endif
