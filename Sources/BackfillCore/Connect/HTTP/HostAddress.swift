import Foundation

/// Where a host name leads, for the one rule that depends on it: a token may
/// travel over cleartext HTTP only to this machine.
public enum HostAddress {
    /// Loopback is what the host resolves to, not how it is spelled:
    /// `127.attacker.example` starts like a loopback address and is not
    /// one. Every address the name resolves to must be in 127.0.0.0/8 or be
    /// `::1`; a name that does not resolve is not loopback.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, list != nil else { return false }
        defer { freeaddrinfo(list) }
        var next = list
        while let entry = next?.pointee {
            guard let address = entry.ai_addr else { return false }
            switch entry.ai_family {
            case AF_INET:
                let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                if ip >> 24 != 127 { return false }
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                if bytes != Array(repeating: 0, count: 15) + [1] { return false }
            default:
                return false
            }
            next = entry.ai_next
        }
        return true
    }
}
