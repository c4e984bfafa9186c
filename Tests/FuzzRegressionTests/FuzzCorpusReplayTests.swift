import Foundation
import FuzzTargets
import XCTest

/// Replays every seed and every crash `scripts/fuzz` ever found through its
/// target, so a fixed finding stays fixed. An input passes when its target
/// returns: a located error is a pass, a trap fails the whole test run.
final class FuzzCorpusReplayTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus")

    func testEveryCorpusInputRunsCleanlyThroughItsTarget() throws {
        var replayed = 0
        for target in FuzzTarget.allCases {
            let folder = Self.corpus.appendingPathComponent(target.rawValue)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            XCTAssertFalse(files.isEmpty, "\(target.rawValue) has no seed corpus")
            for name in files {
                let data = try Data(contentsOf: folder.appendingPathComponent(name))
                XCTAssertNoThrow(try target.run(Array(data)), "\(target.rawValue)/\(name)")
                replayed += 1
            }
        }
        XCTAssertGreaterThan(replayed, 20)
    }

    /// Inputs of every size a fuzzer reaches slowly: each target meets them
    /// generated here rather than stored.
    func testGeneratedExtremesRunCleanly() throws {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000)
        let wide = Array("[".utf8) + Array(Array(repeating: "0,", count: 200_000).joined().utf8) + Array("0]".utf8)
        let nul = [UInt8](repeating: 0, count: 1 << 16)
        let longString = Array("[{\"external_id\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 4 << 20) + Array("\"}]".utf8)
        for input in [deep, wide, nul, longString] {
            for target in FuzzTarget.allCases {
                XCTAssertNoThrow(try target.run(input), "\(target.rawValue), \(input.count) bytes")
            }
        }
    }
}
