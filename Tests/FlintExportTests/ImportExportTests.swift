import FlintCore
@testable import FlintExport
import FlintStore
import FlintTesting
import Foundation
import Testing

@Suite struct ImportExportTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "flint-export-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func withStore<T>(_ body: (DocumentStore) async throws -> T) async throws -> T {
        let store = try DocumentStore(path: nil)
        defer { store.close() }
        return try await body(store)
    }

    func seed(_ store: DocumentStore, count: Int, database: DatabaseID = DatabaseID(project: "p")) async throws {
        try await store.write { w in
            let t = try w.nextCommitTime(now: Timestamps.nowMicros())
            for i in 0..<count {
                let doc = DocumentSnapshot(
                    path: ResourcePath(["c", "d\(i)"]), fields: ["i": .integer(Int64(i)), "m": .map(["s": .string("x")])],
                    createTime: t, updateTime: t)
                try w.put(database, doc, previous: nil)
            }
        }
    }

    @Test func anExportImportsIntoAnotherStoreIdentically() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withStore { source in
            try await seed(source, count: 300)
            try await seed(source, count: 5, database: DatabaseID(project: "p", database: "named"))
            let summary = try await FirestoreExport.writeFirebase(source, to: dir + "/out")
            #expect(summary.documents == 305)
        }
        try await withStore { target in
            let summary = try await FirestoreImport.load(dir + "/out", into: target)
            #expect(summary.documents == 305)
            let (count, named) = try await target.read { r in
                (try r.documentCount(), try r.document(DatabaseID(project: "p", database: "named"), ResourcePath(["c", "d4"])))
            }
            #expect(count == 305)
            #expect(named?.fields["i"] == .integer(4))
            #expect(named?.createTime == summary.commitTime)
        }
    }

    /// Enough documents that every core writes output files of its own: each record read back
    /// is the document stored, in every collection and database.
    @Test func aLargeExportHoldsEveryDocumentOnce() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let named = DatabaseID(project: "p", database: "named")
        var expected: [String: ExportedDocument] = [:]
        for i in 0..<3000 {
            let database = i % 10 == 0 ? named : DatabaseID(project: "p")
            let path = i % 3 == 0 ? ["c", "d\(i % 7)", "sub", "__id\(i)__"] : ["c", "d\(i)"]
            var fields = EntityCodecTests.everyValue
            fields["i"] = .integer(Int64(i))
            // (An import refuses a vector inside an array, as the API does.)
            fields["array"] = .array([.string("t\(i % 5)"), .integer(Int64(i)), .map(["k": .null])])
            let doc = ExportedDocument(database: database, path: ResourcePath(path), fields: fields)
            expected[database.name(of: doc.path)] = doc
        }
        try await withStore { [expected] source in
            try await source.write { w in
                let t = try w.nextCommitTime(now: Timestamps.nowMicros())
                for doc in expected.values {
                    try w.put(
                        doc.database, DocumentSnapshot(path: doc.path, fields: doc.fields, createTime: t, updateTime: t),
                        previous: nil)
                }
            }
            let summary = try await FirestoreExport.write(source, to: dir, name: "e")
            #expect(summary.documents == 3000)
            let outputs = try FileManager.default.contentsOfDirectory(atPath: dir + "/e/all_namespaces/all_kinds")
                .filter { $0.hasPrefix("output-") }
            let sizes = try outputs.map {
                try FileManager.default.attributesOfItem(atPath: dir + "/e/all_namespaces/all_kinds/" + $0)[.size] as! Int
            }
            #expect(summary.bytes == sizes.reduce(0, +))
        }
        let (documents, _) = try FirestoreImport.read(dir + "/e")
        #expect(documents.count == 3000)
        var seen = Set<String>()
        for document in documents {
            let name = document.database.name(of: document.path)
            #expect(seen.insert(name).inserted, "\(name) exported twice")
            #expect(expected[name] == document, "\(name) differs")
        }
    }

    /// Writes an export of two output files by hand; `damage` spoils the second.
    func twoFileExport(_ dir: String, damage: (inout [UInt8]) -> Void) throws {
        let kinds = dir + "/" + ExportLayout.kindsDirectory
        try FileManager.default.createDirectory(atPath: kinds, withIntermediateDirectories: true)
        for file in 0..<2 {
            var log = LevelDBLogWriter()
            for i in 0..<10 {
                log.append(EntityCodec.encode(ExportedDocument(
                    database: DatabaseID(project: "p"), path: ResourcePath(["c", "f\(file)-\(i)"]), fields: ["i": .integer(Int64(i))])))
            }
            var bytes = log.data
            if file == 1 { damage(&bytes) }
            try Data(bytes).write(to: URL(fileURLWithPath: kinds + "/output-\(file)"))
        }
        try Data(ExportLayout.kindsMetadata(name: "x", started: 0, finished: 0, outputs: ["output-0", "output-1"]))
            .write(to: URL(fileURLWithPath: kinds + "/" + ExportLayout.kindsMetadataName))
        try Data(ExportLayout.overallMetadata(documents: 20, bytes: 0))
            .write(to: URL(fileURLWithPath: dir + "/x.overall_export_metadata"))
    }

    @Test func aDamagedSecondFileImportsNothingAndNamesFileAndRecord() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try twoFileExport(dir) { bytes in bytes[bytes.count / 2] ^= 0x55 }
        try await withStore { store in
            let error = await expectFirestoreError(.invalidArgument) { _ = try await FirestoreImport.load(dir, into: store) }
            #expect(error?.message.contains("output-1: record") == true, "\(String(describing: error))")
            #expect(error?.message.contains("Nothing was imported") == true)
            let count = try await store.read { try $0.documentCount() }
            #expect(count == 0)
        }
    }

    @Test func anUndamagedTwoFileExportImportsBothFiles() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try twoFileExport(dir) { _ in }
        try await withStore { store in
            let summary = try await FirestoreImport.load(dir, into: store)
            #expect(summary.files == 2 && summary.documents == 20)
        }
    }

    @Test func metadataThatListsNothingFallsBackToTheFilesBesideIt() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try twoFileExport(dir) { _ in }
        // An overall file with only its version record, and a kinds file listing no outputs.
        var log = LevelDBLogWriter()
        log.append(Array("3".utf8))
        try Data(log.data).write(to: URL(fileURLWithPath: dir + "/x.overall_export_metadata"))
        try Data(ExportLayout.kindsMetadata(name: "x", started: 0, finished: 0, outputs: []))
            .write(to: URL(fileURLWithPath: dir + "/" + ExportLayout.kindsDirectory + "/" + ExportLayout.kindsMetadataName))
        #expect(try FirestoreImport.read(dir).documents.count == 20)
    }

    @Test func aFailedExportLeavesThePreviousOneAndNoTemporaryDirectory() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withStore { store in
            try await seed(store, count: 3)
            _ = try await FirestoreExport.writeFirebase(store, to: dir + "/out")
            struct Interrupted: Error {}
            await #expect(throws: FirestoreError.self) {
                _ = try await FirestoreExport.replaceAtomically(dir + "/out") { temp in
                    try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: false)
                    throw Interrupted()
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out"])
            #expect(try FirestoreImport.read(dir + "/out").documents.count == 3)
        }
    }
}
