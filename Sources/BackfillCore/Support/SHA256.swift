import CSHA256

/// SHA-256 (FIPS 180-4), used for content hashes, derived ids and file
/// fingerprints.
///
/// The block function is C (`CSHA256`): on CPUs with the x86 SHA extensions
/// it is several times faster than portable code, and a content hash is
/// taken for every record. Foundation on Linux has no CryptoKit and the
/// project takes no third-party packages. Checked against the FIPS test
/// vectors, on both paths.
public struct SHA256 {
    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0

    public init() { buffer.reserveCapacity(64) }

    /// True when the CPU's SHA extensions are used.
    public static var isAccelerated: Bool { csha256_accelerated() != 0 }

    public static func hex(_ bytes: [UInt8]) -> String {
        hexString(digest(bytes))
    }

    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            bytes.withUnsafeBufferPointer { csha256_digest($0.baseAddress, $0.count, out.baseAddress!) }
            count = 32
        }
    }

    /// The bytes of lower-case hex text (what `hexString` writes), or nil
    /// for anything else: an odd length or another character.
    public static func bytes(hex: String) -> [UInt8]? {
        var text = hex
        return text.withUTF8 { bytes(hex: $0) }
    }

    /// The same for UTF-8 bytes in memory; indexed rather than iterated,
    /// since it runs for every id and hash a store writes.
    public static func bytes(hex: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        return [UInt8](unsafeUninitializedCapacity: hex.count / 2) { out, count in
            count = 0
            for i in stride(from: 0, to: hex.count, by: 2) {
                guard let high = hexDigit(hex[i]), let low = hexDigit(hex[i + 1]) else { return }
                out[i / 2] = high << 4 | low
            }
            count = hex.count / 2
        }.nilIfShort(hex.count / 2)
    }

    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Lower-case hex of `bytes`; for an array, indexed in place (every
    /// hash and id a store reads back goes through here).
    public static func hexString(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { hexString($0) }
    }

    public static func hexString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            for i in 0..<bytes.count {
                out[2 * i] = digits.utf8Start[Int(bytes[i] >> 4)]
                out[2 * i + 1] = digits.utf8Start[Int(bytes[i] & 15)]
            }
            return bytes.count * 2
        }
    }

    /// Lower-case hex of `bytes`.
    public static func hexString(_ bytes: some Collection<UInt8>) -> String { hexString(Array(bytes)) }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            length &+= 1
            buffer.append(byte)
            if buffer.count == 64 {
                compress(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        if !buffer.isEmpty {
            while offset < bytes.count && buffer.count < 64 {
                buffer.append(bytes[offset])
                offset += 1
            }
            if buffer.count == 64 {
                compress(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        let whole = (bytes.count - offset) / 64
        if whole > 0 {
            compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + whole * 64]))
            offset += whole * 64
        }
        while offset < bytes.count {
            buffer.append(bytes[offset])
            offset += 1
        }
        length &+= UInt64(bytes.count)
    }

    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail = buffer
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        compress(tail)
        var out: [UInt8] = []
        for word in state { for shift in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) } }
        return out
    }

    public mutating func finalizeHex() -> String {
        SHA256.hexString(finalize())
    }

    private mutating func compress(_ blocks: [UInt8]) {
        blocks.withUnsafeBytes { compress($0) }
    }

    /// Whole 64-byte blocks only.
    private mutating func compress(_ blocks: UnsafeRawBufferPointer) {
        guard let base = blocks.baseAddress else { return }
        state.withUnsafeMutableBufferPointer {
            csha256_blocks($0.baseAddress, base.assumingMemoryBound(to: UInt8.self), blocks.count / 64)
        }
    }
}

extension Array where Element == UInt8 {
    /// nil unless `count` bytes were written: a conversion stopped early.
    fileprivate func nilIfShort(_ expected: Int) -> [UInt8]? { count == expected ? self : nil }
}
