import XCTest
@testable import BackfillCore

final class ExactDecimalTests: XCTestCase {
    func testParsesTextExactlyAndComparesNumerically() throws {
        let a = try XCTUnwrap(ExactDecimal("125.0"))
        let b = try XCTUnwrap(ExactDecimal("125.00"))
        XCTAssertEqual(a, b, "125.0 and 125.00 are the same amount")
        XCTAssertEqual(a.description, "125.0", "the given precision is kept in text")
        XCTAssertEqual(ExactDecimal("0.1")! + ExactDecimal("0.2")!, ExactDecimal("0.3")!, "no binary float error")
        XCTAssertEqual(ExactDecimal("-12.00")?.description, "-12.00")
        XCTAssertEqual(ExactDecimal(".5")?.description, "0.5")
        XCTAssertTrue(ExactDecimal("1.10")! < ExactDecimal("1.2")!)
    }

    func testRejectsWhatIsNotAPlainDecimal() {
        for text in ["", "-", ".", "1.2.3", "1e5", "12,00", "abc", "1 000", "NaN", String(repeating: "9", count: 39)] {
            XCTAssertNil(ExactDecimal(text), "'\(text)' must not parse")
        }
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
        XCTAssertEqual((ExactDecimal("1.23")! * ExactDecimal("2.5")!).rounded(toScale: 2).description, "3.08",
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
