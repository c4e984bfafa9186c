import XCTest

@testable import BackfillCore

final class DatesTests: XCTestCase {
    func testImpossibleDatesAreRejected() {
        XCTAssertNil(CalendarDate(iso: "2026-02-30"))
        XCTAssertNil(CalendarDate(iso: "2026-13-01"))
        XCTAssertNil(CalendarDate(iso: "2025-02-29"), "2025 is not a leap year")
        XCTAssertNotNil(CalendarDate(iso: "2024-02-29"))
        XCTAssertNil(CalendarDate(iso: "2026-2-3"), "ISO dates are zero-padded")
    }

    func testDateArithmeticCrossesMonthsAndYears() {
        XCTAssertEqual(CalendarDate(iso: "2026-01-31")!.adding(days: 30).description, "2026-03-02")
        XCTAssertEqual(CalendarDate(iso: "2025-12-15")!.adding(days: 30).description, "2026-01-14")
        XCTAssertEqual(CalendarDate(iso: "1970-01-01")!.daysSinceEpoch, 0)
    }

    func testDateTimesAreWrittenInUTC() {
        XCTAssertEqual(CanonicalDateTime(iso: "2026-05-05T12:00:00Z")?.description, "2026-05-05T12:00:00Z")
        XCTAssertEqual(CanonicalDateTime(iso: "2026-05-05T01:30:00+02:00")?.description, "2026-05-04T23:30:00Z")
        XCTAssertEqual(CanonicalDateTime(iso: "2026-12-31T23:00:00.250-05:00")?.description, "2027-01-01T04:00:00.250Z")
        XCTAssertEqual(CanonicalDateTime(iso: "2026-05-05")?.description, "2026-05-05T00:00:00Z")
        XCTAssertNil(CanonicalDateTime(iso: "2026-05-05T12:00:00"), "a time without a zone is ambiguous")
        XCTAssertNil(CanonicalDateTime(iso: "2026-02-30T12:00:00Z"))
    }

    func testMappingDatePatterns() {
        let us = DatePattern("MM/DD/YYYY")!
        XCTAssertEqual(us.parse("03/02/2026")?.description, "2026-03-02")
        XCTAssertNil(us.parse("3/2/2026"), "MM requires two digits")
        XCTAssertNil(us.parse("02/30/2026"))
        let loose = DatePattern("D.M.YYYY")!
        XCTAssertEqual(loose.parse("3.2.2026")?.description, "2026-02-03")
        XCTAssertEqual(loose.parse("13.12.2026")?.description, "2026-12-13")
        XCTAssertNil(DatePattern("MM/DD"), "a pattern without a year is refused")
    }

    func testAmountFormatsOnlyWhenTheMappingSaysSo() {
        XCTAssertNil(AmountFormat.plain.parse("1,234.50"))
        XCTAssertNil(AmountFormat.plain.parse("(12.00)"))
        XCTAssertEqual(AmountFormat.plain.parse("-12.00")?.description, "-12.00")
        let bank = AmountFormat(thousandsSeparator: ",", parenthesesNegative: true)
        XCTAssertEqual(bank.parse("1,234.50")?.description, "1234.50")
        XCTAssertEqual(bank.parse("(1,234.50)")?.description, "-1234.50")
        XCTAssertNil(bank.parse("1,,234"))
        XCTAssertNil(bank.parse("(-5)"))
        let european = AmountFormat(thousandsSeparator: ".", decimalSeparator: ",")
        XCTAssertEqual(european.parse("1.234,50")?.description, "1234.50")
    }
}
