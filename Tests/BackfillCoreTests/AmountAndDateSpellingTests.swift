import XCTest

@testable import BackfillCore

/// Amounts and dates as banks, cards and expense tools write them.
final class AmountAndDateSpellingTests: XCTestCase {
    func amount(_ format: AmountFormat, _ text: String) -> String {
        switch format.parseMarked(text) {
        case .success((let value, let marker)): return value.description + (marker == .credit ? " CR" : marker == .debit ? " DR" : "")
        case .failure(let why): return "error: \(why.reason)"
        }
    }

    func testSymbolsCodesSignsAndGroupingAroundTheNumber() {
        let us = AmountFormat(thousandsSeparator: ",", parenthesesNegative: true)
        XCTAssertEqual(amount(us, "$20,053.01"), "20053.01")
        XCTAssertEqual(amount(us, "- $220.00"), "-220.00")
        XCTAssertEqual(amount(us, "-$5.10"), "-5.10")
        XCTAssertEqual(amount(us, "$-5.10"), "-5.10")
        XCTAssertEqual(amount(us, "+ £1,234.56"), "1234.56")
        XCTAssertEqual(amount(us, "USD 12.00"), "12.00")
        XCTAssertEqual(amount(us, "12.00 EUR"), "12.00")
        XCTAssertEqual(amount(us, "12.00-"), "-12.00", "a trailing minus")
        XCTAssertEqual(amount(us, "($1,250.00)"), "-1250.00")
        XCTAssertEqual(amount(us, "45.10 CR"), "45.10 CR")
        XCTAssertEqual(amount(us, "45.10DR"), "45.10 DR")
        XCTAssertEqual(amount(us, "--5"), "error: is not an exact decimal", "two signs")
        XCTAssertEqual(amount(us, "- 5 -"), "error: is not an exact decimal")
        XCTAssertEqual(amount(us, "$"), "error: is not an exact decimal")
        XCTAssertEqual(amount(us, "12.00 XYZ"), "error: is not an exact decimal", "not an ISO code")
        XCTAssertEqual(amount(us, "1,2345.00"), "error: is not an exact decimal", "groups of three")
        if case .failure(let why) = us.parseOrExplain("45.10 CR") {
            XCTAssertTrue(why.reason.contains("CR or DR, a direction"), why.reason)
        } else {
            XCTFail("a direction marker is not a sign the normalizer may guess")
        }
    }

    func testDecimalCommaWithDotSpaceOrApostropheGrouping() {
        XCTAssertEqual(amount(AmountFormat(thousandsSeparator: ".", decimalSeparator: ","), "1.234,56 €"), "1234.56")
        XCTAssertEqual(amount(AmountFormat(thousandsSeparator: " ", decimalSeparator: ","), "1 234,56"), "1234.56")
        XCTAssertEqual(
            amount(AmountFormat(thousandsSeparator: " ", decimalSeparator: ","), "-1\u{00A0}234,56"), "-1234.56",
            "a no-break space groups like a space")
        XCTAssertEqual(amount(AmountFormat(thousandsSeparator: "'", decimalSeparator: "."), "CHF 1'234.50"), "1234.50")
        XCTAssertEqual(
            amount(AmountFormat(thousandsSeparator: ".", decimalSeparator: ","), "12.50"), "error: is not an exact decimal",
            "a lone dot where the decimal mark is a comma")
    }

    func testAutoDetectionReadsEachValueAndRefusesTheAmbiguous() {
        let auto = AmountFormat(autoDetect: true)
        XCTAssertEqual(amount(auto, "1.234,56"), "1234.56")
        XCTAssertEqual(amount(auto, "1,234.56"), "1234.56")
        XCTAssertEqual(amount(auto, "1,234,567"), "1234567")
        XCTAssertEqual(amount(auto, "12,5"), "12.5")
        XCTAssertEqual(amount(auto, "€ 3 210,00"), "3210.00")
        XCTAssertEqual(amount(auto, "1'000.25"), "1000.25")
        XCTAssertEqual(amount(auto, "1.234.567,89"), "1234567.89")
        XCTAssertTrue(amount(auto, "1,234").hasPrefix("error: is ambiguous: ',' with three digits after it"), amount(auto, "1,234"))
        XCTAssertTrue(amount(auto, "1.234").hasPrefix("error: is ambiguous"))
        XCTAssertEqual(amount(auto, "1,234.5,6"), "error: is not an exact decimal")
    }

    func testDatePatternsWithMonthNamesAndTwoDigitYears() throws {
        func date(_ pattern: String, _ text: String) throws -> String? {
            try XCTUnwrap(DatePattern(pattern), pattern).parse(text)?.description
        }
        XCTAssertEqual(try date("DD-MMM-YYYY", "28-Mar-2020"), "2020-03-28")
        XCTAssertEqual(try date("DD-MMM-YYYY", "28-MAR-2020"), "2020-03-28")
        XCTAssertEqual(try date("MMM D, YYYY", "Sept 3, 2026"), "2026-09-03")
        XCTAssertEqual(try date("MMMM D, YYYY", "December 31, 2025"), "2025-12-31")
        XCTAssertEqual(try date("DD.MM.YY", "28.03.18"), "2018-03-28")
        XCTAssertEqual(try date("DD.MM.YY", "28.03.75"), "1975-03-28", "69–99 are the 1900s")
        XCTAssertEqual(try date("DD.MM.YY", "01.01.68"), "2068-01-01")
        XCTAssertNil(try date("DD-MMM-YYYY", "31-Foo-2020"))
        XCTAssertNil(try date("DD-MMM-YYYY", "31-Feb-2020"))
        XCTAssertNil(try date("DD-MMM-YYYY", "28-Ma-2020"))
        XCTAssertNil(DatePattern("DD-MON-YYYY"), "an unknown token is an error in the pattern, not a silent failure later")
        XCTAssertNil(DatePattern("DD.MM"), "a pattern needs a year")
    }
}
