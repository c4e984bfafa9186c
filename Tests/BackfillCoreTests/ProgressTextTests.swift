import XCTest

@testable import BackfillCore

final class ProgressTextTests: XCTestCase {
    func testAKnownSizeShowsShareRateAndTimeLeft() {
        // 41 MB of 100 MB in 4.1 s: 10 MB/s, 59 MB to go.
        XCTAssertEqual(
            ProgressText.line(input: "big.csv", records: 412_000, bytes: 41_000_000, of: 100_000_000, elapsed: 4.1),
            "big.csv: 412,000 records · 41% of 100.0 MB · 10.0 MB/s · 6 s left")
        XCTAssertEqual(
            ProgressText.line(input: "big.csv", records: 5_000, bytes: 1_000_000, of: 700_000_000, elapsed: 2),
            "big.csv: 5,000 records · 0% of 700.0 MB · 500.0 kB/s · 23 min 18 s left")
        XCTAssertEqual(
            ProgressText.line(input: "x", records: 9, bytes: 99, of: 100, elapsed: 1), "x: 9 records · 99% of 100 B · 99 B/s · finishing")
    }

    func testAnUnknownSizeShowsTheCountOnly() {
        XCTAssertEqual(ProgressText.line(input: "-", records: 1_234_567, elapsed: 3), "-: 1,234,567 records…")
        XCTAssertEqual(
            ProgressText.line(input: "a", records: 1_000, bytes: 10, of: 1_000, elapsed: 0.1), "a: 1,000 records · 1% of 1.0 kB",
            "no rate before there is anything to measure it by")
    }

    func testDurationsReadLikeAClock() {
        XCTAssertEqual(ProgressText.duration(42), "42 s")
        XCTAssertEqual(ProgressText.duration(185), "3 min 05 s")
        XCTAssertEqual(ProgressText.duration(3720), "1 h 02 min")
    }
}
