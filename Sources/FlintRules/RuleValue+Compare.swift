import Foundation

extension RuleValue {
    /// Equality as rules define it: numbers compare by value across int and float, sets ignore order.
    public static func equal(_ a: RuleValue, _ b: RuleValue) -> Bool { equal(a, b, nested: false) }

    /// Inside lists and maps an int never equals a float (production compares elements strictly).
    static func equal(_ a: RuleValue, _ b: RuleValue, nested: Bool) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.int(let x), .float(let y)): return !nested && Double(x) == y
        case (.float(let x), .int(let y)): return !nested && x == Double(y)
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.bytes(let x), .bytes(let y)): return x == y
        case (.path(let x), .path(let y)): return x == y
        case (.timestamp(let x), .timestamp(let y)): return x == y
        case (.duration(let x), .duration(let y)): return x == y
        case (.latlng(let a1, let b1), .latlng(let a2, let b2)): return a1 == a2 && b1 == b2
        case (.list(let x), .list(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1, nested: true) }
        case (.set(let x), .set(let y)):
            return x.count == y.count && x.allSatisfy { e in y.contains { equal(e, $0, nested: true) } }
        case (.map(let x), .map(let y)):
            guard x.count == y.count else { return false }
            let dy = y.dictionary
            for (k, v) in x.dictionary {
                guard let w = dy[k], equal(v, w, nested: true) else { return false }
            }
            return true
        default: return false
        }
    }

    /// Ordering for `<` and friends; nil when the two cannot be ordered (an evaluation error).
    static func compare(_ a: RuleValue, _ b: RuleValue) -> Int? {
        func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch (a, b) {
        case (.int(let x), .int(let y)): return cmp(x, y)
        case (.float(let x), .float(let y)): return x.isNaN || y.isNaN ? nil : cmp(x, y)
        case (.int(let x), .float(let y)): return y.isNaN ? nil : cmp(Double(x), y)
        case (.float(let x), .int(let y)): return x.isNaN ? nil : cmp(x, Double(y))
        case (.string(let x), .string(let y)):
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : (x.utf8.elementsEqual(y.utf8) ? 0 : 1)
        case (.bytes(let x), .bytes(let y)): return x.lexicographicallyPrecedes(y) ? -1 : (x == y ? 0 : 1)
        case (.timestamp(let x), .timestamp(let y)): return cmp(x, y)
        case (.duration(let x), .duration(let y)): return cmp(x, y)
        case (.bool(let x), .bool(let y)): return cmp(x ? 1 : 0, y ? 1 : 0)
        case (.list(let x), .list(let y)):
            for (p, q) in zip(x, y) {
                guard let c = compare(p, q) else { return nil }
                if c != 0 { return c }
            }
            return cmp(x.count, y.count)
        default: return nil
        }
    }

    /// Whether `self` (a list, set or map's keys) contains `element`.
    func contains(_ element: RuleValue) -> Bool? {
        switch self {
        case .list(let l), .set(let l): return l.contains { RuleValue.equal($0, element) }
        case .map(let m):
            guard case .string(let k) = element else { return false }
            return m[k] != nil
        default: return nil
        }
    }

    /// A set from a list: duplicates dropped, first occurrence kept.
    static func makeSet(_ items: [RuleValue]) -> [RuleValue] {
        var out: [RuleValue] = []
        for i in items where !out.contains(where: { equal($0, i) }) { out.append(i) }
        return out
    }
}

extension RuleValue: CustomStringConvertible {
    /// A short rendering for messages and coverage.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .string(let s): return "'\(s)'"
        case .bytes(let b): return "b'" + b.map { String(format: "\\x%02x", $0) }.joined() + "'"
        case .path(let p): return RuleValue.pathString(p)
        case .timestamp(let t): return "timestamp(\(t.seconds)s \(t.nanos)ns)"
        case .duration(let d): return "duration(\(d)ns)"
        case .latlng(let a, let b): return "latlng(\(a), \(b))"
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .set(let l): return "set([" + l.map(\.description).joined(separator: ", ") + "])"
        case .map(let m):
            return "{" + m.dictionary.sorted { $0.key < $1.key }.map { "'\($0.key)': \($0.value)" }
                .joined(separator: ", ") + "}"
        case .mapDiff: return "map_diff"
        case .constrained(let c): return "constraint(\(c))"
        }
    }

    /// The protobuf text form production's `debug()` prints.
    public var debugText: String {
        switch self {
        case .null: return "null_value: NULL_VALUE"
        case .bool(let b): return "bool_value: \(b)"
        case .int(let i): return "int_value: \(i)"
        case .float(let d): return "float_value: \(d)"
        case .string(let s): return "string_value: \"\(s)\""
        case .bytes(let b): return "bytes_value: \"" + b.map { String(format: "\\%03o", $0) }.joined() + "\""
        case .path(let p): return "path_value {\n" + p.map { "  segments {\n    simple: \"\($0)\"\n  }\n" }.joined() + "}"
        case .timestamp(let t): return "timestamp_value {\n  seconds: \(t.seconds)\n  nanos: \(t.nanos)\n}"
        case .duration(let d):
            return "duration_value {\n  seconds: \(d / 1_000_000_000)\n  nanos: \(d % 1_000_000_000)\n}"
        case .latlng(let a, let b): return "latlng_value {\n  latitude: \(a)\n  longitude: \(b)\n}"
        case .list(let l), .set(let l):
            let name = if case .set = self { "set_value" } else { "list_value" }
            return "\(name) {\n" + l.map { "  values {\n" + Self.indent($0.debugText, 4) + "\n  }\n" }.joined() + "}"
        case .map(let m):
            return "map_value {\n" + m.dictionary.sorted { $0.key < $1.key }.map {
                "  fields {\n    key: \"\($0.key)\"\n    value {\n" + Self.indent($0.value.debugText, 6) + "\n    }\n  }\n"
            }.joined() + "}"
        case .mapDiff: return "map_diff_value {}"
        case .constrained(let c): return "constraint_value { \(c) }"
        }
    }

    static func indent(_ s: String, _ n: Int) -> String {
        let pad = String(repeating: " ", count: n)
        return s.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n")
    }
}
