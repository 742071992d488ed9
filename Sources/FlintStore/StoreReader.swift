import FlintCore
import FlintProto
import Foundation
import GRDB
import GRDBSQLite

/// Read access inside one consistent snapshot.
public struct StoreReader {
    let db: Database
    let shared: SharedStoreState

    init(db: Database, shared: SharedStoreState) {
        self.db = db
        self.shared = shared
    }

    // MARK: ids

    func databaseRow(_ id: DatabaseID) throws -> Int64? {
        if let row = shared.rowIDs.database(id) { return row }
        let row = try Int64.fetchOne(
            db, sql: "SELECT id FROM databases WHERE project = ? AND name = ?", arguments: [id.project, id.database])
        if let row { shared.rowIDs.setDatabase(id, row) }
        return row
    }

    func scopeRow(_ key: RowIDCache.ScopeKey) throws -> Int64? {
        if let row = shared.rowIDs.scope(key) { return row }
        let row = try Int64.fetchOne(
            db, sql: "SELECT id FROM scopes WHERE db = ? AND kind = ? AND parent = ? AND cid = ?",
            arguments: [key.db, key.kind, key.parent, key.cid])
        if let row { shared.rowIDs.setScope(key, row) }
        return row
    }

    /// The scope row of the collection at `collection` (an odd-length path), if it was ever used.
    func collectionScope(_ database: DatabaseID, _ collection: ResourcePath) throws -> Int64? {
        guard let dbRow = try databaseRow(database) else { return nil }
        return try scopeRow(.init(db: dbRow, kind: 0, parent: collection.parent.description, cid: collection.lastSegment))
    }

    // MARK: documents

    static func decodeFields(_ blob: Data) throws -> Fields {
        try FirestoreMap(serializedBytes: blob).fields
    }

    func document(from row: Row, path: ResourcePath) throws -> DocumentSnapshot {
        DocumentSnapshot(
            path: path, fields: try Self.decodeFields(row["fields"]), createTime: row["create_time"],
            updateTime: row["update_time"])
    }

    /// The document at `path`, or nil.
    public func document(_ database: DatabaseID, _ path: ResourcePath) throws -> DocumentSnapshot? {
        guard let scope = try collectionScope(database, path.parent) else { return nil }
        return try document(scope: scope, id: path.lastSegment, path: path)
    }

    /// Whether a document exists at `path` (without reading it).
    public func exists(_ database: DatabaseID, _ path: ResourcePath) throws -> Bool {
        guard let scope = try collectionScope(database, path.parent) else { return false }
        var found = false
        try RawStatement(db, "SELECT 1 FROM documents WHERE scope = ? AND id = ?").run { b in
            b.bind(scope)
            b.bind(path.lastSegment)
        } row: { _ in found = true }
        return found
    }

    /// The document `id` of a known collection scope.
    func document(scope: Int64, id: String, path: ResourcePath) throws -> DocumentSnapshot? {
        try withStoredRow(scope: scope, id: id, path: path) { try $0.decoded() }
    }

    /// Calls `body` with the row of document `id` of a known collection scope, its fields not yet
    /// copied out of SQLite; nil when there is no such document.
    func withStoredRow<T>(scope: Int64, id: String, path: ResourcePath, _ body: (StoredRow) throws -> T) throws -> T? {
        var result: T?
        _ = try RawStatement(db, "SELECT create_time, update_time, fields FROM documents WHERE scope = ? AND id = ?").scan { b in
            b.bind(scope)
            b.bind(id)
        } row: { h in
            let count = Int(sqlite3_column_bytes(h, 2))
            let bytes = count > 0 ? sqlite3_column_blob(h, 2).map { UnsafeRawBufferPointer(start: $0, count: count) } : nil
            result = try body(
                StoredRow(
                    path: path, createTime: sqlite3_column_int64(h, 0), updateTime: sqlite3_column_int64(h, 1),
                    fields: bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)))
            return false
        }
        return result
    }

    /// `withStoredRow` for the document at `path`.
    func withStoredRow<T>(_ database: DatabaseID, _ path: ResourcePath, _ body: (StoredRow) throws -> T) throws -> T? {
        guard let scope = try collectionScope(database, path.parent) else { return nil }
        return try withStoredRow(scope: scope, id: path.lastSegment, path: path, body)
    }

    /// Documents of one collection in id order, starting after `afterID`, at most `limit`.
    public func documents(
        _ database: DatabaseID, in collection: ResourcePath, afterID: String? = nil, limit: Int? = nil
    ) throws -> [DocumentSnapshot] {
        guard let scope = try collectionScope(database, collection) else { return [] }
        let sql =
            "SELECT id, create_time, update_time, fields FROM documents WHERE scope = ? AND id > ? ORDER BY id LIMIT ?"
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: sql), arguments: [scope, afterID ?? "", limit ?? -1])
        var out: [DocumentSnapshot] = []
        while let row = try rows.next() {
            let id: String = row["id"]
            out.append(try document(from: row, path: collection.appending(id)))
        }
        return out
    }

    /// The databases whose collection `collection` holds at least one document, by project and name.
    public func databases(holding collection: ResourcePath) throws -> [DatabaseID] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT databases.project, databases.name FROM scopes JOIN databases ON databases.id = scopes.db
                WHERE scopes.kind = 0 AND scopes.parent = ? AND scopes.cid = ? AND scopes.doc_count > 0
                ORDER BY databases.project, databases.name
                """,
            arguments: [collection.parent.description, collection.lastSegment])
        return rows.map { DatabaseID(project: $0["project"], database: $0["name"]) }
    }

    /// Ids of documents that do not exist in `collection` but have descendants ("missing" documents).
    public func missingDocumentIDs(_ database: DatabaseID, in collection: ResourcePath) throws -> [String] {
        guard let dbRow = try databaseRow(database) else { return [] }
        let prefix = collection.description + "/"
        let parents = try String.fetchAll(
            db,
            sql: """
                SELECT DISTINCT s.parent FROM scopes s
                WHERE s.db = ? AND s.kind = 0 AND s.parent >= ? AND s.parent < ?
                  AND EXISTS (SELECT 1 FROM documents d WHERE d.scope = s.id)
                """,
            arguments: [dbRow, prefix, collection.description + "0"])
        var ids = Set<String>()
        for parent in parents {
            let rest = parent.dropFirst(prefix.count)
            if let id = rest.split(separator: "/", omittingEmptySubsequences: false).first { ids.insert(String(id)) }
        }
        let existing = try documentsExist(database, in: collection, ids: Array(ids))
        return ids.subtracting(existing).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private func documentsExist(_ database: DatabaseID, in collection: ResourcePath, ids: [String]) throws -> Set<String> {
        guard let scope = try collectionScope(database, collection) else { return [] }
        var out = Set<String>()
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM documents WHERE scope = ? AND id = ?")
        for id in ids where try Bool.fetchOne(statement, arguments: [scope, id]) != nil { out.insert(id) }
        return out
    }

    /// Ids of the collections directly under `parent` that hold a document at any depth (at
    /// `time`, when given: a document created by then, or a kept version valid then).
    public func collectionIDs(_ database: DatabaseID, under parent: ResourcePath, at time: Int64? = nil) throws -> [String] {
        guard let dbRow = try databaseRow(database) else { return [] }
        let p = parent.description
        let below = p.isEmpty ? "" : p + "/"
        // Below the root every scope qualifies: the upper bound is a BLOB, which sorts after all TEXT.
        var arguments: StatementArguments = [dbRow, p, below, p.isEmpty ? Data([0xFF]).databaseValue : (p + "0").databaseValue]
        let holdsDocuments: String
        if let time {
            holdsDocuments = """
                (EXISTS (SELECT 1 FROM documents d WHERE d.scope = s.id AND d.create_time <= ?)
                 OR EXISTS (SELECT 1 FROM versions v WHERE v.scope = s.id AND v.valid_from <= ? AND v.valid_to > ?))
                """
            arguments += [time, time, time]
        } else {
            holdsDocuments = "EXISTS (SELECT 1 FROM documents d WHERE d.scope = s.id)"
        }
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.cid AS cid, s.parent AS parent FROM scopes s
                WHERE s.db = ? AND s.kind = 0 AND (s.parent = ? OR (s.parent >= ? AND s.parent < ?))
                  AND \(holdsDocuments)
                """,
            arguments: arguments)
        var out = Set<String>()
        for row in rows {
            let cid: String = row["cid"]
            let scopeParent: String = row["parent"]
            if scopeParent == p {
                out.insert(cid)
            } else {
                // A deeper collection: the first segment below `parent` names the collection.
                let rest = scopeParent.dropFirst(below.count)
                if let first = rest.split(separator: "/", omittingEmptySubsequences: false).first { out.insert(String(first)) }
            }
        }
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Every document at or below `path` (a document or collection path; the root for everything).
    public func descendants(_ database: DatabaseID, of path: ResourcePath) throws -> [ResourcePath] {
        guard let dbRow = try databaseRow(database) else { return [] }
        let p = path.description
        var out: [ResourcePath] = []
        if path.isDocument, try document(database, path) != nil { out.append(path) }
        // Collection scopes whose collection path is `path` or lies below it.
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id AS id, s.parent AS parent, s.cid AS cid FROM scopes s WHERE s.db = ? AND s.kind = 0
                """,
            arguments: [dbRow])
        for row in rows {
            let parent: String = row["parent"]
            let cid: String = row["cid"]
            let collection = parent.isEmpty ? cid : parent + "/" + cid
            let inside = p.isEmpty || collection == p || collection.hasPrefix(p + "/")
            guard inside else { continue }
            let scope: Int64 = row["id"]
            let base = try ResourcePath.parse(collection, context: collection)
            for id in try String.fetchAll(db, sql: "SELECT id FROM documents WHERE scope = ?", arguments: [scope]) {
                out.append(base.appending(id))
            }
        }
        return out
    }

    /// The last commit time handed out, in microseconds.
    public func lastCommitTime() throws -> Int64 {
        shared.clock.lastCommitTime
    }
}
