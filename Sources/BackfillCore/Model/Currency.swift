/// ISO 4217 currency codes and their minor units.
///
/// Money amounts are written at the currency's minor-unit scale (`125` USD →
/// `"125.00"`, JPY → `"125"`, KWD → `"125.000"`). The table holds the active
/// codes of ISO 4217 list one; the fund codes without a minor unit (precious
/// metals XAU/XAG/XPT/XPD, XDR, the test and bond-market units) are left out on
/// purpose: no accounting document is booked in them, so they are rejected as
/// `invalid_currency` rather than written at a guessed scale.
public enum Currency {
    /// Minor-unit digits for `code` (upper case), or nil for an unknown code.
    public static func minorUnits(_ code: String) -> Int? {
        table[code]
    }

    /// Every known code with its minor units, by code.
    public static var all: [(code: String, minorUnits: Int)] {
        table.map { ($0.key, $0.value) }.sorted { $0.code < $1.code }
    }

    private static let zero = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
    private static let three = "BHD IQD JOD KWD LYD OMR TND"
    private static let four = "CLF UYW"
    private static let two = """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD \
        CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL \
        GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD \
        LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN \
        PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL \
        THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL
        """

    private static let table: [String: Int] = {
        var t: [String: Int] = [:]
        for (codes, units) in [(two, 2), (zero, 0), (three, 3), (four, 4)] {
            for code in codes.split(separator: " ") { t[String(code)] = units }
        }
        return t
    }()
}
