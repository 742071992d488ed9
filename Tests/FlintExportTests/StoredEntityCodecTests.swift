import FlintCore
@testable import FlintExport
import FlintProto
import Foundation
import SwiftProtobuf
import Testing

/// Export records made straight from the stored form must be the very bytes the value-tree
/// encoder writes.
@Suite struct StoredEntityCodecTests {
    func stored(_ fields: Fields) throws -> [UInt8] {
        var map = FirestoreMap()
        map.fields = fields
        return try map.serializedBytes()
    }

    func transcoded(_ document: ExportedDocument) throws -> [UInt8] {
        var w = ProtoWriter()
        try StoredEntityCodec.encode(
            database: document.database, path: document.path, stored: try stored(document.fields), into: &w)
        return w.bytes
    }

    @Test func everyValueTypeGivesTheSameBytes() throws {
        var fields = EntityCodecTests.everyValue
        fields["unset"] = FirestoreValue()
        fields["nested"] = .array([.array([.integer(1), .string("x")]), .array([])])
        fields["ünïcode"] = .map(["é": .integer(1), "z\u{301}": .integer(2), "Z": .null])
        fields["intVector"] = .map(["__type__": .string("__vector__"), "value": .array([.integer(3), .double(0.5)])])
        fields["notVector"] = .map(["__type__": .string("__vector__"), "value": .array([.string("x")])])
        fields["badRef"] = .with { $0.referenceValue = "not a document name" }
        fields["nanos"] = .timestamp(ProtoTimestamp(seconds: 12, nanos: 345_678_901))
        // Names alike in their first eight bytes, and names that are prefixes of others.
        for name in ["abcdefgh", "abcdefghZ", "abcdefghA", "abcdefgh\u{0}", "abc", "ab", "abcdefghij", "abcdefgé"] {
            fields[name] = .string(name)
        }
        for path in ["c/d", "c/__id-3__", "c/d/sub/__id9223372036854775807__"] {
            for database in [EntityCodecTests.database, DatabaseID(project: "p", database: "named")] {
                let doc = ExportedDocument(
                    database: database, path: ResourcePath(path.split(separator: "/").map(String.init)), fields: fields)
                #expect(try transcoded(doc) == EntityCodec.encode(doc))
                let empty = ExportedDocument(database: database, path: doc.path, fields: [:])
                #expect(try transcoded(empty) == EntityCodec.encode(empty))
            }
        }
    }

    @Test func manyDocumentsInOneBufferEachGiveTheirOwnRecord() throws {
        var w = ProtoWriter()
        var ends: [Int] = []
        var expected: [[UInt8]] = []
        for i in 0..<50 {
            let doc = ExportedDocument(
                database: EntityCodecTests.database, path: ResourcePath(["c", "d\(i)"]),
                fields: ["i": .integer(Int64(i)), "s": .string(String(repeating: "x", count: i * 7))])
            try StoredEntityCodec.encode(database: doc.database, path: doc.path, stored: try stored(doc.fields), into: &w)
            ends.append(w.bytes.count)
            expected.append(EntityCodec.encode(doc))
        }
        for i in ends.indices {
            #expect(Array(w.bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]) == expected[i])
        }
    }

    @Test func numericIDsReadFromBytesAsFromText() {
        let ids = [
            "__id1__", "__id-3__", "__id007__", "__id-0__", "__id__", "__id-__", "__idx__", "__id1x__", "_id1__",
            "__id9223372036854775807__", "__id9223372036854775808__", "__id-9223372036854775808__",
            "__id-9223372036854775809__", "__id99999999999999999999__", "d", "",
        ]
        for id in ids {
            let bytes = Array(id.utf8)
            #expect(bytes.withUnsafeBytes { StoredEntityCodec.numericID($0) } == NumericID.value(id), "\(id)")
        }
    }

    @Test func damagedStoredBytesAreAnErrorNotACrash() throws {
        var bytes = try stored(["a": .string("hello"), "m": .map(["x": .integer(1)])])
        bytes.removeLast(3)
        var w = ProtoWriter()
        #expect(throws: (any Error).self) {
            try StoredEntityCodec.encode(
                database: EntityCodecTests.database, path: ResourcePath(["c", "d"]), stored: bytes, into: &w)
        }
    }
}
