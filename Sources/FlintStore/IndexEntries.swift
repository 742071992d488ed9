import FlintCore

/// The per-field index rows one document contributes: every field at every depth with its
/// encoded value, plus one "contains" row per distinct array element (for array-contains).
struct IndexEntry: Hashable {
    var field: String
    var value: [UInt8]

    /// Array-element rows use this prefix, which no canonical field path can start with.
    static let containsPrefix = "[]"

    static func entries(of fields: Fields) -> Set<IndexEntry> {
        var out = Set<IndexEntry>()
        collect(fields, prefix: [], into: &out)
        return out
    }

    private static func collect(_ fields: Fields, prefix: [String], into out: inout Set<IndexEntry>) {
        for (key, value) in fields {
            let path = prefix + [key]
            let name = FieldPath(path).description
            out.insert(IndexEntry(field: name, value: IndexKey.encode(value)))
            switch value.valueType {
            case .mapValue(let m) where value.vectorElements == nil:
                collect(m.fields, prefix: path, into: &out)
            case .arrayValue(let a):
                for element in a.values {
                    out.insert(IndexEntry(field: containsPrefix + name, value: IndexKey.encode(element)))
                }
            default:
                break
            }
        }
    }
}
