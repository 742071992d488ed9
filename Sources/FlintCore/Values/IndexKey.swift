import FlintProto

/// An order-preserving byte encoding of values: comparing two encodings with memcmp gives
/// exactly `ValueOrder.compare`, so the per-field index answers range and order queries in SQLite.
///
/// Layout: a type tag, then a payload whose byte order is the value order within the type.
/// Variable-length payloads escape 0x00 as 0x00 0xFF and end with 0x00 0x01, so a prefix sorts first.
public enum IndexKey {
    enum Tag: UInt8 {
        case null = 0x05, boolean = 0x0A, nan = 0x0F, number = 0x10, timestamp = 0x14, string = 0x19
        case bytes = 0x1E, reference = 0x23, geoPoint = 0x28, array = 0x2D, vector = 0x30, map = 0x32
    }

    public static func encode(_ value: FirestoreValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(value, to: &out)
        return out
    }

    public static func append(_ value: FirestoreValue, to out: inout [UInt8]) {
        switch value.valueType {
        case .nullValue, nil:
            out.append(Tag.null.rawValue)
        case .booleanValue(let b):
            out.append(Tag.boolean.rawValue)
            out.append(b ? 1 : 0)
        case .integerValue(let i):
            appendInteger(i, to: &out)
        case .doubleValue(let d):
            if d.isNaN {
                out.append(Tag.nan.rawValue)
            } else {
                out.append(Tag.number.rawValue)
                appendOrderedDouble(d, to: &out)
                out.append(contentsOf: [0, 0])
            }
        case .timestampValue(let t):
            out.append(Tag.timestamp.rawValue)
            appendBigEndian(UInt64(bitPattern: t.seconds) ^ (1 << 63), to: &out)
            appendBigEndian(UInt32(bitPattern: t.nanos), to: &out)
        case .stringValue(let s):
            out.append(Tag.string.rawValue)
            appendEscaped(s.utf8, to: &out)
        case .bytesValue(let b):
            out.append(Tag.bytes.rawValue)
            appendEscaped(b, to: &out)
        case .referenceValue(let r):
            out.append(Tag.reference.rawValue)
            for segment in r.split(separator: "/", omittingEmptySubsequences: false) {
                appendSegment(segment, to: &out)
            }
            out.append(contentsOf: [0, 0])
        case .geoPointValue(let g):
            out.append(Tag.geoPoint.rawValue)
            appendOrderedDouble(g.latitude, to: &out)
            appendOrderedDouble(g.longitude, to: &out)
        case .arrayValue(let a):
            out.append(Tag.array.rawValue)
            for element in a.values { append(element, to: &out) }
            out.append(0)
        case .mapValue(let m):
            if let vector = value.vectorElements {
                out.append(Tag.vector.rawValue)
                appendBigEndian(UInt32(vector.count), to: &out)
                for element in vector { append(element, to: &out) }
                out.append(0)
            } else {
                out.append(Tag.map.rawValue)
                for key in ValueOrder.sortedKeys(m.fields) {
                    out.append(1)
                    appendEscaped(key.utf8, to: &out)
                    append(m.fields[key]!, to: &out)
                }
                out.append(0)
            }
        }
    }

    /// Integers share the number space with doubles: the largest double not above the integer,
    /// then the (small, non-negative) remainder, so integers and doubles interleave exactly.
    static func appendInteger(_ i: Int64, to out: inout [UInt8]) {
        out.append(Tag.number.rawValue)
        var d = Double(i)
        if ValueOrder.compareIntDouble(i, d) < 0 { d = d.nextDown }
        let remainder = i &- Int64(d)
        appendOrderedDouble(d, to: &out)
        appendBigEndian(UInt16(truncatingIfNeeded: remainder), to: &out)
    }

    static func appendOrderedDouble(_ d: Double, to out: inout [UInt8]) {
        let normalized = d == 0 ? 0.0 : d
        var bits = normalized.bitPattern
        bits = (bits & (1 << 63)) != 0 ? ~bits : bits | (1 << 63)
        appendBigEndian(bits, to: &out)
    }

    /// A path segment: escaped bytes, or for a numeric id `00 00` and its escaped big-endian value,
    /// which sorts before every string.
    static func appendSegment<S: StringProtocol>(_ segment: S, to out: inout [UInt8]) {
        guard segment.utf8.first == UInt8(ascii: "_"), let n = NumericID.value(segment) else {
            appendEscaped(segment.utf8, to: &out)
            return
        }
        out.append(contentsOf: [0, 0])
        withUnsafeBytes(of: (UInt64(bitPattern: n) ^ (1 << 63)).bigEndian) { appendEscaped($0, to: &out) }
    }

    static func appendEscaped<S: Sequence<UInt8>>(_ bytes: S, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(byte)
            if byte == 0 { out.append(0xFF) }
        }
        out.append(contentsOf: [0, 1])
    }

    static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    /// The encoding of a document path for ordering by `__name__` across collections.
    public static func encode(path: ResourcePath) -> [UInt8] {
        var out: [UInt8] = []
        for segment in path.segments { appendSegment(segment, to: &out) }
        return out
    }
}

extension IndexKey {
    /// Inverts `encode(path:)`.
    public static func decodePath(_ bytes: [UInt8]) -> ResourcePath {
        var segments: [String] = []
        var current: [UInt8] = []
        var numeric = false
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if current.isEmpty, !numeric, b == 0, i + 1 < bytes.count, bytes[i + 1] == 0 {
                numeric = true
                i += 2
                continue
            }
            if b == 0, i + 1 < bytes.count, bytes[i + 1] != 0xFF, numeric {
                let n = Int64(bitPattern: current.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } ^ (1 << 63))
                segments.append("__id\(n)__")
                (current, numeric) = ([], false)
                i += 2
            } else if b == 0, i + 1 < bytes.count {
                if bytes[i + 1] == 0xFF {
                    current.append(0)
                } else {
                    segments.append(String(decoding: current, as: UTF8.self))
                    current = []
                }
                i += 2
            } else {
                current.append(b)
                i += 1
            }
        }
        return ResourcePath(segments)
    }

    /// The first byte of every encoding of a value of this value's type, and the byte after
    /// the type's last encoding: the bounds of a range filter, which never crosses types.
    public static func typeBounds(of value: FirestoreValue) -> (lower: [UInt8], upper: [UInt8]) {
        let tag = encode(value)[0]
        return ([tag], [tag + 1])
    }
}

extension IndexKey {
    public static let nullTag = Tag.null.rawValue
    public static let nanTag = Tag.nan.rawValue
}
