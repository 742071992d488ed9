import FlintCore
import Foundation
import GRDB
import Synchronization

/// SQLite storage through GRDB: one serial writer, concurrent WAL readers, one SQLite
/// transaction per commit.
public final class DocumentStore: Sendable {
    let pool: DatabasePool
    let ids: IDCache
    /// The file to remove on close when the store is ephemeral.
    private let ephemeralPath: String?

    /// Opens (creating and migrating) a durable store at `path`, or an ephemeral one when nil.
    public init(path: String?) throws {
        let file: String
        if let path {
            file = path
            ephemeralPath = nil
        } else {
            file = NSTemporaryDirectory() + "flint-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).sqlite"
            ephemeralPath = file
        }
        var config = Configuration()
        let durable = path != nil
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // Durable: WAL + NORMAL survives a process kill (the WAL is written before the commit
            // returns). Ephemeral: nothing has to survive, so skip syncing.
            try db.execute(sql: durable ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = OFF")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Random index inserts dirty many pages per commit; checkpointing less often lets a
            // page changed by several commits be copied back once.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
        }
        do {
            pool = try DatabasePool(path: file, configuration: config)
            try StoreSchema.migrator.migrate(pool)
        } catch {
            throw StoreError.translate(error)
        }
        ids = IDCache()
    }

    /// Closes the store and, if it was ephemeral, removes its files.
    public func close() {
        try? pool.close()
        if let ephemeralPath {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: ephemeralPath + suffix) }
        }
    }

    /// Runs `body` on a consistent snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T {
        let ids = self.ids
        do {
            return try await pool.read { db in try body(StoreReader(db: db, ids: ids)) }
        } catch {
            throw StoreError.translate(error)
        }
    }

    /// Runs `body` in one write transaction: all of it commits, or none of it.
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws -> T) async throws -> T {
        let ids = self.ids
        do {
            return try await pool.write { db in
                let writer = StoreWriter(db: db, ids: ids)
                let result = try body(writer)
                try writer.flushCounts()
                return result
            }
        } catch {
            // Ids created in a rolled-back transaction must not be remembered.
            ids.reset()
            throw StoreError.translate(error)
        }
    }
}

/// Storage failures become FirestoreErrors at this boundary; our own errors pass through.
enum StoreError {
    static func translate(_ error: any Error) -> any Error {
        if error is FirestoreError || error is CancellationError { return error }
        if let db = error as? DatabaseError {
            if db.resultCode == .SQLITE_FULL {
                return FirestoreError(.resourceExhausted, "The store is out of disk space: \(db.message ?? "")")
            }
            return FirestoreError(.internal, "Storage error: \(db.message ?? db.description)")
        }
        return FirestoreError(.internal, "Storage error: \(error)")
    }
}

/// Remembers database and scope row ids so hot paths skip the lookups.
final class IDCache: Sendable {
    struct ScopeKey: Hashable {
        var db: Int64
        var kind: Int
        var parent: String
        var cid: String

        // Byte identity, as in SQLite; String equality would merge canonically equivalent ids.
        static func == (a: ScopeKey, b: ScopeKey) -> Bool {
            a.db == b.db && a.kind == b.kind && a.parent.utf8.elementsEqual(b.parent.utf8)
                && a.cid.utf8.elementsEqual(b.cid.utf8)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(db)
            hasher.combine(kind)
            hasher.combine(utf8: parent)
            hasher.combine(utf8: cid)
        }
    }
    private struct State {
        var databases: [DatabaseID: Int64] = [:]
        var scopes: [ScopeKey: Int64] = [:]
    }
    private let state = Mutex(State())

    func database(_ id: DatabaseID) -> Int64? { state.withLock { $0.databases[id] } }
    func setDatabase(_ id: DatabaseID, _ row: Int64) { state.withLock { $0.databases[id] = row } }
    func scope(_ key: ScopeKey) -> Int64? { state.withLock { $0.scopes[key] } }
    func setScope(_ key: ScopeKey, _ row: Int64) { state.withLock { $0.scopes[key] = row } }
    func reset() { state.withLock { $0 = State() } }
}
