import FlintCore
import FlintProto
import Foundation
import GRDB

/// Write access inside one SQLite transaction; also reads, seeing its own writes.
public struct StoreWriter {
    public let reader: StoreReader
    var db: Database { reader.db }
    /// Changes to per-collection document counts, written once when the transaction ends.
    let countDeltas = CountDeltas()

    /// Per-scope count changes accumulated during one transaction.
    final class CountDeltas {
        var byScope: [Int64: Int64] = [:]
    }

    /// What this writer stored lately (the store's one writer keeps it across transactions).
    let recent: RecentDocuments
    /// The fields the index leaves out (set before serving, so read once per transaction).
    let exemptions: IndexExemptions

    init(db: Database, shared: SharedStoreState, recent: RecentDocuments) {
        reader = StoreReader(db: db, shared: shared)
        self.recent = recent
        exemptions = shared.indexExemptions
    }

    /// Writes the accumulated document-count changes; called once before the transaction commits.
    func flushCounts() throws {
        for (scope, delta) in countDeltas.byScope where delta != 0 {
            try RawStatement(db, "UPDATE scopes SET doc_count = doc_count + ? WHERE id = ?").run { b in
                b.bind(delta)
                b.bind(scope)
            }
        }
        countDeltas.byScope = [:]
    }

    public func document(_ database: DatabaseID, _ path: ResourcePath) throws -> DocumentSnapshot? {
        if let known = recent.document(database, path) { return known }
        return try reader.document(database, path)
    }

    // MARK: ids

    func ensureDatabaseRow(_ id: DatabaseID) throws -> Int64 {
        if let row = try reader.databaseRow(id) { return row }
        try db.execute(sql: "INSERT INTO databases(project, name) VALUES (?, ?)", arguments: [id.project, id.database])
        let row = db.lastInsertedRowID
        reader.shared.rowIDs.setDatabase(id, row)
        return row
    }

    func ensureScopeRow(_ key: RowIDCache.ScopeKey) throws -> Int64 {
        if let row = try reader.scopeRow(key) { return row }
        try db.execute(
            sql: "INSERT INTO scopes(db, kind, parent, cid) VALUES (?, ?, ?, ?)",
            arguments: [key.db, key.kind, key.parent, key.cid])
        let row = db.lastInsertedRowID
        reader.shared.rowIDs.setScope(key, row)
        return row
    }

    /// The collection scope and, for nested collections, the collection-group scope of a document.
    func scopes(_ database: DatabaseID, of path: ResourcePath) throws -> (collection: Int64, group: Int64?) {
        let dbRow = try ensureDatabaseRow(database)
        let collection = path.parent
        let scope = try ensureScopeRow(.init(db: dbRow, kind: 0, parent: collection.parent.description, cid: collection.lastSegment))
        guard path.count > 2 else { return (scope, nil) }
        return (scope, try ensureScopeRow(.init(db: dbRow, kind: 1, parent: "", cid: collection.lastSegment)))
    }

    // MARK: commits

    /// Runs `body` in a savepoint: if it throws, only its own changes are undone. (Savepoints may
    /// nest; each statement is prepared once, where GRDB's `inSavepoint` prepares its SQL every time.)
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        let counts = countDeltas.byScope
        try RawStatement(db, "SAVEPOINT write").run { _ in }
        do {
            let result = try body()
            try RawStatement(db, "RELEASE write").run { _ in }
            return result
        } catch {
            try? RawStatement(db, "ROLLBACK TO write").run { _ in }
            try? RawStatement(db, "RELEASE write").run { _ in }
            reader.shared.rowIDs.reset()
            recent.clear()
            countDeltas.byScope = counts
            throw error
        }
    }

    /// Hands out the next commit time: now, but always after the previous one.
    public func nextCommitTime(now: Int64) throws -> Int64 {
        reader.shared.clock.nextCommitTime(now: now)
    }

    /// Stores `document`, keeping the per-field index in step with what was there (`previous`).
    /// Returns the document as stored (its encoded fields known).
    @discardableResult
    public func put(
        _ database: DatabaseID, _ document: DocumentSnapshot, previous: DocumentSnapshot?, prepared: PreparedFields? = nil
    ) throws -> DocumentSnapshot {
        let (scope, group) = try scopes(database, of: document.path)
        let blob = try prepared?.blob ?? PreparedFields.encode(document.fields)
        try RawStatement(
            db,
            """
            INSERT INTO documents(scope, id, create_time, update_time, fields) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(scope, id) DO UPDATE SET
              create_time = excluded.create_time, update_time = excluded.update_time, fields = excluded.fields
            """
        ).run { b in
            b.bind(scope)
            b.bind(document.path.lastSegment)
            b.bind(document.createTime)
            b.bind(document.updateTime)
            b.bind(blob)
        }
        if let previous {
            try keepVersion(previous, scope: scope, replacedAt: document.updateTime)
        } else {
            try adjustCount(scope, by: 1)
        }
        // A new document adds all its rows; a replaced one only what changed.
        let exempt = exemptions.exempt(inGroup: document.path.parent.lastSegment)
        let (removing, adding) =
            previous.map { IndexEntry.changes(from: $0.fields, to: document.fields, skipping: exempt) }
            ?? ([], (exempt == nil ? prepared?.entries : nil) ?? IndexEntry.entries(of: document.fields, skipping: exempt))
        try updateIndex(document.path, scope: scope, group: group, removing: removing, adding: adding)
        var stored = document
        stored.encodedFields = blob
        recent.stored(database, stored)
        return stored
    }

    /// Removes the document at `path` (which held `previous`) and its index rows.
    public func delete(_ database: DatabaseID, _ path: ResourcePath, previous: DocumentSnapshot, deletedAt: Int64) throws {
        let (scope, group) = try scopes(database, of: path)
        try RawStatement(db, "DELETE FROM documents WHERE scope = ? AND id = ?").run { b in
            b.bind(scope)
            b.bind(path.lastSegment)
        }
        recent.removed(database, path)
        try adjustCount(scope, by: -1)
        try keepVersion(previous, scope: scope, replacedAt: deletedAt)
        let exempt = exemptions.exempt(inGroup: path.parent.lastSegment)
        try updateIndex(
            path, scope: scope, group: group, removing: IndexEntry.entries(of: previous.fields, skipping: exempt), adding: [])
    }

    /// Rebuilds the index rows of every document of collection group `group`, leaving out the
    /// `skipping` fields (its exemptions changed).
    func reindex(group: String, skipping: Set<String>?) throws {
        try db.execute(sql: "DELETE FROM field_index WHERE scope IN (SELECT id FROM scopes WHERE cid = ?)", arguments: [group])
        let collections = try Row.fetchAll(
            db, sql: "SELECT id, db, parent FROM scopes WHERE kind = 0 AND cid = ?", arguments: [group])
        for collection in collections {
            let scope: Int64 = collection["id"]
            let parent: String = collection["parent"]
            let path = try ResourcePath.parse(parent.isEmpty ? group : parent + "/" + group, context: parent)
            let groupScope = path.count > 1 ? try ensureScopeRow(.init(db: collection["db"], kind: 1, parent: "", cid: group)) : nil
            let rows = try Row.fetchCursor(db, sql: "SELECT id, fields FROM documents WHERE scope = ?", arguments: [scope])
            while let row = try rows.next() {
                let fields = try StoreReader.decodeFields(row["fields"])
                try updateIndex(
                    path.appending(row["id"] as String), scope: scope, group: groupScope, removing: [],
                    adding: IndexEntry.entries(of: fields, skipping: skipping))
            }
        }
    }

    /// Keeps a replaced or deleted version for reads in the past.
    private func keepVersion(_ version: DocumentSnapshot, scope: Int64, replacedAt: Int64) throws {
        let blob = try version.encoded()
        try RawStatement(
            db,
            "INSERT OR REPLACE INTO versions(scope, id, valid_to, valid_from, create_time, fields) VALUES (?, ?, ?, ?, ?, ?)"
        ).run { b in
            b.bind(scope)
            b.bind(version.path.lastSegment)
            b.bind(replacedAt)
            b.bind(version.updateTime)
            b.bind(version.createTime)
            b.bind(blob)
        }
    }

    /// Forgets versions replaced before `cutoff` (reads in the past reach back one hour).
    public func pruneVersions(before cutoff: Int64) throws {
        try db.execute(sql: "DELETE FROM versions WHERE valid_to < ?", arguments: [cutoff])
    }

    private func adjustCount(_ scope: Int64, by delta: Int64) throws {
        countDeltas.byScope[scope, default: 0] += delta
    }

    private func updateIndex(
        _ path: ResourcePath, scope: Int64, group: Int64?, removing: Set<IndexEntry>, adding: Set<IndexEntry>
    ) throws {
        if removing.isEmpty && adding.isEmpty { return }
        let idKey = Array(path.lastSegment.utf8)
        let groupKey = group.map { _ in IndexKey.encode(path: path) }
        func apply(_ sql: String, _ entries: Set<IndexEntry>) throws {
            if entries.isEmpty { return }
            let statement = try RawStatement(db, sql)
            for entry in entries {
                try statement.run { b in
                    b.bind(scope)
                    b.bind(entry.field)
                    b.bind(entry.value)
                    b.bind(idKey)
                }
                if let group, let groupKey {
                    try statement.run { b in
                        b.bind(group)
                        b.bind(entry.field)
                        b.bind(entry.value)
                        b.bind(groupKey)
                    }
                }
            }
        }
        try apply("DELETE FROM field_index WHERE scope = ? AND field = ? AND value = ? AND doc = ?", removing)
        try apply("INSERT INTO field_index(scope, field, value, doc) VALUES (?, ?, ?, ?)", adding)
    }

    /// Removes every document of a database (the emulator's "clear" endpoint).
    public func clear(_ database: DatabaseID) throws {
        recent.clear()
        guard let dbRow = try reader.databaseRow(database) else { return }
        try db.execute(
            sql: """
                DELETE FROM documents WHERE scope IN (SELECT id FROM scopes WHERE db = ?);
                DELETE FROM field_index WHERE scope IN (SELECT id FROM scopes WHERE db = ?);
                DELETE FROM versions WHERE scope IN (SELECT id FROM scopes WHERE db = ?);
                UPDATE scopes SET doc_count = 0 WHERE db = ?;
                """,
            arguments: [dbRow, dbRow, dbRow, dbRow])
    }
}
