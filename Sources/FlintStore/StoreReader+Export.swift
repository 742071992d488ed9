import FlintCore
import Foundation
import GRDB
import GRDBSQLite

extension StoreReader {
    /// How many documents the store holds, in one database or in all.
    public func documentCount(in database: DatabaseID? = nil) throws -> Int {
        guard let database else {
            return try Int.fetchOne(db, sql: "SELECT coalesce(sum(doc_count), 0) FROM scopes WHERE kind = 0") ?? 0
        }
        guard let row = try databaseRow(database) else { return 0 }
        return try Int.fetchOne(
            db, sql: "SELECT coalesce(sum(doc_count), 0) FROM scopes WHERE kind = 0 AND db = ?", arguments: [row]) ?? 0
    }

    /// Every database that has held a document.
    public func databaseIDs() throws -> [DatabaseID] {
        try Row.fetchAll(db, sql: "SELECT project, name FROM databases ORDER BY project, name").map {
            DatabaseID(project: $0["project"], database: $0["name"])
        }
    }

    /// Streams every document (of one database, or of all) in its stored form, collection by
    /// collection in id order, from this reader's one snapshot: what an export writes. `collection`
    /// is told of each collection before its documents; `document` gets each document's id and
    /// stored fields, valid only during the call.
    public func forEachStoredDocument(
        in database: DatabaseID? = nil, collection: (DatabaseID, ResourcePath) throws -> Void,
        document: (_ id: UnsafeRawBufferPointer, _ fields: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var databases: [Int64: DatabaseID] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, project, name FROM databases") {
            databases[row["id"]] = DatabaseID(project: row["project"], database: row["name"])
        }
        let wanted = database.flatMap { d in databases.first { $0.value == d }?.key }
        if database != nil && wanted == nil { return }
        var sql = "SELECT id, db, parent, cid FROM scopes WHERE kind = 0 AND doc_count > 0"
        if let wanted { sql += " AND db = \(wanted)" }
        sql += " ORDER BY db, parent, cid"
        for scopeRow in try Row.fetchAll(db, sql: sql) {
            guard let id = databases[scopeRow["db"]] else { continue }
            let parent: String = scopeRow["parent"]
            let cid: String = scopeRow["cid"]
            let segments = parent.isEmpty ? [] : parent.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            try collection(id, ResourcePath(segments + [cid]))
            // Read through SQLite's C API: GRDB's rows cost more than the rest of an export.
            let scope: Int64 = scopeRow["id"]
            _ = try RawStatement(db, "SELECT id, fields FROM documents WHERE scope = ? ORDER BY id").scan { b in
                b.bind(scope)
            } row: { h in
                try document(
                    UnsafeRawBufferPointer(start: sqlite3_column_text(h, 0), count: Int(sqlite3_column_bytes(h, 0))),
                    UnsafeRawBufferPointer(start: sqlite3_column_blob(h, 1), count: Int(sqlite3_column_bytes(h, 1))))
                return true
            }
        }
    }
}
