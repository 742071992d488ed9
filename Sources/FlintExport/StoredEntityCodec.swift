import FlintCore
import Foundation

/// Export records straight from documents' stored form (a serialized `MapValue`), read in place
/// with `WireRegion`, never built into value trees or strings: the bytes `EntityCodec.encode`
/// writes for the same document, at a fraction of the cost.
enum StoredEntityCodec {
    typealias Entity = EntityCodec.Entity
    typealias Reference = EntityCodec.Reference
    typealias PathElement = EntityCodec.PathElement
    typealias Property = EntityCodec.Property
    typealias Value = EntityCodec.Value
    typealias Meaning = EntityCodec.Meaning

    /// Field numbers of `google.firestore.v1.Value` and the messages inside it.
    enum Stored {
        static let boolean = 1, integer = 2, double = 3, reference = 5, map = 6, geoPoint = 8, array = 9
        static let timestamp = 10, null = 11, string = 17, bytes = 18
    }

    /// What the keys of one collection's documents share, encoded once for all of them (a class:
    /// each document takes one reference, not one per array).
    final class Collection: Sendable {
        /// `Reference.app`.
        let keyStart: [UInt8]
        /// The path elements of the ancestors.
        let ancestorGroups: [UInt8]
        let kind: [UInt8]
        let databaseID: [UInt8]?
        /// The entity group's element when it is an ancestor's (nil: each document is its own).
        let rootGroup: [UInt8]?

        /// `path` is the collection's: an odd number of segments.
        init(database: DatabaseID, path: ResourcePath) {
            var w = ProtoWriter()
            w.string(Reference.app, EntityCodec.appID(database.project))
            keyStart = w.bytes
            var ancestors = ProtoWriter()
            var root: [UInt8]?
            for pair in stride(from: 0, to: path.count - 1, by: 2) {
                ancestors.group(PathElement.group) { e in
                    e.string(PathElement.type, path.segments[pair])
                    StoredEntityCodec.writeID(path.segments[pair + 1], &e)
                }
                if pair == 0 { root = ancestors.bytes }
            }
            ancestorGroups = ancestors.bytes
            rootGroup = root
            kind = Array(path.segments[path.count - 1].utf8)
            databaseID = database.database == "(default)" ? nil : Array(database.database.utf8)
        }
    }

    /// The export record of document `id` of `collection` whose stored fields are `stored`.
    static func encode(
        _ collection: Collection, id: UnsafeRawBufferPointer, stored: UnsafeRawBufferPointer,
        into w: inout ProtoWriter, scratch: inout [Entry]
    ) throws {
        w.message(Entity.key) { key in
            key.raw(collection.keyStart)
            key.message(Reference.path) { p in
                p.raw(collection.ancestorGroups)
                p.group(PathElement.group) { e in
                    e.bytes(PathElement.type, collection.kind)
                    writeID(id, &e)
                }
            }
            if let database = collection.databaseID { key.bytes(Reference.databaseID, database) }
        }
        let base = scratch.count
        try collect(WireRegion(stored), into: &scratch)
        try writeProperties(base, &w, &scratch)
        scratch.removeSubrange(base...)
        w.message(Entity.entityGroup) { p in
            if let root = collection.rootGroup {
                p.raw(root)
            } else {
                p.group(PathElement.group) { e in
                    e.bytes(PathElement.type, collection.kind)
                    writeID(id, &e)
                }
            }
        }
    }

    /// One document at a time, for callers with a path in hand.
    static func encode(database: DatabaseID, path: ResourcePath, stored: [UInt8], into w: inout ProtoWriter) throws {
        var scratch: [Entry] = []
        let collection = Collection(database: database, path: path.parent)
        try Array(path.segments[path.count - 1].utf8).withUnsafeBytes { id in
            try stored.withUnsafeBytes { try encode(collection, id: id, stored: $0, into: &w, scratch: &scratch) }
        }
    }

    private static func writeID(_ id: String, _ w: inout ProtoWriter) {
        var copy = id
        copy.withUTF8 { writeID(UnsafeRawBufferPointer($0), &w) }
    }

    /// A numeric id (`__id<n>__`) as its number, any other as its name.
    private static func writeID(
        _ id: UnsafeRawBufferPointer, _ w: inout ProtoWriter, id idField: Int = PathElement.id,
        name nameField: Int = PathElement.name
    ) {
        if let n = numericID(id) { w.int64(idField, n) } else { w.bytes(nameField, id) }
    }

    /// What `NumericID.value` answers, read from bytes.
    static func numericID(_ id: UnsafeRawBufferPointer) -> Int64? {
        let n = id.count
        guard n > 6, id[0] == 0x5F, id[1] == 0x5F, id[2] == 0x69, id[3] == 0x64, id[n - 2] == 0x5F, id[n - 1] == 0x5F
        else { return nil }
        var i = 4
        let negative = id[i] == 0x2D
        if negative { i += 1 }
        guard i < n - 2 else { return nil }
        var magnitude: UInt64 = 0
        while i < n - 2 {
            let digit = id[i] &- 0x30
            guard digit < 10 else { return nil }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            magnitude = sum
            i += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    // MARK: reading the stored form

    /// One stored value, its text and containers left where they are.
    struct Lite {
        enum Kind: UInt8 { case unset, null, boolean, integer, double, timestamp, string, bytes, reference, geoPoint, array, map }
        var kind = Kind.unset
        /// The number (bits of a double, seconds of a timestamp, latitude's bits of a point).
        var number: UInt64 = 0
        /// Nanoseconds of a timestamp, longitude's bits of a point.
        var second: UInt64 = 0
        /// Text, bytes, reference name, array or map body.
        var region = WireRegion(bytes: UnsafeRawBufferPointer(start: nil, count: 0), start: 0, end: 0)
    }

    /// One entry of a map: its name and value, and where it stood (of equal names the later wins).
    struct Entry {
        var name: WireRegion
        var value: Lite
        var order: Int
        var ascii: Bool
        /// The name's first eight bytes, big-endian, zero-padded: most names differ there.
        var prefix: UInt64

        init(name: WireRegion, value: Lite, order: Int) {
            self.name = name
            self.value = value
            self.order = order
            ascii = name.isASCII
            if name.count >= 8 {
                prefix = UInt64(bigEndian: name.bytes.loadUnaligned(fromByteOffset: name.start, as: UInt64.self))
            } else {
                var p: UInt64 = 0
                for i in 0..<8 { p = p << 8 | UInt64(i < name.count ? name.bytes[name.start + i] : 0) }
                prefix = p
            }
        }
    }

    static func malformed() -> WireError { WireError("a stored document's bytes are malformed") }

    /// Appends the entries of a `MapValue` to `scratch`, sorted by name with each name once.
    static func collect(_ map: WireRegion, into scratch: inout [Entry]) throws {
        let base = scratch.count
        let empty = WireRegion(bytes: map.bytes, start: map.start, end: map.start)
        let wellFormed = try map.fields { field in
            guard case .message(1, let entry) = field else { return true }
            var name = empty
            var value = Lite()
            let ok = try entry.fields { part in
                switch part {
                case .message(1, let n): name = n
                case .message(2, let v): value = try lite(v)
                default: break
                }
                return true
            }
            guard ok else { throw malformed() }
            scratch.append(Entry(name: name, value: value, order: scratch.count))
            return true
        }
        guard wellFormed else { throw malformed() }
        let count = scratch.count - base
        if count < 2 { return try validateNames(scratch[base...]) }
        try validateNames(scratch[base...])
        scratch[base...].sort { a, b in
            let c = compare(a, b)
            return c != 0 ? c < 0 : a.order < b.order
        }
        // Of equal names keep the last.
        var kept = base
        for i in base..<scratch.count {
            if i + 1 < scratch.count, compare(scratch[i], scratch[i + 1]) == 0 { continue }
            scratch[kept] = scratch[i]
            kept += 1
        }
        scratch.removeSubrange(kept...)
    }

    /// Names are text: bytes that are not UTF-8 are an error, as decoding them would be.
    private static func validateNames(_ entries: ArraySlice<Entry>) throws {
        for entry in entries where !entry.ascii {
            guard String(validating: entry.name.buffer, as: UTF8.self) != nil else {
                throw WireError("a stored field name is not UTF-8")
            }
        }
    }

    /// Swift's order of the names as strings: byte order for ASCII, the standard library's
    /// comparison (canonical equivalence) otherwise.
    private static func compare(_ a: Entry, _ b: Entry) -> Int {
        if a.ascii && b.ascii {
            if a.prefix != b.prefix { return a.prefix < b.prefix ? -1 : 1 }
            if a.name.count <= 8 && b.name.count <= 8 { return a.name.count - b.name.count }
            return a.name.compareBytes(b.name)
        }
        let x = String(decoding: a.name.buffer, as: UTF8.self)
        let y = String(decoding: b.name.buffer, as: UTF8.self)
        return x == y ? 0 : x < y ? -1 : 1
    }

    /// One `Value` message (of a oneof, the last field set counts).
    static func lite(_ value: WireRegion) throws -> Lite {
        var out = Lite()
        let wellFormed = try value.fields { field in
            switch field {
            case .varint(Stored.null, _): out = Lite(kind: .null)
            case .varint(Stored.boolean, let raw): out = Lite(kind: .boolean, number: raw)
            case .varint(Stored.integer, let raw): out = Lite(kind: .integer, number: raw)
            case .fixed64(Stored.double, let raw): out = Lite(kind: .double, number: raw)
            case .message(Stored.timestamp, let body):
                out = Lite(kind: .timestamp)
                try readPair(body, into: &out)
            case .message(Stored.geoPoint, let body):
                out = Lite(kind: .geoPoint, number: 0.0.bitPattern, second: 0.0.bitPattern)
                try readPair(body, into: &out)
            case .message(Stored.string, let b): out = Lite(kind: .string, region: b)
            case .message(Stored.bytes, let b): out = Lite(kind: .bytes, region: b)
            case .message(Stored.reference, let b): out = Lite(kind: .reference, region: b)
            case .message(Stored.array, let b): out = Lite(kind: .array, region: b)
            case .message(Stored.map, let b): out = Lite(kind: .map, region: b)
            default: break
            }
            return true
        }
        guard wellFormed else { throw malformed() }
        return out
    }

    /// Fields 1 and 2 of a timestamp (seconds, nanos) or a point (latitude, longitude).
    private static func readPair(_ body: WireRegion, into out: inout Lite) throws {
        let wellFormed = body.fields { f in
            switch f {
            case .varint(1, let raw), .fixed64(1, let raw): out.number = raw
            case .varint(2, let raw), .fixed64(2, let raw): out.second = raw
            default: break
            }
            return true
        }
        guard wellFormed else { throw malformed() }
    }

    /// Calls `body` with each element of an `ArrayValue`.
    static func forEachElement(_ array: WireRegion, _ body: (Lite) throws -> Void) throws {
        let wellFormed = try array.fields { field in
            if case .message(1, let v) = field { try body(try lite(v)) }
            return true
        }
        guard wellFormed else { throw malformed() }
    }

    static func isEmptyArray(_ array: WireRegion) throws -> Bool {
        var empty = true
        let wellFormed = array.fields { field in
            if case .message(1, _) = field { empty = false }
            return empty
        }
        guard wellFormed else { throw malformed() }
        return empty
    }

    /// A vector's numbers (`{__type__: "__vector__", value: [numbers]}`, its entries `entries`
    /// of `scratch`), or nil.
    static func vectorDoubles(_ entries: Range<Int>, _ scratch: [Entry]) throws -> [Double]? {
        guard let type = scratch[entries].first(where: { $0.name.equals("__type__") }), type.value.kind == .string,
            type.value.region.equals("__vector__"),
            let values = scratch[entries].first(where: { $0.name.equals("value") }), values.value.kind == .array
        else { return nil }
        var out: [Double] = []
        var numbers = true
        try forEachElement(values.value.region) { element in
            switch element.kind {
            case .double: out.append(Double(bitPattern: element.number))
            case .integer: out.append(Double(Int64(bitPattern: element.number)))
            default: numbers = false
            }
        }
        return numbers ? out : nil
    }

    // MARK: writing entity properties

    /// The entries of `scratch` from `base` on as properties: indexed ones (empty arrays) first,
    /// then every one by name.
    private static func writeProperties(_ base: Int, _ w: inout ProtoWriter, _ scratch: inout [Entry]) throws {
        let end = scratch.count
        for i in base..<end where scratch[i].value.kind == .array {
            guard try isEmptyArray(scratch[i].value.region) else { continue }
            w.message(Entity.property) { p in
                p.int64(Property.meaning, Int64(Meaning.emptyList))
                p.bytes(Property.name, scratch[i].name.buffer)
                p.bool(Property.multiple, false)
                p.empty(Property.value)
            }
        }
        for i in base..<end {
            let name = scratch[i].name.buffer
            let value = scratch[i].value
            switch value.kind {
            case .array:
                try forEachElement(value.region) { try writeProperty(name, $0, multiple: true, &w, &scratch) }
            case .map:
                let nested = scratch.count
                try collect(value.region, into: &scratch)
                if let vector = try vectorDoubles(nested..<scratch.count, scratch) {
                    for d in vector { EntityCodec.writeVectorElement(name, d, &w) }
                } else {
                    try w.message(Entity.rawProperty) { p in
                        p.int64(Property.meaning, Int64(Meaning.entity))
                        p.bytes(Property.name, name)
                        p.bool(Property.multiple, false)
                        try p.message(Property.value) { v in try writeNestedEntity(nested, &v, &scratch) }
                    }
                }
                scratch.removeSubrange(nested...)
            default:
                try writeProperty(name, value, multiple: false, &w, &scratch)
            }
        }
    }

    private static func meaning(of value: Lite) -> Int {
        switch value.kind {
        case .timestamp: Meaning.timestamp
        case .bytes: Meaning.blob
        case .geoPoint: Meaning.geoPoint
        case .map, .array: Meaning.entity
        default: Meaning.none
        }
    }

    private static func writeProperty(
        _ name: UnsafeRawBufferPointer, _ value: Lite, multiple: Bool, _ w: inout ProtoWriter, _ scratch: inout [Entry]
    ) throws {
        try w.message(Entity.rawProperty) { p in
            let kind = meaning(of: value)
            if kind != Meaning.none { p.int64(Property.meaning, Int64(kind)) }
            p.bytes(Property.name, name)
            p.bool(Property.multiple, multiple)
            try p.message(Property.value) { v in try writeValue(value, &v, &scratch) }
        }
    }

    /// A value's `PropertyValue` fields.
    private static func writeValue(_ value: Lite, _ v: inout ProtoWriter, _ scratch: inout [Entry]) throws {
        switch value.kind {
        case .unset, .null: break
        case .boolean: v.bool(Value.boolean, value.number != 0)
        case .integer: v.int64(Value.int64, Int64(bitPattern: value.number))
        case .double: v.double(Value.double, Double(bitPattern: value.number))
        case .timestamp:
            let nanos = Int32(truncatingIfNeeded: value.second)
            v.int64(Value.int64, Int64(bitPattern: value.number) &* 1_000_000 &+ Int64(nanos / 1000))
        case .string, .bytes: v.bytes(Value.string, value.region.buffer)
        case .reference: writeReference(value.region.buffer, &v)
        case .geoPoint:
            v.group(Value.point) { p in
                p.double(Value.pointX, Double(bitPattern: value.number))
                p.double(Value.pointY, Double(bitPattern: value.second))
            }
        case .map:
            let nested = scratch.count
            try collect(value.region, into: &scratch)
            try writeNestedEntity(nested, &v, &scratch)
            scratch.removeSubrange(nested...)
        case .array:
            // Arrays inside arrays cannot be stored; as a property value an array is a map's field.
            let nested = scratch.count
            try valueName.withUnsafeBytes { name in
                scratch.append(Entry(name: WireRegion(name), value: value, order: 0))
                try writeNestedEntity(nested, &v, &scratch)
            }
            scratch.removeSubrange(nested...)
        }
    }

    private static let valueName = Array("value".utf8)

    private static func writeReference(_ bytes: UnsafeRawBufferPointer, _ v: inout ProtoWriter) {
        let name = String(decoding: bytes, as: UTF8.self)
        guard let (database, path) = try? ResourceName.document(name) else { return v.bytes(Value.string, bytes) }
        v.group(Value.reference) { r in
            r.string(Value.refApp, EntityCodec.appID(database.project))
            for pair in stride(from: 0, to: path.count, by: 2) {
                r.group(Value.refElement) { e in
                    e.string(Value.refType, path.segments[pair])
                    var id = path.segments[pair + 1]
                    id.withUTF8 { writeID(UnsafeRawBufferPointer($0), &e, id: Value.refID, name: Value.refName) }
                }
            }
            if database.database != "(default)" { r.string(Value.refDatabaseID, database.database) }
        }
    }

    /// The entries of `scratch` from `base` on as a nested entity (a map value).
    private static func writeNestedEntity(_ base: Int, _ v: inout ProtoWriter, _ scratch: inout [Entry]) throws {
        try v.message(Value.string) { e in
            e.message(Entity.key) { key in
                key.string(Reference.app, "")
                key.empty(Reference.path)
            }
            try writeProperties(base, &e, &scratch)
            e.empty(Entity.entityGroup)
        }
    }
}
