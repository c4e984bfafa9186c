import XCTest

@testable import BackfillCore

final class OutputSafetyTests: XCTestCase {
    func testRegisteredSecretsBearerCredentialsAndUserinfoAreRedacted() {
        Secrets.register("sk_live_abc123")
        XCTAssertEqual(Secrets.redact("token sk_live_abc123 was sent"), "token [redacted] was sent")
        XCTAssertEqual(
            Secrets.redact("authorization: Bearer eyJhbGciOi.J9x-_~+/=; host: x"),
            "authorization: Bearer [redacted]; host: x", "a token never registered, caught by its shape")
        XCTAssertEqual(Secrets.redact("AUTHORIZATION: bearer\tabc"), "AUTHORIZATION: bearer\t[redacted]")
        XCTAssertEqual(
            Secrets.redact("see https://admin:pw@db.example/x and ftp://u@h"),
            "see https://[redacted]@db.example/x and ftp://[redacted]@h")
        XCTAssertEqual(
            Secrets.redact("mail me@example.com, https://example.com/a@b"), "mail me@example.com, https://example.com/a@b",
            "an @ after the host is not userinfo")
        XCTAssertEqual(
            Secrets.redact("the bearer of bad news"), "the bearer [redacted] bad news",
            "a word after 'bearer' may be a token: removed, erring on the safe side")
        XCTAssertEqual(Secrets.redact("plain text"), "plain text")
        XCTAssertEqual(Secrets.redact("unbearable"), "unbearable", "only the word Bearer")
    }

    func testControlCharactersAreEscapedAndPrintableTextIsKept() {
        XCTAssertEqual(TerminalText.escape("x.csv:1: error: [fake]\ny.csv"), "x.csv:1: error: [fake]\\ny.csv")
        XCTAssertEqual(TerminalText.escape("\u{1B}[31mred\u{1B}[0m\r\t\u{7F}\u{0}"), "\\x1B[31mred\\x1B[0m\\r\\t\\x7F\\x00")
        XCTAssertEqual(TerminalText.escape("\u{9B}2J \u{202E}txt.exe"), "\\u{009B}2J \\u{202E}txt.exe")
        XCTAssertEqual(TerminalText.escape("Café Zürich 東京 €12,50"), "Café Zürich 東京 €12,50")
    }
}
