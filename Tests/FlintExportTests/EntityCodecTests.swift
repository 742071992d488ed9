import FlintCore
@testable import FlintExport
import FlintProto
import Foundation
import SwiftProtobuf
import Testing

@Suite struct EntityCodecTests {
    static let database = DatabaseID(project: "p")

    static var everyValue: Fields {
        let vector: FirestoreValue = .map(["__type__": .string("__vector__"), "value": .array([.double(1), .double(-2.5)])])
        return [
            "null": .null, "true": .boolean(true), "false": .boolean(false),
            "int": .integer(42), "min": .integer(.min), "max": .integer(.max),
            "double": .double(1.5), "nan": .double(.nan), "inf": .double(.infinity), "negInf": .double(-.infinity),
            "time": .timestamp(ProtoTimestamp(micros: 1_714_979_289_123_456)),
            "before1970": .timestamp(ProtoTimestamp(micros: -2_208_988_800_000_001)),
            "string": .string("héllo ☃"), "empty": .string(""),
            "bytes": .with { $0.bytesValue = Data([0, 1, 2, 255]) }, "noBytes": .with { $0.bytesValue = Data() },
            "ref": .with { $0.referenceValue = "projects/p/databases/(default)/documents/c/__id7__/s/x" },
            "namedRef": .with { $0.referenceValue = "projects/q/databases/other/documents/c/d" },
            "geo": .with { $0.geoPointValue = .with { $0.latitude = 1.25; $0.longitude = -2.5 } },
            "map": .map(["x": .integer(1), "inner": .map(["y": .string("z")]), "emptyList": .array([]), "emptyMap": .map([:]), "v": vector]),
            "array": .array([.integer(1), .string("two"), .map(["k": .boolean(true)]), .null, .map([:]), vector]),
            "single": .array([.string("only")]),
            "emptyArray": .array([]), "emptyMap": .map([:]), "vector": vector,
            "a.b": .string("dotted"), "`q`": .integer(1),
        ]
    }

    @Test func everyValueTypeRoundTrips() throws {
        for path in ["c/d", "c/__id-3__", "c/d/sub/__id9223372036854775807__"] {
            for database in [Self.database, DatabaseID(project: "p", database: "named")] {
                let doc = ExportedDocument(database: database, path: ResourcePath(path.split(separator: "/").map(String.init)), fields: Self.everyValue)
                let decoded = try EntityCodec.decode(EntityCodec.encode(doc)[...])
                #expect(decoded.database == doc.database)
                #expect(decoded.path == doc.path)
                // NaN never equals itself: compare it apart.
                #expect(decoded.fields["nan"]?.doubleValue.isNaN == true)
                var a = decoded.fields, b = doc.fields
                a["nan"] = nil
                b["nan"] = nil
                #expect(fieldsEqual(a, b), "\(a)")
            }
        }
    }

    @Test func aProjectOverrideMovesKeysAndReferencesIntoTheProject() throws {
        let doc = ExportedDocument(
            database: Self.database, path: ResourcePath(["c", "d"]),
            fields: ["own": .with { $0.referenceValue = "projects/p/databases/(default)/documents/c/e" },
                     "foreign": .with { $0.referenceValue = "projects/q/databases/(default)/documents/c/e" }])
        let decoded = try EntityCodec.decode(EntityCodec.encode(doc)[...], project: "moved")
        #expect(decoded.database == DatabaseID(project: "moved"))
        #expect(decoded.fields["own"]?.referenceValue == "projects/moved/databases/(default)/documents/c/e")
        #expect(decoded.fields["foreign"]?.referenceValue == "projects/q/databases/(default)/documents/c/e")
    }

    @Test func garbageIsAnErrorNotADocument() {
        #expect(throws: (any Error).self) { try EntityCodec.decode([0x6a, 0x40, 1, 2][...]) }
        #expect(throws: (any Error).self) { try EntityCodec.decode([0x72, 0x02, 0x1a, 0x00][...]) }
    }
}
