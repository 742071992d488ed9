import FlintCore
import Foundation
import GRDB
import GRDBSQLite

/// Reads as of a past time, from the current rows and the kept versions.
extension StoreReader {
    /// The document at `path` as it was at `time` (microseconds), or nil if it did not exist then.
    public func document(_ database: DatabaseID, _ path: ResourcePath, at time: Int64) throws -> DocumentSnapshot? {
        guard let scope = try collectionScope(database, path.parent) else { return nil }
        if let current = try document(scope: scope, id: path.lastSegment, path: path), current.updateTime <= time {
            return current
        }
        var found: DocumentSnapshot?
        try RawStatement(
            db,
            """
            SELECT valid_from, create_time, fields FROM versions
            WHERE scope = ? AND id = ? AND valid_to > ? AND valid_from <= ? ORDER BY valid_to LIMIT 1
            """
        ).run { b in
            b.bind(scope)
            b.bind(path.lastSegment)
            b.bind(time)
            b.bind(time)
        } row: { h in
            found = DocumentSnapshot(
                path: path, fields: (try? Self.decodeFields(RawStatement.blob(h, 2))) ?? [:],
                createTime: sqlite3_column_int64(h, 1), updateTime: sqlite3_column_int64(h, 0))
        }
        return found
    }

    /// Every document of one collection as it was at `time`, in id order.
    public func documents(_ database: DatabaseID, in collection: ResourcePath, at time: Int64) throws -> [DocumentSnapshot] {
        guard let scope = try collectionScope(database, collection) else { return [] }
        var byPath: [ResourcePath: DocumentSnapshot] = [:]
        for doc in try documents(database, in: collection) where doc.updateTime <= time {
            byPath[doc.path] = doc
        }
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT id, valid_from, create_time, fields FROM versions WHERE scope = ? AND valid_to > ? AND valid_from <= ?",
            arguments: [scope, time, time])
        for row in rows {
            let id: String = row["id"]
            byPath[collection.appending(id)] = DocumentSnapshot(
                path: collection.appending(id), fields: try Self.decodeFields(row["fields"]), createTime: row["create_time"],
                updateTime: row["valid_from"])
        }
        return byPath.values.sorted { $0.path < $1.path }
    }
}
