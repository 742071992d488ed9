import FlintProto

/// Production's limits on what a document may hold, checked before anything is stored, and the
/// normalisation every stored value gets (microsecond timestamps, -0.0 as 0.0).
public enum DocumentValidation {
    public static let maxDocumentBytes = 1_048_576
    public static let maxValueBytes = 1_048_487
    public static let maxDepth = 20
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
    public static let minSeconds: Int64 = -62_135_596_800
    public static let maxSeconds: Int64 = 253_402_300_799

    /// Validates and normalises a document's fields; throws naming the first offending field.
    public static func normalized(_ fields: Fields, documentName: String) throws(FirestoreError) -> Fields {
        var out = fields
        for (key, value) in fields {
            let checked = try normalized(value, path: [key], depth: 1)
            // Most values come back unchanged; only write back the ones normalisation altered.
            if needsNormalizing(value) { out[key] = checked }
        }
        let size = documentSize(name: documentName, fields: out)
        if size > maxDocumentBytes {
            throw .invalidArgument("maximum entity size is \(maxDocumentBytes) bytes")
        }
        return out
    }

    /// Whether normalisation can change this value (timestamps below microseconds, -0.0, or containers).
    static func needsNormalizing(_ value: FirestoreValue) -> Bool {
        switch value.valueType {
        case .doubleValue(let d): d == 0 && d.sign == .minus
        case .timestampValue(let t): t.nanos % 1000 != 0
        case .arrayValue, .mapValue: true
        default: false
        }
    }

    static func describe(_ path: [String]) -> String { FieldPath(path).description }

    /// Validates and normalises one value (also used for transform operands and query values).
    public static func normalized(
        _ value: FirestoreValue, path: [String], depth: Int, inArray: Bool = false, checkingName: Bool = true
    ) throws(FirestoreError) -> FirestoreValue {
        if let key = path.last, !inArray, checkingName {
            if key.isEmpty {
                throw .invalidArgument("The property.name is the empty string.")
            }
            if isReserved(key) {
                throw .invalidArgument(path.count == 1 ? "field name \(key) is reserved" : "field name '\(key)' is reserved.")
            }
        }
        switch value.valueType {
        case nil:
            throw .invalidArgument("Cannot convert firestore.v1.Value with type unset.")
        case .doubleValue(let d) where d == 0 && d.sign == .minus:
            return .double(0)
        case .stringValue(let s) where s.utf8.count > maxValueBytes:
            throw .invalidArgument("The value of property \"\(describe(path))\" is longer than \(maxValueBytes) bytes.")
        case .bytesValue(let b) where b.count > maxValueBytes:
            throw .invalidArgument("The value of property \"\(describe(path))\" is longer than \(maxValueBytes) bytes.")
        case .timestampValue(let t):
            guard t.seconds >= minSeconds, t.seconds <= maxSeconds, t.nanos >= 0, t.nanos < 1_000_000_000 else {
                throw .invalidArgument(
                    "Timestamp for field \"\(describe(path))\" is out of range: it must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z."
                )
            }
            if t.nanos % 1000 == 0 { return value }
            return .timestamp(ProtoTimestamp(seconds: t.seconds, nanos: t.nanos - t.nanos % 1000))
        case .geoPointValue(let g):
            guard g.latitude >= -90, g.latitude <= 90, g.longitude >= -180, g.longitude <= 180 else {
                throw .invalidArgument(
                    "GeoPoint for field \"\(describe(path))\" is out of range: latitude must lie in [-90, 90] and longitude in [-180, 180]."
                )
            }
            return value
        case .referenceValue(let r):
            try ResourceName.validateReference(r)
            return value
        case .arrayValue(let a):
            if inArray {
                throw .invalidArgument("Field \"\(describe(path))\" holds an array directly inside an array, which is not allowed.")
            }
            try checkDepth(depth, path)
            var copy = a
            if copy.values.contains(where: { $0.vectorElements != nil }) {
                throw .invalidArgument("Cannot convert a vector value in an array value.")
            }
            for i in copy.values.indices {
                copy.values[i] = try normalized(copy.values[i], path: path, depth: depth + 1, inArray: true)
            }
            return .with { $0.arrayValue = copy }
        case .mapValue(let m):
            try checkDepth(depth, path)
            if VectorValue.isTagged(m) {
                // Stored vectors may not hold NaN; query operands (checked without names) may.
                try VectorValue.validate(m, allowNaN: !checkingName, place: "field \"\(describe(path))\"")
            }
            var copy = m
            for (k, v) in m.fields {
                copy.fields[k] = try normalized(v, path: path + [k], depth: depth + 1)
            }
            return .with { $0.mapValue = copy }
        default:
            return value
        }
    }

    /// Validates a query operand. Unlike stored values, timestamps keep their nanoseconds: a filter
    /// compares exactly (as the official emulator does), so `== …000001999Z` matches nothing stored.
    public static func validatedOperand(_ value: FirestoreValue, path: [String]) throws(FirestoreError) -> FirestoreValue {
        let checked = try normalized(value, path: path, depth: 1, checkingName: false)
        if case .timestampValue = value.valueType { return value }
        return checked
    }

    /// The size a query counts for a filter value (it rejects values over 1,500): strings their
    /// bytes + 1, bytes their length, numbers and timestamps 8, geopoints 16, null, booleans and
    /// empty containers 1, containers the sum of their parts.
    public static func queryValueSize(_ value: FirestoreValue) -> Int {
        switch value.valueType {
        case .arrayValue(let a): return a.values.isEmpty ? 1 : a.values.reduce(0) { $0 + queryValueSize($1) }
        case .mapValue(let m):
            return m.fields.isEmpty ? 1 : m.fields.reduce(0) { $0 + $1.key.utf8.count + 1 + queryValueSize($1.value) }
        case .referenceValue(let r): return r.utf8.count + 1
        default: return valueSize(value)
        }
    }

    /// Field names matching `__.*__` are reserved, except a vector's `__type__`.
    static func isReserved(_ key: String) -> Bool {
        key.utf8.count >= 4 && key.hasPrefix("__") && key.hasSuffix("__") && key != "__type__"
    }

    static func checkDepth(_ depth: Int, _ path: [String]) throws(FirestoreError) {
        if depth > maxDepth {
            throw .invalidArgument(
                "Field \"\(describe(path))\" is nested too deeply: maps and arrays may nest at most \(maxDepth) levels.")
        }
    }

    /// Production's storage size: name + fields + 32 bytes.
    public static func documentSize(name: String, fields: Fields) -> Int {
        nameSize(name) + fieldsSize(fields) + 32
    }

    static func nameSize(_ name: String) -> Int {
        // Each path segment below `projects/p/databases/d/documents` counts its bytes + 1, plus 16
        // for the name itself (empty segments count for nothing). Counted in place: every write
        // and every imported document asks.
        var size = 16
        var segments = 0
        var length = 0
        for byte in name.utf8 {
            guard byte == UInt8(ascii: "/") else {
                length += 1
                continue
            }
            if length > 0 {
                if segments >= 5 { size += length + 1 }
                segments += 1
            }
            length = 0
        }
        if length > 0, segments >= 5 { size += length + 1 }
        return size
    }

    static func fieldsSize(_ fields: Fields) -> Int {
        fields.reduce(0) { $0 + $1.key.utf8.count + 1 + valueSize($1.value) }
    }

    static func valueSize(_ value: FirestoreValue) -> Int {
        switch value.valueType {
        case .nullValue, .booleanValue, nil: 1
        case .integerValue, .doubleValue, .timestampValue: 8
        case .stringValue(let s): s.utf8.count + 1
        case .bytesValue(let b): b.count
        case .referenceValue(let r): nameSize(r)
        case .geoPointValue: 16
        case .arrayValue(let a): a.values.reduce(0) { $0 + valueSize($1) }
        case .mapValue(let m): fieldsSize(m.fields)
        }
    }
}
