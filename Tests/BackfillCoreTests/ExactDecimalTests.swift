import XCTest

@testable import BackfillCore

final class ExactDecimalTests: XCTestCase {
    func testParsesTextExactlyAndComparesNumerically() throws {
        let a = try XCTUnwrap(ExactDecimal("125.0"))
        let b = try XCTUnwrap(ExactDecimal("125.00"))
        XCTAssertEqual(a, b, "125.0 and 125.00 are the same amount")
        XCTAssertEqual(a.description, "125.0", "the given precision is kept in text")
        XCTAssertEqual(try ExactDecimal("0.1")! + ExactDecimal("0.2")!, ExactDecimal("0.3")!, "no binary float error")
        XCTAssertEqual(ExactDecimal("-12.00")?.description, "-12.00")
        XCTAssertEqual(ExactDecimal(".5")?.description, "0.5")
        XCTAssertTrue(ExactDecimal("1.10")! < ExactDecimal("1.2")!)
    }

    func testRejectsWhatIsNotAPlainDecimal() {
        for text in [
            "", "-", ".", "1.2.3", "1e5", "12,00", "abc", "1 000", "NaN", String(repeating: "9", count: 39),
            "1" + String(repeating: "0", count: 18),
        ] {
            XCTAssertNil(ExactDecimal(text), "'\(text)' must not parse")
        }
    }

    func testTheLargestAmountIsDocumentedAndEnforcedWithAReason() {
        let largest = String(repeating: "9", count: ExactDecimal.maxIntegerDigits) + "." + String(repeating: "9", count: 18)
        XCTAssertNotNil(ExactDecimal(largest), "18 digits before and 18 after the point are accepted")
        XCTAssertEqual(ExactDecimal.parse("1" + String(repeating: "0", count: 18)), .failure(.tooLarge))
        XCTAssertEqual(
            ExactDecimal.parse("-000000000000000000000001.5"), .success(ExactDecimal(significand: -15, scale: 1)),
            "leading zeros are not digits of the amount")
        XCTAssertEqual(ExactDecimal.parse("1." + String(repeating: "1", count: 19)), .failure(.tooManyDecimals))
        XCTAssertEqual(
            ExactDecimal.parse(String(repeating: "9", count: 10_000)), .failure(.tooLarge),
            "a 10,000-digit number is too large, not 'not a number'")
        XCTAssertEqual(ExactDecimal.parse(String(repeating: "9", count: 10_000) + "x"), .failure(.notANumber))
        XCTAssertEqual(ExactDecimal.parse(minorUnits: "12345", scale: 2), .success(ExactDecimal("123.45")!))
        XCTAssertEqual(
            ExactDecimal.parse(minorUnits: String(repeating: "9", count: 20), scale: 2),
            .success(
                ExactDecimal(String(repeating: "9", count: 18) + ".99")!), "cents: 18 digits before the point, 2 after")
        XCTAssertEqual(ExactDecimal.parse(minorUnits: String(repeating: "9", count: 21), scale: 2), .failure(.tooLarge))
        XCTAssertEqual(ExactDecimal.parse(minorUnits: "1.5", scale: 2), .failure(.notANumber))
    }

    func testArithmeticReportsOverflowInsteadOfTrapping() throws {
        let big = try XCTUnwrap(ExactDecimal(String(repeating: "9", count: 18)))
        XCTAssertThrowsError(try big + big, "past the largest amount")
        XCTAssertThrowsError(try big.negated - big)
        XCTAssertThrowsError(try big * ExactDecimal(2))
        let fine = try XCTUnwrap(ExactDecimal("0.000000000000000001"))
        XCTAssertThrowsError(try big * big, "a product past Int128 itself")
        XCTAssertEqual(try fine * fine, .zero, "36 decimals round half-to-even to 18")
        // Comparison never rescales, so the widest values compare without trapping.
        let wide = try XCTUnwrap(ExactDecimal(String(repeating: "9", count: 18) + "." + String(repeating: "9", count: 18)))
        XCTAssertTrue(fine < wide)
        XCTAssertTrue(wide.negated < big.negated)
        XCTAssertTrue(ExactDecimal(significand: .max, scale: 0) > ExactDecimal(significand: 1, scale: 18))
        XCTAssertTrue(ExactDecimal(significand: .min + 1, scale: 0) < ExactDecimal(significand: -1, scale: 18))
    }

    func testRescalingNeverRounds() {
        XCTAssertEqual(ExactDecimal("125")!.rescaled(exactlyTo: 2)?.description, "125.00")
        XCTAssertEqual(ExactDecimal("12.340")!.rescaled(exactlyTo: 2)?.description, "12.34")
        XCTAssertNil(ExactDecimal("12.345")!.rescaled(exactlyTo: 2), "a third decimal cannot become cents")
    }

    func testRoundsHalfToEven() {
        XCTAssertEqual(ExactDecimal("2.345")!.rounded(toScale: 2).description, "2.34")
        XCTAssertEqual(ExactDecimal("2.355")!.rounded(toScale: 2).description, "2.36")
        XCTAssertEqual(ExactDecimal("-2.345")!.rounded(toScale: 2).description, "-2.34")
        XCTAssertEqual(ExactDecimal("2.3451")!.rounded(toScale: 2).description, "2.35")
        XCTAssertEqual(
            try (ExactDecimal("1.23")! * ExactDecimal("2.5")!).rounded(toScale: 2).description, "3.08",
            "3.075 rounds to the even cent")
    }

    func testCurrencyMinorUnits() {
        XCTAssertEqual(Currency.minorUnits("USD"), 2)
        XCTAssertEqual(Currency.minorUnits("JPY"), 0)
        XCTAssertEqual(Currency.minorUnits("KWD"), 3)
        XCTAssertEqual(Currency.minorUnits("CLF"), 4)
        XCTAssertNil(Currency.minorUnits("XAU"), "precious metals have no minor unit and are not booked")
        XCTAssertNil(Currency.minorUnits("usd"), "codes are upper case; the normalizer upper-cases input")
        XCTAssertNil(Currency.minorUnits("ABC"))
    }
}
