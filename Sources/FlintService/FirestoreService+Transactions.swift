import FlintCore
import FlintProto
import FlintStore
import Foundation

/// How one read request sees the store.
enum ReadView: Sendable {
    /// The latest committed state.
    case latest
    /// The state at a past time (readTime reads and read-only transactions).
    case at(Int64)
    /// The latest state, remembered by a read-write transaction for validation at commit.
    case readWrite(Data)
}

extension FirestoreService {
    static let contention = FirestoreError(.aborted, "Too much contention on these documents. Please try again.")
    static let readOnlyWrite = FirestoreError.invalidArgument("Cannot modify entities in a read-only transaction.")
    /// How far back reads in the past may reach.
    static let historyWindow: Int64 = 3_600_000_000

    public func beginTransaction(_ request: Google_Firestore_V1_BeginTransactionRequest, context: CallContext)
        async throws -> Google_Firestore_V1_BeginTransactionResponse
    {
        let database = try ResourceName.database(request.database)
        let id = try await begin(request.hasOptions ? request.options : nil, database: database)
        return .with { $0.transaction = id }
    }

    /// Opens a transaction; a read-only one fixes its snapshot time now.
    func begin(_ options: Google_Firestore_V1_TransactionOptions?, database: DatabaseID) async throws -> Data {
        transactions.sweep()
        switch options?.mode {
        case .readOnly(let ro)?:
            let time: Int64
            if case .readTime(let t)? = ro.consistencySelector { time = try checkReadTime(t) } else { time = try await snapshotTime() }
            return transactions.begin(database, readOnly: true, readTime: time)
        case .readWrite(let rw)?:
            if !rw.retryTransaction.isEmpty {
                // A retry names the transaction it replaces, open or already closed by its failure.
                guard transactions.finish(rw.retryTransaction) != nil || transactions.wasClosed(rw.retryTransaction) else {
                    throw TransactionRegistry.invalid
                }
            }
            return transactions.begin(database, readOnly: false, readTime: nil)
        case nil:
            return transactions.begin(database, readOnly: false, readTime: nil)
        }
    }

    public func rollback(_ request: Google_Firestore_V1_RollbackRequest, context: CallContext) async throws {
        let database = try ResourceName.database(request.database)
        if transactions.finish(request.transaction) == nil && !transactions.wasClosed(request.transaction) {
            throw TransactionRegistry.invalid
        }
        _ = database
    }

    /// Now, but never before the last commit, so a new snapshot sees every acknowledged write.
    func snapshotTime() async throws -> Int64 {
        store.snapshotTime()
    }

    /// A readTime must lie within the last hour (reads in the past reach back that far).
    func checkReadTime(_ time: ProtoTimestamp) throws(FirestoreError) -> Int64 {
        let micros = time.micros
        if micros < Timestamps.nowMicros() - Self.historyWindow {
            throw .failedPrecondition("The requested 'read_time' is too old.")
        }
        return micros
    }

    /// Resolves a request's consistency selector; `newTransaction` opens one and returns its id.
    func readView(_ request: some SelectsConsistency, database: DatabaseID) async throws -> (ReadView, Data?) {
        let selection = request.selection
        let (transaction, newTransaction, readTime) = (selection.transaction, selection.newTransaction, selection.readTime)
        if let transaction {
            let entry = try transactions.use(transaction, in: database)
            return (entry.readOnly ? .at(entry.readTime!) : .readWrite(transaction), nil)
        }
        if let newTransaction {
            let id = try await begin(newTransaction, database: database)
            let entry = try transactions.use(id, in: database)
            return (entry.readOnly ? .at(entry.readTime!) : .readWrite(id), id)
        }
        if let readTime { return (.at(try checkReadTime(readTime)), nil) }
        return (.latest, nil)
    }

    /// A read-write transaction locks the documents it is about to read (see `DocumentLocks`).
    /// A lock it cannot get (a deadlock, or a wait past the limit) does not fail the read: the
    /// transaction reads without it and its commit's validation decides, because clients retry
    /// a failed commit but not a failed read.
    func lock(_ paths: [ResourcePath], in database: DatabaseID, view: ReadView) async {
        guard case .readWrite(let id) = view, !paths.isEmpty else { return }
        for key in Set(paths.map { DocumentLocks.key(database, $0) }).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            do {
                try await transactions.locks.acquire(id, key)
            } catch {
                logger.debug("Transaction reads without a lock after contention", metadata: ["document": "\(String(decoding: key, as: UTF8.self))"])
            }
        }
    }

    /// Reads one document through a view, remembering it for a read-write transaction.
    func document(_ database: DatabaseID, _ path: ResourcePath, view: ReadView, reader: StoreReader) throws
        -> DocumentSnapshot?
    {
        switch view {
        case .latest:
            return try reader.document(database, path)
        case .at(let time):
            return try reader.document(database, path, at: time)
        case .readWrite(let id):
            let doc = try reader.document(database, path)
            transactions.record(id, reads: [(path, doc?.updateTime)])
            return doc
        }
    }

    /// Runs a query through a view, remembering its result for a read-write transaction.
    func execute(_ plan: QueryPlan, _ database: DatabaseID, _ parent: ResourcePath, view: ReadView, reader: StoreReader,
                 stats: inout QueryStats) throws -> [DocumentSnapshot] {
        switch view {
        case .latest:
            return try reader.execute(plan, database: database, parent: parent, stats: &stats)
        case .at(let time):
            return try reader.execute(plan, database: database, parent: parent, at: time, stats: &stats)
        case .readWrite(let id):
            let docs = try reader.execute(plan, database: database, parent: parent, stats: &stats)
            transactions.record(
                id,
                query: .init(
                    parent: parent, plan: plan,
                    result: docs.map { .init(path: $0.path, updateTime: $0.updateTime) }))
            return docs
        }
    }

    /// Inside the commit's write transaction: everything a read-write transaction read is still
    /// as it saw it, or the commit is ABORTED.
    static func validate(_ entry: TransactionRegistry.Entry, writer: StoreWriter) throws {
        for (path, seen) in entry.reads where try writer.document(entry.database, path)?.updateTime != seen {
            throw contention
        }
        for query in entry.queries {
            var stats = QueryStats()
            let now = try writer.reader.execute(query.plan, database: entry.database, parent: query.parent, stats: &stats)
            if now.map({ TransactionRegistry.VersionSeen(path: $0.path, updateTime: $0.updateTime) }) != query.result {
                throw contention
            }
        }
    }
}
