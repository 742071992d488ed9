import FlintCore
import FlintProto
import Foundation

/// A document as an export holds it: where it lives and its fields (exports keep no times).
public struct ExportedDocument: Sendable, Equatable {
    public var database: DatabaseID
    public var path: ResourcePath
    public var fields: Fields

    public init(database: DatabaseID, path: ResourcePath, fields: Fields) {
        self.database = database
        self.path = path
        self.fields = fields
    }

    public static func == (a: ExportedDocument, b: ExportedDocument) -> Bool {
        a.database == b.database && a.path == b.path && fieldsEqual(a.fields, b.fields)
    }
}

/// Firestore documents as the legacy Datastore entities of export files (`EntityProto`): the key
/// is the document path as (kind, name-or-id) pairs, each field a property whose `meaning` tells
/// the types the entity model lacks (timestamps, bytes, maps as nested entities, vectors, empty
/// arrays), and an array is one property per element, marked `multiple`.
enum EntityCodec {
    /// Field numbers of `EntityProto`, `Reference`, `Property` and `PropertyValue`.
    enum Entity { static let key = 13, property = 14, rawProperty = 15, entityGroup = 16 }
    enum Reference { static let app = 13, path = 14, nameSpace = 20, databaseID = 23 }
    enum PathElement { static let group = 1, type = 2, id = 3, name = 4 }
    enum Property { static let meaning = 1, name = 3, multiple = 4, value = 5 }
    enum Value {
        static let int64 = 1, boolean = 2, string = 3, double = 4, point = 5, pointX = 6, pointY = 7
        static let reference = 12, refApp = 13, refElement = 14, refType = 15, refID = 16, refName = 17
        static let refNameSpace = 20, refDatabaseID = 23
    }
    /// Property meanings that carry Firestore types.
    enum Meaning {
        static let none = 0, timestamp = 7, geoPoint = 9, blob = 14, text = 15, byteString = 16, entity = 19
        static let emptyList = 24, vector = 31
    }

    // MARK: encoding

    static func encode(_ document: ExportedDocument) -> [UInt8] {
        var w = ProtoWriter(capacity: 256)
        w.message(Entity.key) { key in
            key.string(Reference.app, appID(document.database.project))
            key.message(Reference.path) { path in
                for pair in stride(from: 0, to: document.path.count, by: 2) {
                    path.group(PathElement.group) { e in
                        e.string(PathElement.type, document.path.segments[pair])
                        Self.writeID(document.path.segments[pair + 1], &e, id: PathElement.id, name: PathElement.name)
                    }
                }
            }
            if document.database.database != "(default)" { key.string(Reference.databaseID, document.database.database) }
        }
        writeProperties(document.fields, &w)
        w.message(Entity.entityGroup) { path in
            path.group(PathElement.group) { e in
                e.string(PathElement.type, document.path.segments[0])
                Self.writeID(document.path.segments[1], &e, id: PathElement.id, name: PathElement.name)
            }
        }
        return w.bytes
    }

    /// Datastore's application id of a project, as the emulator spells it.
    static func appID(_ project: String) -> String { "dev~" + project }

    private static func writeID(_ id: String, _ w: inout ProtoWriter, id idField: Int, name nameField: Int) {
        if let n = NumericID.value(id) { w.int64(idField, n) } else { w.string(nameField, id) }
    }

    /// Indexed properties (empty arrays, as the emulator writes them) first, then the rest.
    private static func writeProperties(_ fields: Fields, _ w: inout ProtoWriter) {
        let names = fields.keys.sorted()
        for name in names where fields[name]!.arrayElements?.isEmpty == true {
            w.message(Entity.property) { p in
                p.int64(Property.meaning, Int64(Meaning.emptyList))
                p.string(Property.name, name)
                p.bool(Property.multiple, false)
                p.bytes(Property.value, [])
            }
        }
        for name in names {
            let value = fields[name]!
            if let elements = value.arrayElements {
                for element in elements { writeProperty(name, element, multiple: true, &w) }
            } else if let vector = value.vectorDoubles {
                var text = name
                text.withUTF8 { utf8 in
                    for d in vector { writeVectorElement(UnsafeRawBufferPointer(utf8), d, &w) }
                }
            } else {
                writeProperty(name, value, multiple: false, &w)
            }
        }
    }

    /// One number of the vector in field `name`: a property of its own, as the emulator writes it.
    static func writeVectorElement(_ name: UnsafeRawBufferPointer, _ d: Double, _ w: inout ProtoWriter) {
        w.message(Entity.rawProperty) { p in
            p.int64(Property.meaning, Int64(Meaning.vector))
            p.bytes(Property.name, name)
            p.bool(Property.multiple, true)
            p.message(Property.value) { $0.double(Value.double, d) }
        }
    }

    private static func writeProperty(_ name: String, _ value: FirestoreValue, multiple: Bool, _ w: inout ProtoWriter) {
        let (meaning, payload) = propertyValue(value)
        w.message(Entity.rawProperty) { p in
            if meaning != Meaning.none { p.int64(Property.meaning, Int64(meaning)) }
            p.string(Property.name, name)
            p.bool(Property.multiple, multiple)
            p.bytes(Property.value, payload)
        }
    }

    /// A value's meaning and encoded `PropertyValue`.
    private static func propertyValue(_ value: FirestoreValue) -> (Int, [UInt8]) {
        var v = ProtoWriter()
        var meaning = Meaning.none
        switch value.valueType {
        case .nullValue?, nil: break
        case .booleanValue(let b)?: v.bool(Value.boolean, b)
        case .integerValue(let i)?: v.int64(Value.int64, i)
        case .doubleValue(let d)?: v.double(Value.double, d)
        case .timestampValue(let t)?:
            meaning = Meaning.timestamp
            v.int64(Value.int64, t.micros)
        case .stringValue(let s)?: v.string(Value.string, s)
        case .bytesValue(let d)?:
            meaning = Meaning.blob
            v.bytes(Value.string, d)
        case .referenceValue(let name)?:
            if let (database, path) = try? ResourceName.document(name) {
                v.group(Value.reference) { r in
                    r.string(Value.refApp, appID(database.project))
                    for pair in stride(from: 0, to: path.count, by: 2) {
                        r.group(Value.refElement) { e in
                            e.string(Value.refType, path.segments[pair])
                            Self.writeID(path.segments[pair + 1], &e, id: Value.refID, name: Value.refName)
                        }
                    }
                    if database.database != "(default)" { r.string(Value.refDatabaseID, database.database) }
                }
            } else {
                v.string(Value.string, name)
            }
        case .geoPointValue(let g)?:
            meaning = Meaning.geoPoint
            v.group(Value.point) { p in
                p.double(Value.pointX, g.latitude)
                p.double(Value.pointY, g.longitude)
            }
        case .mapValue(let m)?:
            meaning = Meaning.entity
            var e = ProtoWriter()
            e.message(Entity.key) { key in
                key.string(Reference.app, "")
                key.bytes(Reference.path, [])
            }
            writeProperties(m.fields, &e)
            e.bytes(Entity.entityGroup, [])
            v.bytes(Value.string, e.bytes)
        case .arrayValue(let a)?:
            // Arrays inside arrays cannot be stored; as a property value an array is a map's field.
            meaning = Meaning.entity
            var e = ProtoWriter()
            e.message(Entity.key) { key in
                key.string(Reference.app, "")
                key.bytes(Reference.path, [])
            }
            writeProperties(["value": .array(a.values)], &e)
            e.bytes(Entity.entityGroup, [])
            v.bytes(Value.string, e.bytes)
        }
        return (meaning, v.bytes)
    }

    // MARK: decoding

    /// The document an export record holds. `project` replaces the project of the record's key
    /// (and of references into that project) when given.
    static func decode(_ bytes: ArraySlice<UInt8>, project override: String? = nil) throws -> ExportedDocument {
        try bytes.withUnsafeBytes { try decode(WireRegion($0), project: override) }
    }

    static func decode(_ entity: WireRegion, project override: String?) throws -> ExportedDocument {
        var key: (app: String, path: [String], database: String)?
        var properties: [WireRegion] = []
        try read(entity) { field in
            switch field {
            case .message(Entity.key, let b): key = try decodeKey(b)
            case .message(Entity.property, let b), .message(Entity.rawProperty, let b): properties.append(b)
            default: break
            }
        }
        guard let key else { throw WireError("the entity has no key") }
        guard !key.path.isEmpty, key.path.count % 2 == 0 else { throw WireError("the entity's key has no path") }
        let source = project(ofApp: key.app)
        let context = Context(sourceProject: source, override: override)
        let database = DatabaseID(project: override ?? source, database: key.database.isEmpty ? "(default)" : key.database)
        return ExportedDocument(
            database: database, path: ResourcePath(key.path), fields: try decodeProperties(properties, context))
    }

    struct Context {
        var sourceProject: String
        var override: String?
    }

    /// The project of a Datastore application id (`dev~p`, `s~p`, or `p`).
    static func project(ofApp app: String) -> String {
        app.firstIndex(of: "~").map { String(app[app.index(after: $0)...]) } ?? app
    }

    /// Each field of `region`, which must be well-formed.
    private static func read(_ region: WireRegion, _ body: (WireRegion.Field) throws -> Void) throws {
        try region.forEachField(malformed: "an entity's bytes are malformed", body)
    }

    private static func string(_ region: WireRegion) throws -> String { try region.text("a text field") }

    private static func decodeKey(_ region: WireRegion) throws -> (app: String, path: [String], database: String) {
        var app = ""
        var path: [String] = []
        var database = ""
        try read(region) { field in
            switch field {
            case .message(Reference.app, let b): app = try string(b)
            case .message(Reference.databaseID, let b): database = try string(b)
            case .message(Reference.path, let p):
                try read(p) { element in
                    guard case .group(PathElement.group, let body) = element else { return }
                    path += try decodeElement(body, type: PathElement.type, id: PathElement.id, name: PathElement.name)
                }
            default: break
            }
        }
        return (app, path, database)
    }

    /// A path element's kind and id (`__id<n>__` for a numeric id).
    private static func decodeElement(_ body: WireRegion, type: Int, id: Int, name: Int) throws -> [String] {
        var kind: String?
        var identifier: String?
        try read(body) { field in
            switch field {
            case .message(type, let b): kind = try string(b)
            case .message(name, let b): identifier = try string(b)
            case .varint(id, let raw): identifier = "__id\(Int64(bitPattern: raw))__"
            default: break
            }
        }
        guard let kind, let identifier else { throw WireError("a path element lacks its kind or its name") }
        return [kind, identifier]
    }

    private static func decodeProperties(_ properties: [WireRegion], _ context: Context) throws -> Fields {
        var values: [String: [FirestoreValue]] = [:]
        var arrays: Set<String> = []
        var vectors: Set<String> = []
        var order: [String] = []
        for property in properties {
            var meaning = 0
            var name: String?
            var multiple = false
            var payload = WireRegion(bytes: property.bytes, start: property.end, end: property.end)
            try read(property) { field in
                switch field {
                case .varint(Property.meaning, let raw): meaning = Int(truncatingIfNeeded: raw)
                case .message(Property.name, let b): name = try string(b)
                case .varint(Property.multiple, let raw): multiple = raw != 0
                case .message(Property.value, let b): payload = b
                default: break
                }
            }
            guard let name else { throw WireError("a property has no name") }
            if values[name] == nil {
                values[name] = []
                order.append(name)
            }
            if meaning == Meaning.emptyList {
                arrays.insert(name)
                continue
            }
            if meaning == Meaning.vector { vectors.insert(name) }
            if multiple { arrays.insert(name) }
            values[name]!.append(try decodeValue(payload, meaning: meaning, context))
        }
        var fields = Fields(minimumCapacity: order.count)
        for name in order {
            let list = values[name]!
            if vectors.contains(name) {
                fields[name] = .map(["__type__": .string("__vector__"), "value": .array(list)])
            } else if arrays.contains(name) || list.count > 1 {
                fields[name] = .array(list)
            } else {
                fields[name] = list.first ?? .array([])
            }
        }
        return fields
    }

    private static func decodeValue(_ region: WireRegion, meaning: Int, _ context: Context) throws -> FirestoreValue {
        var value = FirestoreValue.null
        try read(region) { field in
            switch field {
            case .varint(Value.int64, let raw):
                let i = Int64(bitPattern: raw)
                value = meaning == Meaning.timestamp ? .timestamp(ProtoTimestamp(micros: i)) : .integer(i)
            case .varint(Value.boolean, let raw): value = .boolean(raw != 0)
            case .fixed64(Value.double, let raw): value = .double(Double(bitPattern: raw))
            case .message(Value.string, let b):
                switch meaning {
                case Meaning.blob, Meaning.byteString: value = .with { $0.bytesValue = Data(b.buffer) }
                case Meaning.entity:
                    var properties: [WireRegion] = []
                    try read(b) { f in
                        if case .message(let n, let p) = f, n == Entity.property || n == Entity.rawProperty {
                            properties.append(p)
                        }
                    }
                    value = .map(try decodeProperties(properties, context))
                default: value = .string(try string(b))
                }
            case .group(Value.point, let body):
                var latLng = Google_Type_LatLng()
                try read(body) { f in
                    if case .fixed64(Value.pointX, let raw) = f { latLng.latitude = Double(bitPattern: raw) }
                    if case .fixed64(Value.pointY, let raw) = f { latLng.longitude = Double(bitPattern: raw) }
                }
                value = .with { $0.geoPointValue = latLng }
            case .group(Value.reference, let body):
                let name = (try? decodeReference(body, context)) ?? ""
                if name.isEmpty { throw WireError("a reference value has no path") }
                value = .with { $0.referenceValue = name }
            default: break
            }
        }
        return value
    }

    private static func decodeReference(_ body: WireRegion, _ context: Context) throws -> String {
        var app = ""
        var database = ""
        var path: [String] = []
        try read(body) { field in
            switch field {
            case .message(Value.refApp, let b): app = try string(b)
            case .message(Value.refDatabaseID, let b): database = try string(b)
            case .group(Value.refElement, let e):
                path += try decodeElement(e, type: Value.refType, id: Value.refID, name: Value.refName)
            default: break
            }
        }
        guard !path.isEmpty else { throw WireError("a reference value has no path") }
        var project = self.project(ofApp: app)
        if let override = context.override, project == context.sourceProject { project = override }
        let id = DatabaseID(project: project, database: database.isEmpty ? "(default)" : database)
        return id.name(of: ResourcePath(path))
    }
}
