import FlintProto

/// Firestore's total order over values: null < boolean < number < timestamp < string < bytes
/// < reference < geopoint < array < vector < map, with NaN before every other number and
/// integers and doubles compared exactly by value.
public enum ValueOrder {
    /// The rank of a value's type in the cross-type order.
    public static func typeRank(_ value: FirestoreValue) -> Int {
        switch value.valueType {
        case .nullValue, nil: 0
        case .booleanValue: 1
        case .integerValue, .doubleValue: 2
        case .timestampValue: 3
        case .stringValue: 4
        case .bytesValue: 5
        case .referenceValue: 6
        case .geoPointValue: 7
        case .arrayValue: 8
        case .mapValue: value.vectorElements == nil ? 10 : 9
        }
    }

    /// -1, 0 or 1.
    public static func compare(_ a: FirestoreValue, _ b: FirestoreValue) -> Int {
        let ra = typeRank(a)
        let rb = typeRank(b)
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a.valueType, b.valueType) {
        case (.booleanValue(let x), .booleanValue(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.integerValue(let x), .integerValue(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.doubleValue(let x), .doubleValue(let y)): return compareDoubles(x, y)
        case (.integerValue(let x), .doubleValue(let y)): return compareIntDouble(x, y)
        case (.doubleValue(let x), .integerValue(let y)): return -compareIntDouble(y, x)
        case (.timestampValue(let x), .timestampValue(let y)):
            if x.seconds != y.seconds { return x.seconds < y.seconds ? -1 : 1 }
            return x.nanos == y.nanos ? 0 : (x.nanos < y.nanos ? -1 : 1)
        case (.stringValue(let x), .stringValue(let y)): return compareBytes(x.utf8, y.utf8)
        case (.bytesValue(let x), .bytesValue(let y)): return compareBytes(x, y)
        case (.referenceValue(let x), .referenceValue(let y)): return compareReferences(x, y)
        case (.geoPointValue(let x), .geoPointValue(let y)):
            let c = compareDoubles(x.latitude, y.latitude)
            return c != 0 ? c : compareDoubles(x.longitude, y.longitude)
        case (.arrayValue(let x), .arrayValue(let y)): return compareArrays(x.values, y.values)
        case (.mapValue(let x), .mapValue(let y)):
            if let vx = a.vectorElements, let vy = b.vectorElements {
                if vx.count != vy.count { return vx.count < vy.count ? -1 : 1 }
                return compareArrays(vx, vy)
            }
            return compareMaps(x.fields, y.fields)
        default: return 0
        }
    }

    public static func equal(_ a: FirestoreValue, _ b: FirestoreValue) -> Bool { compare(a, b) == 0 }

    /// NaN first (and equal to itself), then by value; -0.0 equals 0.0.
    public static func compareDoubles(_ x: Double, _ y: Double) -> Int {
        if x.isNaN { return y.isNaN ? 0 : -1 }
        if y.isNaN { return 1 }
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    /// Exact comparison of an integer with a double (2^53 + 1 is greater than 2^53 as a double).
    public static func compareIntDouble(_ i: Int64, _ d: Double) -> Int {
        if d.isNaN { return 1 }
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        let truncated = d.rounded(.towardZero)
        let t = Int64(truncated)
        if i != t { return i < t ? -1 : 1 }
        let fraction = d - truncated
        return fraction == 0 ? 0 : (fraction > 0 ? -1 : 1)
    }

    public static func compareBytes<A: Sequence<UInt8>, B: Sequence<UInt8>>(_ a: A, _ b: B) -> Int {
        var ia = a.makeIterator()
        var ib = b.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    /// References compare segment by segment, shorter first.
    public static func compareReferences(_ a: String, _ b: String) -> Int {
        let sa = a.split(separator: "/", omittingEmptySubsequences: false)
        let sb = b.split(separator: "/", omittingEmptySubsequences: false)
        for (x, y) in zip(sa, sb) {
            let c = NumericID.compare(x, y)
            if c != 0 { return c }
        }
        return sa.count == sb.count ? 0 : (sa.count < sb.count ? -1 : 1)
    }

    public static func compareArrays(_ a: [FirestoreValue], _ b: [FirestoreValue]) -> Int {
        for (x, y) in zip(a, b) {
            let c = compare(x, y)
            if c != 0 { return c }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Maps compare by their keys in byte order, key then value, shorter first.
    public static func compareMaps(_ a: Fields, _ b: Fields) -> Int {
        let ka = sortedKeys(a)
        let kb = sortedKeys(b)
        for (x, y) in zip(ka, kb) {
            let c = compareBytes(x.utf8, y.utf8)
            if c != 0 { return c }
            let v = compare(a[x]!, b[y]!)
            if v != 0 { return v }
        }
        return ka.count == kb.count ? 0 : (ka.count < kb.count ? -1 : 1)
    }

    /// Map keys in UTF-8 byte order (Swift's String order is by Unicode scalars, not bytes).
    public static func sortedKeys(_ fields: Fields) -> [String] {
        fields.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
