import CFlintSQLite
import FlintCore
import Foundation
import GRDB
import GRDBSQLite
import NIOCore
import NIOPosix
import Synchronization

/// SQLite storage through GRDB: one serial writer, concurrent WAL readers, one SQLite
/// transaction per commit.
public final class DocumentStore: Sendable {
    let pool: DatabasePool
    let shared = SharedStoreState()
    let writeQueue = WriteQueue()
    /// Write transactions run so far (each may group many writes).
    let transactionCount = Atomic<Int>(0)
    let recent = RecentDocuments()
    let readers: ReaderCount
    private let writerThread = DispatchQueue(label: "flint.store.writer")
    /// The file to remove on close when the store is ephemeral.
    private let ephemeralPath: String?
    /// Whether what is stored outlives the process (a `--data` file).
    public var isDurable: Bool { ephemeralPath == nil }

    /// SQLite's process-wide settings, made once before its first use.
    private static let sqliteConfigured: Void = { _ = flint_sqlite_configure() }()

    /// Opens (creating and migrating) a durable store at `path`, or an ephemeral one when nil.
    public init(path: String?) throws {
        Self.sqliteConfigured
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
            if let connection = db.sqliteConnection, flint_rows_register(UnsafeMutableRawPointer(connection)) != SQLITE_OK {
                throw DatabaseError(message: "Cannot register flint_rows.")
            }
        }
        readers = ReaderCount(maximum: config.maximumReaderCount)
        do {
            pool = try DatabasePool(path: file, configuration: config)
            // GRDB's WAL set-up runs after prepareDatabase and turns the writer back to NORMAL,
            // which would fsync at every checkpoint of a store nothing has to survive.
            if !durable { try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = OFF") } }
            try StoreSchema.migrator.migrate(pool)
            // Commit times must keep increasing across restarts: start after every stored time
            // (deletes are remembered as kept versions, so their times are found too).
            let last = try pool.read { db in
                try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT max(t) FROM (
                          SELECT max(update_time) AS t FROM documents UNION ALL
                          SELECT max(valid_to) FROM versions)
                        """) ?? 0
            }
            shared.clock.setLastCommit(last)
            shared.indexExemptions = try pool.read { db in
                var exemptions = IndexExemptions()
                for row in try Row.fetchAll(db, sql: "SELECT grp, field FROM index_exemptions") {
                    exemptions.add(group: row["grp"], fields: [try FieldPath(parsing: row["field"])])
                }
                return exemptions
            }
        } catch {
            throw firestoreError(fromStorage: error)
        }
    }

    /// Closes the store and, if it was ephemeral, removes its files.
    public func close() {
        try? pool.close()
        if let ephemeralPath {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: ephemeralPath + suffix) }
        }
    }

    /// Sets which fields go unindexed (call before serving). Collection groups whose exemptions
    /// differ from those the stored rows were written under get their index rows rebuilt.
    public func setIndexExemptions(_ exemptions: IndexExemptions) throws {
        let current = shared.indexExemptions
        guard exemptions != current else { return }
        let changed = Set(current.fields.keys).union(exemptions.fields.keys).filter {
            current.fields[$0] != exemptions.fields[$0]
        }
        do {
            try pool.write { db in
                let writer = StoreWriter(db: db, shared: shared, recent: recent)
                for group in changed.sorted() { try writer.reindex(group: group, skipping: exemptions.exempt(inGroup: group)) }
                try db.execute(sql: "DELETE FROM index_exemptions")
                for (group, fields) in exemptions.fields {
                    for field in fields {
                        try db.execute(sql: "INSERT INTO index_exemptions(grp, field) VALUES (?, ?)", arguments: [group, field])
                    }
                }
            }
        } catch {
            shared.rowIDs.reset()
            throw firestoreError(fromStorage: error)
        }
        shared.indexExemptions = exemptions
    }

    /// Runs `body` on a consistent snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T {
        let shared = self.shared
        do {
            return try await countedRead { db in try body(StoreReader(db: db, shared: shared)) }
        } catch {
            throw firestoreError(fromStorage: error)
        }
    }

    /// GRDB's read, counted in `readers` (every read that waits for a connection goes through here).
    func countedRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        readers.take()
        defer { readers.giveBack() }
        return try await pool.read(body)
    }

    /// `read` for a short read (documents by name): runs on the calling thread when a reader
    /// connection is free, sparing the two thread switches of handing the work to a reader's
    /// queue and back, which cost a single-document read more than SQLite does. Otherwise it
    /// waits for one as `read` does: blocking here could deadlock, since a reader held by a
    /// suspended `read` is handed back only once that task runs again, maybe on this thread.
    public func readShort<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T {
        guard readers.takeIfFree() else { return try await read(body) }
        defer { readers.giveBack() }
        return try readHere(body)
    }

    /// Runs `body` on a reader on the calling thread.
    private func readHere<T>(_ body: (StoreReader) throws -> T) throws -> T {
        let shared = self.shared
        do {
            return try pool.read { db in try body(StoreReader(db: db, shared: shared)) }
        } catch {
            throw firestoreError(fromStorage: error)
        }
    }

    /// A read time whose snapshot is settled: no commit at or before it is still in progress.
    public func snapshotTime() -> Int64 { shared.clock.snapshotTime(now: Timestamps.nowMicros()) }

    /// Runs `body` in a write transaction: all of it commits, or none of it. `committed` runs
    /// once the transaction has committed, on the writer, in commit order.
    ///
    /// Writes that arrive while others run are group-committed: the next SQLite transaction runs
    /// each waiting body in its own savepoint, one after another (each sees the ones before it and
    /// takes its own commit times), then commits once. A body that throws undoes only its own
    /// changes.
    public func write<T: Sendable>(
        _ body: @escaping @Sendable (StoreWriter) throws -> T, committed: (@Sendable (T) -> Void)? = nil
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = WriteOutcome<T>()
            let job = WriteJob(
                loop: MultiThreadedEventLoopGroup.currentEventLoop,
                run: { writer in
                    do {
                        outcome.result = .success(try writer.savepoint { try body(writer) })
                    } catch {
                        outcome.result = .failure(error)
                    }
                },
                committed: {
                    if case .success(let value)? = outcome.result { committed?(value) }
                },
                resume: { transactionError in
                    switch (transactionError, outcome.result) {
                    case (let error?, _): continuation.resume(throwing: error)
                    case (nil, .success(let value)?): continuation.resume(returning: value)
                    case (nil, .failure(let error)?): continuation.resume(throwing: firestoreError(fromStorage: error))
                    case (nil, nil): continuation.resume(throwing: FirestoreError(.internal, "A write was not run."))
                    }
                })
            if writeQueue.enqueue(job) { writerThread.async { self.drainWrites() } }
        }
    }

    /// Runs waiting writes, many per SQLite transaction, until none is left. It runs on a thread
    /// of its own, so the serial writer never waits for a turn on the shared task executor.
    private func drainWrites() {
        let shared = self.shared
        while let batch = writeQueue.takeAll() {
            var failure: (any Error)?
            do {
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction {
                        let writer = StoreWriter(db: db, shared: shared, recent: recent)
                        for job in batch { job.run(writer) }
                        try writer.flushCounts()
                        return .commit
                    }
                    shared.clock.endCommit()
                    transactionCount.add(1, ordering: .relaxed)
                    // Still on the writer: observers and triggers learn of commits in commit order.
                    for job in batch { job.committed() }
                }
            } catch {
                // Ids and documents of a rolled-back transaction must not be remembered.
                shared.clock.endCommit()
                shared.rowIDs.reset()
                recent.clear()
                failure = firestoreError(fromStorage: error)
            }
            resume(batch, failure)
        }
    }

    /// Resumes each caller on the event loop it wrote from, with one hand-off per loop: when NIO's
    /// loops run Swift's tasks, the caller goes on answering on its connection's own thread.
    private func resume(_ batch: [WriteJob], _ failure: (any Error)?) {
        var byLoop: [(loop: any EventLoop, jobs: [WriteJob])] = []
        for job in batch {
            guard let loop = job.loop else {
                job.resume(failure)
                continue
            }
            if let i = byLoop.firstIndex(where: { $0.loop === loop }) {
                byLoop[i].jobs.append(job)
            } else {
                byLoop.append((loop, [job]))
            }
        }
        for (loop, jobs) in byLoop {
            loop.execute { for job in jobs { job.resume(failure) } }
        }
    }
}

/// One write waiting for the writer.
struct WriteJob: Sendable {
    /// The event loop the write came from, if it came from one.
    let loop: (any EventLoop)?
    /// Runs the write in its savepoint (inside the transaction), keeping its outcome.
    let run: @Sendable (StoreWriter) -> Void
    /// After the transaction committed, on the writer.
    let committed: @Sendable () -> Void
    /// Resumes the caller: with the transaction's error, or else the write's own outcome.
    let resume: @Sendable ((any Error)?) -> Void
}

/// A write's outcome, set on the writer and read after the transaction ends.
final class WriteOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// Reader connections in use or waited for, counted from before the pool is asked for one
/// until after it has it back, so never fewer than the pool itself has lent.
final class ReaderCount: Sendable {
    private let count = Atomic<Int>(0)
    let maximum: Int

    init(maximum: Int) { self.maximum = maximum }

    func take(_ n: Int = 1) { count.add(n, ordering: .relaxed) }

    func giveBack(_ n: Int = 1) { count.subtract(n, ordering: .relaxed) }

    /// Takes one if the pool has one free now (taking it will not wait).
    func takeIfFree() -> Bool {
        if count.add(1, ordering: .relaxed).oldValue < maximum { return true }
        giveBack()
        return false
    }
}

/// Writes waiting for the writer, and whether a drain is running.
final class WriteQueue: Sendable {
    private let state = Mutex<(jobs: [WriteJob], draining: Bool)>(([], false))

    /// Adds a job; true when the caller must start draining.
    func enqueue(_ job: WriteJob) -> Bool {
        state.withLock { s in
            s.jobs.append(job)
            if s.draining { return false }
            s.draining = true
            return true
        }
    }

    /// Jobs waiting for the writer.
    var waiting: Int { state.withLock { $0.jobs.count } }

    /// Every waiting job, or nil (and draining stops) when there is none.
    func takeAll() -> [WriteJob]? {
        state.withLock { s in
            if s.jobs.isEmpty {
                s.draining = false
                return nil
            }
            defer { s.jobs = [] }
            return s.jobs
        }
    }
}

