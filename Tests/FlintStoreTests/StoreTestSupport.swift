import FlintCore
import FlintProto
import FlintService
@testable import FlintStore
import Foundation
import GRDB
import Testing

let testDB = DatabaseID(project: "p")
let rootName = "projects/p/databases/(default)/documents"
let admin = CallContext(auth: .admin)

func path(_ s: String) -> ResourcePath { ResourcePath(s.split(separator: "/").map(String.init)) }
func docName(_ p: String) -> String { rootName + "/" + p }

/// Runs `body` with a fresh ephemeral store, closing it afterwards whatever happens.
@discardableResult
func withStore<T>(_ body: (DocumentStore) async throws -> T) async throws -> T {
    let store = try DocumentStore(path: nil)
    do {
        let result = try await body(store)
        store.close()
        return result
    } catch {
        store.close()
        throw error
    }
}

/// Runs `body` with a service over a fresh ephemeral store.
@discardableResult
func withService<T>(_ body: (FirestoreService, DocumentStore) async throws -> T) async throws -> T {
    try await withStore { store in try await body(FirestoreService(store: store), store) }
}

/// A file path in the temporary directory that nothing uses yet.
func temporaryStorePath() -> String {
    NSTemporaryDirectory() + "flint-store-test-\(UUID().uuidString).sqlite"
}

func removeStoreFiles(_ file: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
}

// MARK: direct store access

func doc(_ p: String, _ fields: Fields, time: Int64 = 1) -> DocumentSnapshot {
    DocumentSnapshot(path: path(p), fields: fields, createTime: time, updateTime: time)
}

/// Stores documents through the writer, passing what was there as `previous`, in one transaction.
func put(_ store: DocumentStore, _ docs: DocumentSnapshot..., database: DatabaseID = testDB) async throws {
    try await store.write { writer in
        for d in docs { try writer.put(database, d, previous: try writer.document(database, d.path)) }
    }
}

func remove(_ store: DocumentStore, _ p: String, database: DatabaseID = testDB) async throws {
    try await store.write { writer in
        let target = path(p)
        if let previous = try writer.document(database, target) { try writer.delete(database, target, previous: previous, deletedAt: try writer.nextCommitTime(now: 0)) }
    }
}

func get(_ store: DocumentStore, _ p: String, database: DatabaseID = testDB) async throws -> DocumentSnapshot? {
    try await store.read { try $0.document(database, path(p)) }
}

/// Rows of the per-field index: (field, doc key as text) for every scope, sorted.
func indexRows(_ store: DocumentStore) async throws -> [String] {
    try await store.read { reader in
        try Row.fetchAll(reader.db, sql: "SELECT field, doc FROM field_index").map { row in
            let field: String = row["field"]
            let doc: Data = row["doc"]
            return field + " @ " + String(decoding: doc.map { $0 == 0 ? UInt8(ascii: "|") : $0 }, as: UTF8.self)
        }.sorted()
    }
}

func indexRowCount(_ store: DocumentStore) async throws -> Int {
    try await store.read { try Int.fetchOne($0.db, sql: "SELECT COUNT(*) FROM field_index") ?? -1 }
}

// MARK: service requests

func update(_ p: String, _ fields: Fields, mask: [String]? = nil) -> Google_Firestore_V1_Write {
    var write = Google_Firestore_V1_Write()
    write.update.name = docName(p)
    write.update.fields = fields
    if let mask { write.updateMask.fieldPaths = mask }
    return write
}

func delete(_ p: String) -> Google_Firestore_V1_Write {
    .with { $0.delete = docName(p) }
}

extension Google_Firestore_V1_Write {
    func exists(_ e: Bool) -> Self {
        var copy = self
        copy.currentDocument.exists = e
        return copy
    }
    func lastUpdated(_ t: ProtoTimestamp) -> Self {
        var copy = self
        copy.currentDocument.updateTime = t
        return copy
    }
    func transforming(_ transforms: FieldTransformProto...) -> Self {
        var copy = self
        copy.updateTransforms += transforms
        return copy
    }
}

@discardableResult
func commit(_ service: FirestoreService, _ writes: Google_Firestore_V1_Write...) async throws -> Google_Firestore_V1_CommitResponse {
    try await service.commit(.with { $0.database = testDB.resourceName; $0.writes = writes }, context: admin)
}

/// The document as the API answers it, or nil when it does not exist.
func fetch(_ service: FirestoreService, _ p: String) async throws -> FirestoreDocument? {
    do {
        return try await service.getDocument(.with { $0.name = docName(p) }, context: admin)
    } catch let error as FirestoreError where error.code == .notFound {
        return nil
    }
}

