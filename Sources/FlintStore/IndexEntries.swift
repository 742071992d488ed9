import FlintCore
import FlintProto
import Foundation

/// The per-field index rows one document contributes: every field at every depth with its
/// encoded value, plus one "contains" row per distinct array element (for array-contains).
struct IndexEntry: Hashable {
    var field: String
    var value: [UInt8]

    static func == (a: IndexEntry, b: IndexEntry) -> Bool {
        a.value == b.value && a.field.utf8.elementsEqual(b.field.utf8)
    }

    // Hashes the bytes in one go (an array of bytes would be fed to the hasher one at a time).
    func hash(into hasher: inout Hasher) {
        hasher.combine(utf8: field)
        value.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Array-element rows use this prefix, which no canonical field path can start with.
    static let containsPrefix = "[]"

    /// `skipping`: canonical paths exempt from indexing (nothing inside them is indexed either).
    static func entries(of fields: Fields, skipping: Set<String>? = nil) -> Set<IndexEntry> {
        var out: [IndexEntry] = []
        collect(fields, prefix: "", skipping: skipping, into: &out)
        return Set(out)
    }

    /// The rows of `fields` as a list, in no order; a row may come twice (an array holding a value twice).
    static func list(of fields: Fields) -> [IndexEntry] {
        var out: [IndexEntry] = []
        out.reserveCapacity(fields.count * 2)
        collect(fields, prefix: "", skipping: nil, into: &out)
        return out
    }

    /// `prefix` is the canonical path of the enclosing map plus ".", or empty at the top.
    private static func collect(_ fields: Fields, prefix: String, skipping: Set<String>?, into out: inout [IndexEntry]) {
        for (key, value) in fields {
            let name = prefix + FieldPath.quoteIfNeeded(key)
            if skipping?.contains(name) == true { continue }
            collect(value, name: name, skipping: skipping, into: &out)
        }
    }

    /// The rows of one field (named by its canonical path) and everything inside it.
    private static func collect(
        _ value: FirestoreValue, name: String, skipping: Set<String>?, into out: inout [IndexEntry]
    ) {
        out.append(IndexEntry(field: name, value: IndexKey.encode(value)))
        switch value.valueType {
        case .mapValue(let m) where value.vectorElements == nil:
            collect(m.fields, prefix: name + ".", skipping: skipping, into: &out)
        case .arrayValue(let a):
            let contains = containsPrefix + name
            for element in a.values {
                out.append(IndexEntry(field: contains, value: IndexKey.encode(element)))
            }
        default:
            break
        }
    }

    /// The rows to remove and add when a document's fields change from `old` to `new`: only
    /// fields that differ are encoded, so a small change to a large document stays cheap. (A
    /// changed map's own row changes with it; its unchanged children keep theirs.)
    static func changes(from old: Fields, to new: Fields, skipping: Set<String>? = nil)
        -> (removing: Set<IndexEntry>, adding: Set<IndexEntry>)
    {
        var removing: [IndexEntry] = []
        var adding: [IndexEntry] = []
        diff(old, new, prefix: "", skipping: skipping, removing: &removing, adding: &adding)
        let r = Set(removing)
        let a = Set(adding)
        // Array elements can move between "contains" rows of one field; keep rows on both sides.
        return (r.subtracting(a), a.subtracting(r))
    }

    private static func diff(
        _ old: Fields, _ new: Fields, prefix: String, skipping: Set<String>?, removing: inout [IndexEntry],
        adding: inout [IndexEntry]
    ) {
        for (key, before) in old where new[key] == nil {
            let name = prefix + FieldPath.quoteIfNeeded(key)
            if skipping?.contains(name) == true { continue }
            collect(before, name: name, skipping: skipping, into: &removing)
        }
        for (key, after) in new {
            let name = prefix + FieldPath.quoteIfNeeded(key)
            if skipping?.contains(name) == true { continue }
            guard let before = old[key] else {
                collect(after, name: name, skipping: skipping, into: &adding)
                continue
            }
            if valuesIdentical(before, after) { continue }
            if case .mapValue(let b) = before.valueType, case .mapValue(let a) = after.valueType,
                before.vectorElements == nil, after.vectorElements == nil
            {
                removing.append(IndexEntry(field: name, value: IndexKey.encode(before)))
                adding.append(IndexEntry(field: name, value: IndexKey.encode(after)))
                diff(b.fields, a.fields, prefix: name + ".", skipping: skipping, removing: &removing, adding: &adding)
            } else {
                collect(before, name: name, skipping: skipping, into: &removing)
                collect(after, name: name, skipping: skipping, into: &adding)
            }
        }
    }
}

/// A document's stored form and index rows, computed ahead of the write transaction (and off
/// the serial writer) when the fields are already final.
public struct PreparedFields: Sendable {
    let blob: Data
    /// The index rows of a new document (nil: computed when needed).
    let entries: Set<IndexEntry>?

    /// `indexRows`: also compute the index rows (worth it off the writer, where they are free).
    public init(_ fields: Fields, indexRows: Bool = true) throws {
        blob = try Self.encode(fields)
        entries = indexRows ? IndexEntry.entries(of: fields) : nil
    }

    init(blob: Data, entries: Set<IndexEntry>?) {
        self.blob = blob
        self.entries = entries
    }

    /// The stored form of a document's fields.
    static func encode(_ fields: Fields) throws -> Data {
        var map = FirestoreMap()
        map.fields = fields
        return try map.serializedBytes()
    }
}
