import FlintCore
import FlintProto
import Foundation
import GRDB

/// A trigger event waiting for delivery: which trigger, which document change, and how deep in a
/// cascade of trigger writes it was caused.
public struct OutboxEvent: Sendable {
    /// The outbox row (assigned when appended).
    public var id: Int64 = 0
    public var trigger: String
    public var eventID: String
    public var database: DatabaseID
    public var path: ResourcePath
    public var commitTime: Int64
    public var before: DocumentSnapshot?
    public var after: DocumentSnapshot?
    /// 0 for a client's write; n + 1 for a write made by a trigger handling a depth-n event.
    public var depth: Int
    /// Delivery attempts made so far (kept across restarts).
    public var attempts: Int = 0
    /// Who made the write: `app_user`, `admin`, `unauthenticated` or `unknown` (as `…withAuthContext`
    /// events carry it), and the user's id for `app_user`.
    public var authType = "unknown"
    public var authID: String?

    public init(
        trigger: String, eventID: String, database: DatabaseID, path: ResourcePath, commitTime: Int64,
        before: DocumentSnapshot?, after: DocumentSnapshot?, depth: Int
    ) {
        self.trigger = trigger
        self.eventID = eventID
        self.database = database
        self.path = path
        self.commitTime = commitTime
        self.before = before
        self.after = after
        self.depth = depth
    }
}

extension StoreWriter {
    /// Records `event` in the outbox of this transaction and sets its id.
    public func appendOutbox(_ event: inout OutboxEvent) throws {
        let before = try event.before?.encoded()
        let after = try event.after?.encoded()
        try RawStatement(
            db,
            """
            INSERT INTO outbox(trigger, event_id, project, database, path, commit_time, depth, attempts,
              before_fields, before_create, before_update, after_fields, after_create, after_update, auth_type, auth_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run { [event] b in
            b.bind(event.trigger)
            b.bind(event.eventID)
            b.bind(event.database.project)
            b.bind(event.database.database)
            b.bind(event.path.description)
            b.bind(event.commitTime)
            b.bind(Int64(event.depth))
            b.bind(Int64(event.attempts))
            b.bind(before)
            b.bind(event.before?.createTime)
            b.bind(event.before?.updateTime)
            b.bind(after)
            b.bind(event.after?.createTime)
            b.bind(event.after?.updateTime)
            b.bind(event.authType)
            b.bind(event.authID)
        }
        event.id = db.lastInsertedRowID
    }

    /// Forgets delivered (or abandoned) events.
    public func removeOutbox(_ ids: [Int64]) throws {
        let statement = try RawStatement(db, "DELETE FROM outbox WHERE id = ?")
        for id in ids { try statement.run { b in b.bind(id) } }
    }

    /// Remembers how many delivery attempts an event has had.
    public func setOutboxAttempts(_ id: Int64, _ attempts: Int) throws {
        try RawStatement(db, "UPDATE outbox SET attempts = ? WHERE id = ?").run { b in
            b.bind(Int64(attempts))
            b.bind(id)
        }
    }
}

extension StoreReader {
    /// Every undelivered event, oldest first.
    public func outbox() throws -> [OutboxEvent] {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY id")
        return try rows.map { row in
            let path = ResourcePath(String(row["path"] as String).split(separator: "/", omittingEmptySubsequences: false).map(String.init))
            func document(_ prefix: String) throws -> DocumentSnapshot? {
                guard let blob = row["\(prefix)_fields"] as Data? else { return nil }
                return DocumentSnapshot(
                    path: path, fields: try Self.decodeFields(blob), createTime: row["\(prefix)_create"],
                    updateTime: row["\(prefix)_update"])
            }
            var event = OutboxEvent(
                trigger: row["trigger"], eventID: row["event_id"],
                database: DatabaseID(project: row["project"], database: row["database"]), path: path,
                commitTime: row["commit_time"], before: try document("before"), after: try document("after"),
                depth: row["depth"])
            event.id = row["id"]
            event.attempts = row["attempts"]
            event.authType = row["auth_type"]
            event.authID = row["auth_id"]
            return event
        }
    }
}
