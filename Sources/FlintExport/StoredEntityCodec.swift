import FlintCore
import Foundation

/// Export records straight from documents' stored form (a serialized `MapValue`), read with the
/// wire reader, never built into value trees: the bytes `EntityCodec.encode` writes for the same
/// document, at a fraction of the cost.
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

    /// One stored value, its containers left encoded.
    enum Lite {
        case unset, null, boolean(Bool), integer(Int64), double(Double), timestamp(seconds: Int64, nanos: Int32)
        case string(ArraySlice<UInt8>), bytes(ArraySlice<UInt8>), reference(ArraySlice<UInt8>)
        case geoPoint(Double, Double), array(ArraySlice<UInt8>), map(ArraySlice<UInt8>)
    }

    struct NamedValue {
        var name: String
        var value: Lite
    }

    /// The export record of the document at `path` of `database` whose stored fields are `stored`.
    static func encode(database: DatabaseID, path: ResourcePath, stored: ArraySlice<UInt8>, into w: inout ProtoWriter) throws {
        w.message(Entity.key) { key in
            key.string(Reference.app, EntityCodec.appID(database.project))
            key.message(Reference.path) { p in
                for pair in stride(from: 0, to: path.count, by: 2) {
                    p.group(PathElement.group) { e in
                        e.string(PathElement.type, path.segments[pair])
                        writeID(path.segments[pair + 1], &e, id: PathElement.id, name: PathElement.name)
                    }
                }
            }
            if database.database != "(default)" { key.string(Reference.databaseID, database.database) }
        }
        try writeProperties(try fields(stored), &w)
        w.message(Entity.entityGroup) { p in
            p.group(PathElement.group) { e in
                e.string(PathElement.type, path.segments[0])
                writeID(path.segments[1], &e, id: PathElement.id, name: PathElement.name)
            }
        }
    }

    private static func writeID(_ id: String, _ w: inout ProtoWriter, id idField: Int, name nameField: Int) {
        if let n = NumericID.value(id) { w.int64(idField, n) } else { w.string(nameField, id) }
    }

    // MARK: reading the stored form

    /// The entries of a `MapValue`, sorted by name (a name met twice keeps its last value, as a
    /// protobuf map does).
    static func fields(_ map: ArraySlice<UInt8>) throws -> [NamedValue] {
        var out: [NamedValue] = []
        var reader = ProtoReader(map)
        while let field = try reader.next() {
            guard case .bytes(1, let entry) = field else { continue }
            var e = ProtoReader(entry)
            var name = ""
            var value = Lite.unset
            while let f = try e.next() {
                switch f {
                case .bytes(1, _): name = try f.string()
                case .bytes(2, let v): value = try lite(v)
                default: break
                }
            }
            out.append(NamedValue(name: name, value: value))
        }
        if out.count < 2 { return out }
        // Stable, so of equal names the later stays later; keep that one.
        out.sort { $0.name < $1.name }
        var unique: [NamedValue] = []
        unique.reserveCapacity(out.count)
        for item in out {
            if let last = unique.last, last.name == item.name { unique[unique.count - 1] = item } else { unique.append(item) }
        }
        return unique
    }

    /// The elements of an `ArrayValue`.
    static func elements(_ array: ArraySlice<UInt8>) throws -> [Lite] {
        var out: [Lite] = []
        var reader = ProtoReader(array)
        while let field = try reader.next() {
            if case .bytes(1, let v) = field { out.append(try lite(v)) }
        }
        return out
    }

    /// One `Value` message (of a oneof, the last field set counts).
    static func lite(_ bytes: ArraySlice<UInt8>) throws -> Lite {
        var reader = ProtoReader(bytes)
        var value = Lite.unset
        while let field = try reader.next() {
            switch field {
            case .varint(Stored.null, _): value = .null
            case .varint(Stored.boolean, let raw): value = .boolean(raw != 0)
            case .varint(Stored.integer, let raw): value = .integer(Int64(bitPattern: raw))
            case .fixed64(Stored.double, let raw): value = .double(Double(bitPattern: raw))
            case .bytes(Stored.timestamp, let body):
                var seconds: Int64 = 0
                var nanos: Int32 = 0
                var t = ProtoReader(body)
                while let f = try t.next() {
                    switch f {
                    case .varint(1, let raw): seconds = Int64(bitPattern: raw)
                    case .varint(2, let raw): nanos = Int32(truncatingIfNeeded: raw)
                    default: break
                    }
                }
                value = .timestamp(seconds: seconds, nanos: nanos)
            case .bytes(Stored.string, let b): value = .string(b)
            case .bytes(Stored.bytes, let b): value = .bytes(b)
            case .bytes(Stored.reference, let b): value = .reference(b)
            case .bytes(Stored.geoPoint, let body):
                var latitude = 0.0
                var longitude = 0.0
                var g = ProtoReader(body)
                while let f = try g.next() {
                    switch f {
                    case .fixed64(1, let raw): latitude = Double(bitPattern: raw)
                    case .fixed64(2, let raw): longitude = Double(bitPattern: raw)
                    default: break
                    }
                }
                value = .geoPoint(latitude, longitude)
            case .bytes(Stored.array, let b): value = .array(b)
            case .bytes(Stored.map, let b): value = .map(b)
            default: break
            }
        }
        return value
    }

    /// A vector's numbers (`{__type__: "__vector__", value: [numbers]}`), or nil.
    static func vectorDoubles(_ map: ArraySlice<UInt8>) throws -> [Double]? {
        let entries = try fields(map)
        guard let type = entries.first(where: { $0.name == "__type__" }), case .string(let s) = type.value,
            s.elementsEqual("__vector__".utf8),
            let values = entries.first(where: { $0.name == "value" }), case .array(let body) = values.value
        else { return nil }
        var out: [Double] = []
        for element in try elements(body) {
            switch element {
            case .double(let d): out.append(d)
            case .integer(let i): out.append(Double(i))
            default: return nil
            }
        }
        return out
    }

    // MARK: writing entity properties

    /// Indexed properties (empty arrays) first, then the rest, by name.
    private static func writeProperties(_ fields: [NamedValue], _ w: inout ProtoWriter) throws {
        var arrays: [[Lite]?] = []
        arrays.reserveCapacity(fields.count)
        for field in fields {
            if case .array(let body) = field.value { arrays.append(try elements(body)) } else { arrays.append(nil) }
        }
        for (field, elements) in zip(fields, arrays) where elements?.isEmpty == true {
            w.message(Entity.property) { p in
                p.int64(Property.meaning, Int64(Meaning.emptyList))
                p.string(Property.name, field.name)
                p.bool(Property.multiple, false)
                p.bytes(Property.value, EmptyCollection<UInt8>())
            }
        }
        for (field, elements) in zip(fields, arrays) {
            if let elements {
                for element in elements { try writeProperty(field.name, element, multiple: true, &w) }
            } else if case .map(let body) = field.value, let vector = try vectorDoubles(body) {
                for d in vector {
                    w.message(Entity.rawProperty) { p in
                        p.int64(Property.meaning, Int64(Meaning.vector))
                        p.string(Property.name, field.name)
                        p.bool(Property.multiple, true)
                        p.message(Property.value) { $0.double(Value.double, d) }
                    }
                }
            } else {
                try writeProperty(field.name, field.value, multiple: false, &w)
            }
        }
    }

    private static func meaning(of value: Lite) -> Int {
        switch value {
        case .timestamp: Meaning.timestamp
        case .bytes: Meaning.blob
        case .geoPoint: Meaning.geoPoint
        case .map, .array: Meaning.entity
        default: Meaning.none
        }
    }

    private static func writeProperty(_ name: String, _ value: Lite, multiple: Bool, _ w: inout ProtoWriter) throws {
        var failure: (any Error)?
        w.message(Entity.rawProperty) { p in
            let kind = meaning(of: value)
            if kind != Meaning.none { p.int64(Property.meaning, Int64(kind)) }
            p.string(Property.name, name)
            p.bool(Property.multiple, multiple)
            p.message(Property.value) { v in
                do { try writeValue(value, &v) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// A value's `PropertyValue` fields.
    private static func writeValue(_ value: Lite, _ v: inout ProtoWriter) throws {
        switch value {
        case .unset, .null: break
        case .boolean(let b): v.bool(Value.boolean, b)
        case .integer(let i): v.int64(Value.int64, i)
        case .double(let d): v.double(Value.double, d)
        case .timestamp(let seconds, let nanos): v.int64(Value.int64, seconds &* 1_000_000 &+ Int64(nanos / 1000))
        case .string(let s): v.bytes(Value.string, s)
        case .bytes(let b): v.bytes(Value.string, b)
        case .reference(let bytes):
            let name = String(decoding: bytes, as: UTF8.self)
            if let (database, path) = try? ResourceName.document(name) {
                v.group(Value.reference) { r in
                    r.string(Value.refApp, EntityCodec.appID(database.project))
                    for pair in stride(from: 0, to: path.count, by: 2) {
                        r.group(Value.refElement) { e in
                            e.string(Value.refType, path.segments[pair])
                            writeID(path.segments[pair + 1], &e, id: Value.refID, name: Value.refName)
                        }
                    }
                    if database.database != "(default)" { r.string(Value.refDatabaseID, database.database) }
                }
            } else {
                v.bytes(Value.string, bytes)
            }
        case .geoPoint(let latitude, let longitude):
            v.group(Value.point) { p in
                p.double(Value.pointX, latitude)
                p.double(Value.pointY, longitude)
            }
        case .map(let body):
            try writeNestedEntity(try fields(body), &v)
        case .array:
            // Arrays inside arrays cannot be stored; as a property value an array is a map's field.
            try writeNestedEntity([NamedValue(name: "value", value: value)], &v)
        }
    }

    private static func writeNestedEntity(_ fields: [NamedValue], _ v: inout ProtoWriter) throws {
        var failure: (any Error)?
        v.message(Value.string) { e in
            e.message(Entity.key) { key in
                key.string(Reference.app, "")
                key.bytes(Reference.path, EmptyCollection<UInt8>())
            }
            do { try writeProperties(fields, &e) } catch { failure = error }
            e.bytes(Entity.entityGroup, EmptyCollection<UInt8>())
        }
        if let failure { throw failure }
    }
}
