import FlintProto

/// Reading and writing values at field paths inside a document's fields.
extension Dictionary where Key == String, Value == FirestoreValue {
    public func value(at path: FieldPath) -> FirestoreValue? {
        var current: Fields = self
        for (i, segment) in path.segments.enumerated() {
            guard let v = current[segment] else { return nil }
            if i == path.count - 1 { return v }
            guard let next = v.mapFields else { return nil }
            current = next
        }
        return nil
    }

    /// Sets a value, creating or replacing intermediate maps as needed.
    public mutating func setValue(_ value: FirestoreValue, at path: FieldPath) {
        setValue(value, at: path.segments[...])
    }

    private mutating func setValue(_ value: FirestoreValue, at segments: ArraySlice<String>) {
        guard let first = segments.first else { return }
        if segments.count == 1 {
            self[first] = value
            return
        }
        var child = self[first]?.mapFields ?? [:]
        child.setValue(value, at: segments.dropFirst())
        self[first] = .map(child)
    }

    /// Removes the value at a path; missing intermediate maps are left alone.
    public mutating func removeValue(at path: FieldPath) {
        removeValue(at: path.segments[...])
    }

    private mutating func removeValue(at segments: ArraySlice<String>) {
        guard let first = segments.first else { return }
        if segments.count == 1 {
            self.removeValue(forKey: first)
            return
        }
        guard var child = self[first]?.mapFields else { return }
        child.removeValue(at: segments.dropFirst())
        self[first] = .map(child)
    }

    /// Only the fields named by a mask (a projection); paths that don't exist are skipped.
    public func projected(onto mask: [FieldPath]) -> Fields {
        var out: Fields = [:]
        for path in mask {
            if let v = value(at: path) { out.setValue(v, at: path) }
        }
        return out
    }

    /// Every leaf path of these fields: maps are descended, everything else is a leaf.
    public func leafPaths(prefix: [String] = []) -> [FieldPath] {
        var out: [FieldPath] = []
        for (key, v) in self {
            if let child = v.mapFields, !child.isEmpty {
                out.append(contentsOf: child.leafPaths(prefix: prefix + [key]))
            } else {
                out.append(FieldPath(prefix + [key]))
            }
        }
        return out
    }
}

/// Semantic equality of field sets (protobuf map encoding order is not stable, so never compare bytes).
public func fieldsEqual(_ a: Fields, _ b: Fields) -> Bool {
    guard a.count == b.count else { return false }
    for (k, va) in a {
        guard let vb = b[k], valuesIdentical(va, vb) else { return false }
    }
    return true
}

/// Identity of stored values: unlike query equality, 1 and 1.0 differ and NaN equals NaN.
public func valuesIdentical(_ a: FirestoreValue, _ b: FirestoreValue) -> Bool {
    switch (a.valueType, b.valueType) {
    case (.doubleValue(let x), .doubleValue(let y)): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) || x == y
    case (.stringValue(let x), .stringValue(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.referenceValue(let x), .referenceValue(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.mapValue(let x), .mapValue(let y)): return fieldsEqual(x.fields, y.fields)
    case (.arrayValue(let x), .arrayValue(let y)):
        return x.values.count == y.values.count && zip(x.values, y.values).allSatisfy { valuesIdentical($0, $1) }
    default: return a == b
    }
}
