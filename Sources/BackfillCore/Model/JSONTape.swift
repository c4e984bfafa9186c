import Foundation

/// A JSON document held as its bytes plus one flat list of tokens, in
/// document order: what `JSONParser.tape` returns, held to exactly the rules
/// `JSONParser.parse` holds a document to (the same grammar builds both).
///
/// Why not a `Value` tree: a Layer bill is a kilobyte of JSON of which the
/// mapper reads a few dozen members. Building the tree made a `String` for
/// every name and every string, and a `Fields` for every object, and then
/// the mapper looked each member up again. On the tape a member name is
/// compared as bytes and a value becomes a `String` or a `Value` only when
/// somebody reads it (`JSONNode`).
///
/// Layout: a scalar is one node. An array is its node followed by each
/// element's nodes; an object is its node followed by, for each member, the
/// name's node and the value's nodes. Every node knows the index just past
/// its own nodes, so a reader steps over a whole member at once.
public final class JSONTape: Sendable {
    enum Kind: UInt8 {
        case object, array, string, number, `true`, `false`, null
    }

    struct Node {
        var kind: Kind
        /// The text is in `decoded` (it had escapes), not in `bytes`.
        var isDecoded: Bool
        /// A string's or a number's text: where it starts, and its length.
        var start: Int
        var count: Int
        /// The index just past this node and everything inside it.
        var end: Int

        /// A string's or a number's text, in whichever buffer holds it: the
        /// one reading of a node's text, for the tape and its builder alike.
        static func withText<R>(
            _ node: Node, bytes: [UInt8], decoded: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> R
        ) -> R {
            (node.isDecoded ? decoded : bytes).withUnsafeBufferPointer { all in
                body(UnsafeBufferPointer(rebasing: all[node.start..<node.start + node.count]))
            }
        }
    }

    let bytes: [UInt8]
    /// The text of strings and names that had escapes, as they decode.
    let decoded: [UInt8]
    let nodes: [Node]

    init(bytes: [UInt8], decoded: [UInt8], nodes: [Node]) {
        self.bytes = bytes
        self.decoded = decoded
        self.nodes = nodes
    }

    func withText<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        Node.withText(nodes[i], bytes: bytes, decoded: decoded, body)
    }

    func text(_ i: Int) -> String { withText(i) { String(decoding: $0, as: UTF8.self) } }

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return true }
        return memcmp(x, y, a.count) == 0
    }

    /// The index of the value of `object`'s member named `name`, if it has one.
    func member(of object: Int, named name: UnsafeBufferPointer<UInt8>) -> Int? {
        nodes.withUnsafeBufferPointer { nodes in
            let node = nodes[object]
            guard node.kind == .object else { return nil }
            var j = object + 1
            while j < node.end {
                let key = nodes[j]
                if key.count == name.count, Node.withText(key, bytes: bytes, decoded: decoded, { JSONTape.equal($0, name) }) {
                    return j + 1
                }
                j = nodes[j + 1].end
            }
            return nil
        }
    }

    /// The value whose nodes start at `i`, as a tree. Recursion is bounded
    /// by the parser's depth limit.
    func value(_ i: Int) -> Value {
        let node = nodes[i]
        switch node.kind {
        case .object:
            var fields = Fields()
            var j = i + 1
            while j < node.end {
                fields[text(j)] = value(j + 1)
                j = nodes[j + 1].end
            }
            return .object(fields)
        case .array:
            var items: [Value] = []
            var j = i + 1
            while j < node.end {
                items.append(value(j))
                j = nodes[j].end
            }
            return .array(items)
        case .string: return .string(text(i))
        case .number: return .number(text(i))
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .null: return .null
        }
    }

    /// Builds a tape as the parser reads. Names are checked for repeats
    /// here: by comparing bytes with the object's earlier names while it has
    /// few, and by hash (then bytes) once it has many, so an object of a
    /// million members costs no million-squared comparisons.
    struct Builder: JSONBuilder {
        private let bytes: [UInt8]
        private var decoded: [UInt8] = []
        private var nodes: [Node] = []

        private struct Open {
            var node: Int
            var members = 0
            var hashes: Set<UInt64>?
        }

        private var open: [Open] = []
        private static let linearNames = 16

        init(bytes: [UInt8]) {
            self.bytes = bytes
            nodes.reserveCapacity(64)
        }

        func finish() -> JSONNode {
            JSONNode(tape: JSONTape(bytes: bytes, decoded: decoded, nodes: nodes), index: 0)
        }

        private mutating func textNode(_ kind: Kind, _ text: JSONParser.Text) -> Node {
            switch text {
            case .input(let range):
                return Node(kind: kind, isDecoded: false, start: range.lowerBound, count: range.count, end: nodes.count + 1)
            case .decoded(let d):
                let start = decoded.count
                decoded += d
                return Node(kind: kind, isDecoded: true, start: start, count: d.count, end: nodes.count + 1)
            }
        }

        private func withText<R>(_ node: Node, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            Node.withText(node, bytes: bytes, decoded: decoded, body)
        }

        private func same(_ a: Node, _ b: Node) -> Bool {
            guard a.count == b.count else { return false }
            return withText(a) { x in withText(b) { y in JSONTape.equal(x, y) } }
        }

        private func hash(_ node: Node) -> UInt64 {
            withText(node) { text in
                var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
                for b in text { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                return h
            }
        }

        /// Whether the innermost object already has a member named like `name`.
        private func repeats(_ name: Node, in object: Int) -> Bool {
            var j = object + 1
            while j < nodes.count {
                if same(nodes[j], name) { return true }
                j = nodes[j + 1].end
            }
            return false
        }

        mutating func open(object: Bool) {
            open.append(Open(node: nodes.count))
            nodes.append(Node(kind: object ? .object : .array, isDecoded: false, start: 0, count: 0, end: 0))
        }

        mutating func key(_ text: JSONParser.Text, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            let name = textNode(.string, text)
            let top = open.count - 1
            let object = open[top].node
            if open[top].members < Self.linearNames {
                if repeats(name, in: object) { return false }
                if open[top].members == Self.linearNames - 1 {
                    var hashes = Set<UInt64>()
                    var j = object + 1
                    while j < nodes.count {
                        hashes.insert(hash(nodes[j]))
                        j = nodes[j + 1].end
                    }
                    hashes.insert(hash(name))
                    open[top].hashes = hashes
                }
            } else {
                // A hash seen before is a repeat only if the bytes say so.
                if open[top].hashes!.insert(hash(name)).inserted == false, repeats(name, in: object) { return false }
            }
            open[top].members += 1
            nodes.append(name)
            return true
        }

        mutating func string(_ text: JSONParser.Text, in bytes: UnsafeBufferPointer<UInt8>) {
            nodes.append(textNode(.string, text))
        }

        mutating func number(_ text: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) {
            nodes.append(textNode(.number, .input(text)))
        }

        mutating func literal(_ value: Bool?) {
            let kind: Kind = value.map { $0 ? .true : .false } ?? .null
            nodes.append(Node(kind: kind, isDecoded: false, start: 0, count: 0, end: nodes.count + 1))
        }

        mutating func close() {
            let closed = open.removeLast()
            nodes[closed.node].end = nodes.count
        }
    }
}

/// One value on a `JSONTape`: read it like a `Value` (`node["amount"]`,
/// `.string`, `.elements`), and nothing is made until it is read.
public struct JSONNode: Sendable {
    let tape: JSONTape
    let index: Int

    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    public var kind: Kind {
        switch tape.nodes[index].kind {
        case .object: return .object
        case .array: return .array
        case .string: return .string
        case .number: return .number
        case .true, .false: return .bool
        case .null: return .null
        }
    }

    public var isNull: Bool { tape.nodes[index].kind == .null }
    public var isObject: Bool { tape.nodes[index].kind == .object }

    /// `true` or `false`; nil for any other value.
    public var bool: Bool? {
        switch tape.nodes[index].kind {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    /// A string's text; nil for any other value (as `Value.stringValue`).
    public var string: String? { tape.nodes[index].kind == .string ? tape.text(index) : nil }

    /// A number's text exactly as written; nil for any other value.
    public var numberText: String? { tape.nodes[index].kind == .number ? tape.text(index) : nil }

    /// The member named `key` of an object; nil when there is none or this
    /// is not an object. Names are compared as bytes, in place.
    public subscript(key: String) -> JSONNode? {
        var key = key
        let found = key.withUTF8 { tape.member(of: index, named: $0) }
        return found.map { JSONNode(tape: tape, index: $0) }
    }

    /// An array's elements; empty for any other value.
    public var elements: [JSONNode] {
        let nodes = tape.nodes
        let node = nodes[index]
        guard node.kind == .array else { return [] }
        var out: [JSONNode] = []
        var j = index + 1
        while j < node.end {
            out.append(JSONNode(tape: tape, index: j))
            j = nodes[j].end
        }
        return out
    }

    /// This value and everything in it as a tree.
    public var value: Value { tape.value(index) }

    /// An object's members whose names are not in `names`, as a tree: what
    /// a mapper keeps of the members it does not map. Empty for any other value.
    public func fields(excluding names: JSONNames) -> Fields {
        let nodes = tape.nodes
        let node = nodes[index]
        guard node.kind == .object else { return [:] }
        var out = Fields()
        var j = index + 1
        while j < node.end {
            if !tape.withText(j, names.contains) { out[tape.text(j)] = tape.value(j + 1) }
            j = nodes[j + 1].end
        }
        return out
    }
}

/// A few member names, compared as bytes: what `JSONNode.fields(excluding:)`
/// leaves out, without making a `String` of each name it meets.
public struct JSONNames: Sendable, ExpressibleByArrayLiteral {
    private let names: [[UInt8]]

    public init(_ names: some Sequence<String>) { self.names = names.map { Array($0.utf8) } }
    public init(arrayLiteral names: String...) { self.init(names) }

    public func contains(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        names.contains { $0.count == name.count && $0.withUnsafeBufferPointer { JSONTape.equal($0, name) } }
    }
}
