import FlintCore
@testable import FlintExport
import FlintProto
import FlintStore
import Foundation
import SwiftProtobuf
import Testing

/// The official emulator's own export, kept in testdata/exports (made by make-official-export),
/// read without the emulator.
@Suite struct OfficialExportTests {
    static let exports = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("testdata/exports").path

    /// `expected.json`: what the official emulator served for each document after writing it.
    static func expected() throws -> [String: Fields] {
        let data = try Data(contentsOf: URL(fileURLWithPath: exports + "/expected.json"))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        return try object.mapValues { fields in
            let json = try JSONSerialization.data(withJSONObject: ["fields": fields])
            return try FirestoreMap(jsonUTF8Data: json).fields
        }
    }

    @Test func bothLayoutsDecodeToWhatTheOfficialEmulatorServed() throws {
        let expected = try Self.expected()
        var seen = 0
        for path in [Self.exports + "/official-default", Self.exports + "/official-named/named"] {
            let (documents, files) = try FirestoreImport.read(path)
            #expect(files == 1)
            for document in documents {
                let key = "\(document.database.database)/\(document.path)"
                guard let want = expected[key] else {
                    Issue.record("unexpected document \(key)")
                    continue
                }
                var a = document.fields, b = want
                #expect(a["nan"]?.doubleValue.isNaN == b["nan"]?.doubleValue.isNaN)
                a["nan"] = nil
                b["nan"] = nil
                #expect(fieldsEqual(a, b), "\(key)")
                seen += 1
            }
        }
        #expect(seen == expected.count)
    }

    @Test func flintsExportOfTheSameDocumentsHasTheSameRecords() async throws {
        // Same documents, same record bytes up to property order: the sizes match exactly.
        let (documents, _) = try FirestoreImport.read(Self.exports + "/official-default")
        let official = try Data(contentsOf: URL(fileURLWithPath: Self.exports + "/official-default/firestore_export/all_namespaces/all_kinds/output-0"))
        var log = LevelDBLogWriter()
        for d in documents { log.append(EntityCodec.encode(d)) }
        #expect(log.data.count == official.count)
    }
}
