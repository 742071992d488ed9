import FlintCore
import Foundation
import Synchronization

/// Open transactions and what each has read.
///
/// Concurrency control is optimistic: reads take no locks; a read-write transaction remembers
/// each document version and query result it saw, and its commit — inside the one SQLite write
/// transaction, on the serial writer — first checks they are all still current. If anything
/// changed it answers ABORTED at once, so clients retry in milliseconds and nothing ever waits.
final class TransactionRegistry: Sendable {
    struct Limits: Sendable {
        var lifetime: Int64 = 270_000_000
        var idle: Int64 = 60_000_000
    }

    /// A query a read-write transaction ran, and the versions it returned.
    struct QueryRead: Sendable {
        var parent: ResourcePath
        var plan: QueryPlan
        var result: [VersionSeen]
    }

    struct VersionSeen: Sendable, Equatable {
        var path: ResourcePath
        var updateTime: Int64
    }

    struct Entry: Sendable {
        var database: DatabaseID
        var readOnly: Bool
        /// The snapshot a read-only transaction reads at.
        var readTime: Int64?
        var started: Int64
        var lastUsed: Int64
        /// Documents read: their update time then, or nil when absent.
        var reads: [ResourcePath: Int64?] = [:]
        var queries: [QueryRead] = []
    }

    let limits: Limits
    let locks = DocumentLocks()
    private let entries = Mutex<[Data: Entry]>([:])
    /// Recently closed ids: a retry may name one, a second rollback is harmless, a second commit is an error.
    private let closedIDs = Mutex<(order: [Data], set: Set<Data>)>(([], []))
    static let closedMemory = 10_000

    init(limits: Limits) { self.limits = limits }

    static let invalid = FirestoreError.invalidArgument("Invalid transaction.")
    static let closed = FirestoreError.invalidArgument("Transaction is invalid or closed.")

    func begin(_ database: DatabaseID, readOnly: Bool, readTime: Int64?) -> Data {
        var id = Data(count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in id.indices { id[i] = UInt8.random(in: 0...255, using: &rng) }
        let now = Timestamps.nowMicros()
        entries.withLock {
            $0[id] = Entry(database: database, readOnly: readOnly, readTime: readTime, started: now, lastUsed: now)
        }
        return id
    }

    /// The transaction, if it is open, belongs to `database` and has not expired; marks it used.
    func use(_ id: Data, in database: DatabaseID) throws(FirestoreError) -> Entry {
        let now = Timestamps.nowMicros()
        let limits = self.limits
        let result: Result<Entry, FirestoreError> = entries.withLock { all in
            guard var entry = all[id], entry.database == database else {
                return .failure(wasClosed(id) ? Self.closed : Self.invalid)
            }
            if now - entry.started > limits.lifetime || now - entry.lastUsed > limits.idle {
                all[id] = nil
                locks.release(id)
                rememberClosed(id)
                return .failure(
                    FirestoreError.invalidArgument(
                        "Transaction has expired: transactions live at most \(limits.lifetime / 1_000_000) s and expire after \(limits.idle / 1_000_000) s idle."
                    ))
            }
            entry.lastUsed = now
            all[id] = entry
            return .success(entry)
        }
        return try result.get()
    }

    func record(_ id: Data, reads: [(ResourcePath, Int64?)]) {
        entries.withLock { all in
            guard var entry = all[id] else { return }
            for (path, time) in reads where entry.reads[path] == nil { entry.reads[path] = .some(time) }
            all[id] = entry
        }
    }

    func record(_ id: Data, query: QueryRead) {
        entries.withLock { all in all[id]?.queries.append(query) }
    }

    /// Closes the transaction, returning what it was.
    @discardableResult
    func finish(_ id: Data) -> Entry? {
        let entry = entries.withLock { $0.removeValue(forKey: id) }
        if entry != nil { rememberClosed(id) }
        locks.release(id)
        return entry
    }

    /// Whether `id` named a transaction that was closed recently.
    func wasClosed(_ id: Data) -> Bool { closedIDs.withLock { $0.set.contains(id) } }

    private func rememberClosed(_ id: Data) {
        closedIDs.withLock { closed in
            guard closed.set.insert(id).inserted else { return }
            closed.order.append(id)
            if closed.order.count > Self.closedMemory {
                closed.set.remove(closed.order.removeFirst())
            }
        }
    }

    /// Drops expired transactions (called now and then, so abandoned ones don't pile up).
    func sweep() {
        let now = Timestamps.nowMicros()
        let limits = self.limits
        let expired = entries.withLock { all -> [Data] in
            let gone = all.filter { now - $0.value.started > limits.lifetime || now - $0.value.lastUsed > limits.idle }
            for id in gone.keys { all[id] = nil }
            return Array(gone.keys)
        }
        for id in expired {
            rememberClosed(id)
            locks.release(id)
        }
    }
}
