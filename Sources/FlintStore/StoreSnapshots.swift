import FlintCore
import Foundation
import GRDB
import Synchronization

/// Named copies of the whole store, for tests that seed once and reset before each test.
///
/// Saving and restoring use SQLite's online backup (page by page, `sqlite3_backup`), not a
/// document-by-document copy. Snapshots are kept in memory for as long as the process runs.
public final class StoreSnapshots: Sendable {
    public struct Info: Sendable, Codable, Equatable {
        public var name: String
        /// When it was saved (RFC 3339).
        public var createTime: String
        public var documents: Int
        public var bytes: Int
    }

    private struct Entry: @unchecked Sendable {
        var copy: DatabaseQueue
        var info: Info
    }

    let store: DocumentStore
    private let entries = Mutex<[String: Entry]>([:])

    public init(store: DocumentStore) { self.store = store }

    /// Names are letters, digits, `-`, `_` and `.`, up to 100 characters.
    public static func validate(_ name: String) throws(FirestoreError) {
        let allowed = name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2d || b == 0x5f
                || b == 0x2e
        }
        guard !name.isEmpty, name.utf8.count <= 100, allowed else {
            throw .invalidArgument(
                "Snapshot name \"\(name)\" must be 1–100 letters, digits, '-', '_' or '.'.")
        }
    }

    /// Saves the store's current state (one consistent read snapshot) as `name`, replacing a
    /// snapshot of that name.
    @discardableResult
    public func save(_ name: String) async throws -> Info {
        try Self.validate(name)
        let copy = try DatabaseQueue()
        let documents: Int
        do {
            documents = try await store.copy(into: copy)
        } catch {
            throw firestoreError(fromStorage: error)
        }
        let bytes = try await copy.read { db in
            try Int.fetchOne(db, sql: "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()") ?? 0
        }
        let info = Info(
            name: name, createTime: Timestamps.format(micros: Timestamps.nowMicros()), documents: documents, bytes: bytes)
        entries.withLock { $0[name] = Entry(copy: copy, info: info) }
        return info
    }

    /// Replaces the store's contents with snapshot `name`. `whileExclusive` runs on the writer
    /// right after, before any other write or read, with the restore's commit time.
    @discardableResult
    public func restore(_ name: String, whileExclusive: @escaping @Sendable (Int64) -> Void = { _ in }) async throws
        -> Info
    {
        try Self.validate(name)
        guard let entry = entries.withLock({ $0[name] }) else {
            throw FirestoreError(.notFound, "No snapshot named \"\(name)\".")
        }
        do {
            try await store.replaceContents(with: entry.copy, whileExclusive: whileExclusive)
        } catch {
            throw firestoreError(fromStorage: error)
        }
        return entry.info
    }

    /// Every snapshot, by name.
    public func list() -> [Info] { entries.withLock { $0.values.map(\.info) }.sorted { $0.name < $1.name } }

    public func delete(_ name: String) throws(FirestoreError) {
        try Self.validate(name)
        guard entries.withLock({ $0.removeValue(forKey: name) }) != nil else {
            throw FirestoreError(.notFound, "No snapshot named \"\(name)\".")
        }
    }
}

extension DocumentStore {
    /// Copies the whole database into `copy` from one read snapshot (writers go on meanwhile);
    /// returns how many documents it holds.
    func copy(into copy: DatabaseQueue) async throws -> Int {
        try await countedRead { db in
            try copy.writeWithoutTransaction { destination in try db.backup(to: destination) }
            return try Int.fetchOne(db, sql: "SELECT coalesce(sum(doc_count), 0) FROM scopes WHERE kind = 0") ?? 0
        }
    }

    /// Replaces the whole database with `copy`, on the writer with no reader inside (a barrier),
    /// then forgets what the writer and readers cached (row ids, recent documents), drops pending
    /// trigger events kept in the outbox table, and takes a commit time for the restore so commit
    /// times keep increasing: a restore is a new point in time, and the restored documents keep
    /// the times they had.
    func replaceContents(with copy: DatabaseQueue, whileExclusive: @escaping @Sendable (Int64) -> Void) async throws {
        let (shared, recent) = (self.shared, self.recent)
        // Short reads must not block their thread behind the barrier meanwhile (see readShort).
        readers.take(readers.maximum)
        defer { readers.giveBack(readers.maximum) }
        try await pool.barrierWriteWithoutTransaction { db in
            shared.rowIDs.reset()
            recent.clear()
            do {
                try copy.read { source in try source.backup(to: db) }
                try db.execute(sql: "DELETE FROM outbox")
            } catch {
                shared.rowIDs.reset()
                throw error
            }
            let time = shared.clock.nextCommitTime(now: Timestamps.nowMicros())
            shared.clock.endCommit()
            whileExclusive(time)
        }
    }
}
