/// Numeric document ids, spelled `__id<n>__` for a 64-bit `n`: the ids Datastore hands out, which
/// Firestore accepts and orders before every string id (by value among themselves). Clients use
/// `__id-9223372036854775808__`, the lowest of them, to start a range at a collection's first
/// document (the Python client's recursive queries, firebase-tools' deletes).
public enum NumericID {
    /// The value of a numeric id, or nil for any other id.
    public static func value<S: StringProtocol>(_ id: S) -> Int64? {
        guard let digits = digits(id) else { return nil }
        return Int64(digits)
    }

    /// The `<n>` of an id spelled `__id<n>__` (an optional minus and digits), whatever its size.
    static func digits<S: StringProtocol>(_ id: S) -> Substring? {
        let u = id.utf8
        guard u.count > 6, u.starts(with: "__id".utf8), u.reversed().starts(with: "__".utf8) else { return nil }
        let inner = Substring(id).dropFirst(4).dropLast(2)
        let unsigned = inner.hasPrefix("-") ? inner.dropFirst() : inner
        guard !unsigned.isEmpty, unsigned.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return inner
    }

    /// Orders two ids of one collection: numeric ids first, by value; string ids by UTF-8 bytes.
    public static func compare<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Int {
        let (x, y) = (a.utf8.first == UInt8(ascii: "_") ? value(a) : nil, b.utf8.first == UInt8(ascii: "_") ? value(b) : nil)
        switch (x, y) {
        case (let x?, let y?): return x < y ? -1 : (x == y ? 0 : 1)
        case (.some, nil): return -1
        case (nil, .some): return 1
        case (nil, nil): return ValueOrder.compareBytes(a.utf8, b.utf8)
        }
    }
}
