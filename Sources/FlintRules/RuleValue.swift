import FlintCore

/// A value of the rules language.
public enum RuleValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// Segments of a path, without the leading slash.
    case path([String])
    case timestamp(RuleTimestamp)
    /// Nanoseconds.
    case duration(Int64)
    case latlng(Double, Double)
    case list([RuleValue])
    case map(RuleMap)
    case set([RuleValue])
    case mapDiff(RuleMap, RuleMap)
    /// A field a query constrains without fixing its value (only while judging a list).
    indirect case constrained(QueryConstraint)

    public static let typeNames: Set<String> = [
        "bool", "bytes", "float", "int", "list", "latlng", "number", "path", "map", "set", "string", "timestamp",
        "duration", "map_diff", "constraint",
    ]

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "string"
        case .bytes: "bytes"
        case .path: "path"
        case .timestamp: "timestamp"
        case .duration: "duration"
        case .latlng: "latlng"
        case .list: "list"
        case .map: "map"
        case .set: "set"
        case .mapDiff: "map_diff"
        case .constrained: "constraint"
        }
    }

    func isType(_ name: String) -> Bool {
        switch (name, self) {
        case ("number", .int), ("number", .float): true
        // Production compiles `x is set` but never answers true (checked against the official emulator).
        case ("set", _): false
        default: typeName == name
        }
    }

    /// A string with segments joined by '/' and a leading slash.
    static func pathString(_ segments: [String]) -> String { "/" + segments.joined(separator: "/") }

    /// Parses `/a/b` or `a/b` into segments.
    static func pathSegments(_ s: String) -> [String] {
        s.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}

/// A Firestore timestamp: seconds and nanoseconds since the epoch.
public struct RuleTimestamp: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanos: Int32
    public init(seconds: Int64, nanos: Int32) {
        self.seconds = seconds
        self.nanos = nanos
    }
    public init(micros: Int64) {
        let t = ProtoTimestamp(micros: micros)
        self.init(seconds: t.seconds, nanos: t.nanos)
    }
    public static func < (a: Self, b: Self) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }

    /// Production's range: 0001-01-01 to 9999-12-31.
    static let minSeconds: Int64 = -62_135_596_800
    static let maxSeconds: Int64 = 253_402_300_799

    func adding(nanos d: Int64) -> RuleTimestamp? {
        let total = Int64(nanos) + d % 1_000_000_000
        var s = seconds + d / 1_000_000_000 + total / 1_000_000_000
        var n = total % 1_000_000_000
        if n < 0 {
            n += 1_000_000_000
            s -= 1
        }
        guard s >= Self.minSeconds && s <= Self.maxSeconds else { return nil }
        return RuleTimestamp(seconds: s, nanos: Int32(n))
    }
}

/// A map, either already converted or still the document's stored fields (converted key by key,
/// so a rule that reads one field of a large document converts only that field), or one of the
/// few fixed-key maps every request builds (`request`, `request.auth`, `resource`): a handful of
/// distinct keys found by comparison, without building and hashing a dictionary per request.
public enum RuleMap: Sendable {
    case values([String: RuleValue])
    case fields(Fields)
    case record([(key: String, value: RuleValue)])

    public subscript(key: String) -> RuleValue? {
        switch self {
        case .values(let v): v[key]
        case .fields(let f): f[key].map(RuleValue.init(firestore:))
        case .record(let r): r.first { $0.key == key }?.value
        }
    }

    public var count: Int {
        switch self {
        case .values(let v): v.count
        case .fields(let f): f.count
        case .record(let r): r.count
        }
    }

    public var keys: [String] {
        switch self {
        case .values(let v): Array(v.keys)
        case .fields(let f): Array(f.keys)
        case .record(let r): r.map(\.key)
        }
    }

    public var dictionary: [String: RuleValue] {
        switch self {
        case .values(let v): v
        case .fields(let f): f.mapValues(RuleValue.init(firestore:))
        case .record(let r): Dictionary(uniqueKeysWithValues: r)
        }
    }
}

extension RuleValue {
    /// Converts a stored Firestore value.
    public init(firestore v: FirestoreValue) {
        switch v.valueType {
        case .nullValue, .none: self = .null
        case .booleanValue(let b): self = .bool(b)
        case .integerValue(let i): self = .int(i)
        case .doubleValue(let d): self = .float(d)
        case .stringValue(let s): self = .string(s)
        case .bytesValue(let b): self = .bytes(Array(b))
        case .timestampValue(let t): self = .timestamp(RuleTimestamp(seconds: t.seconds, nanos: t.nanos))
        case .geoPointValue(let g): self = .latlng(g.latitude, g.longitude)
        case .referenceValue(let r):
            // projects/p/databases/d/documents/a/b → /databases/d/documents/a/b
            let parts = RuleValue.pathSegments(r)
            self = .path(parts.count >= 2 && parts[0] == "projects" ? Array(parts.dropFirst(2)) : parts)
        case .arrayValue(let a): self = .list(a.values.map(RuleValue.init(firestore:)))
        case .mapValue(let m): self = .map(.fields(m.fields))
        }
    }

    public static func map(_ d: [String: RuleValue]) -> RuleValue { .map(.values(d)) }
}
