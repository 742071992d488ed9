import FlintCore
import FlintProto
import Foundation

/// The per-field index rows one document contributes: every field at every depth with its
/// encoded value, plus one "contains" row per distinct array element (for array-contains).
struct IndexEntry: Hashable {
    var field: String
    var value: [UInt8]

    /// Array-element rows use this prefix, which no canonical field path can start with.
    static let containsPrefix = "[]"

    static func entries(of fields: Fields) -> Set<IndexEntry> {
        var out: [IndexEntry] = []
        collect(fields, prefix: "", into: &out)
        return Set(out)
    }

    /// `prefix` is the canonical path of the enclosing map plus ".", or empty at the top.
    private static func collect(_ fields: Fields, prefix: String, into out: inout [IndexEntry]) {
        for (key, value) in fields {
            let name = prefix + FieldPath.quoteIfNeeded(key)
            out.append(IndexEntry(field: name, value: IndexKey.encode(value)))
            switch value.valueType {
            case .mapValue(let m) where value.vectorElements == nil:
                collect(m.fields, prefix: name + ".", into: &out)
            case .arrayValue(let a):
                let contains = containsPrefix + name
                for element in a.values {
                    out.append(IndexEntry(field: contains, value: IndexKey.encode(element)))
                }
            default:
                break
            }
        }
    }
}

/// A document's stored form and index rows, computed ahead of the write transaction (and off
/// the serial writer) when the fields are already final.
public struct PreparedFields: Sendable {
    let blob: Data
    let entries: Set<IndexEntry>

    public init(_ fields: Fields) throws {
        var map = FirestoreMap()
        map.fields = fields
        blob = try map.serializedBytes()
        entries = IndexEntry.entries(of: fields)
    }
}
