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

    /// Streams every document (of one database, or of all), collection by collection in id order,
    /// from this reader's one snapshot: what an export writes.
    public func forEachDocument(
        in database: DatabaseID? = nil, _ body: (DatabaseID, ResourcePath, Fields) throws -> Void
    ) throws {
        try forEachStoredDocument(in: database) { id, path, blob in try body(id, path, try Self.decodeFields(blob)) }
    }

    /// A document's fields from their stored form (as `forEachStoredDocument` hands them over).
    public static func fields(fromStored blob: Data) throws -> Fields { try decodeFields(blob) }

    /// `forEachDocument`, the fields still in their stored form, for callers that decode them
    /// elsewhere (on other cores).
    public func forEachStoredDocument(
        in database: DatabaseID? = nil, _ body: (DatabaseID, ResourcePath, Data) throws -> Void
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
        let collections = try Row.fetchAll(db, sql: sql)
        for collection in collections {
            guard let id = databases[collection["db"]] else { continue }
            let parent: String = collection["parent"]
            let cid: String = collection["cid"]
            let path = ResourcePath((parent.isEmpty ? [] : parent.split(separator: "/", omittingEmptySubsequences: false).map(String.init)) + [cid])
            // Read through SQLite's C API: GRDB's rows cost more than the rest of an export.
            let scope: Int64 = collection["id"]
            _ = try RawStatement(db, "SELECT id, fields FROM documents WHERE scope = ? ORDER BY id").scan { b in
                b.bind(scope)
            } row: { h in
                let idBytes = UnsafeBufferPointer(
                    start: sqlite3_column_text(h, 0), count: Int(sqlite3_column_bytes(h, 0)))
                let documentID = String(decoding: idBytes, as: UTF8.self)
                try body(id, path.appending(documentID), RawStatement.blob(h, 1))
                return true
            }
        }
    }
}
