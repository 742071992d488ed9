import FlintCore
import FlintProto
import FlintStore
import Synchronization

/// What an atomic update reads: documents as they stand inside its write transaction (or, for a
/// draft computed ahead of it, at a recent snapshot; see `FirestoreService.update`).
public struct AtomicReads {
    enum Source {
        case writer(StoreWriter)
        case snapshot(StoreReader)
    }
    let source: Source
    public let database: DatabaseID
    /// Documents read, by path (nil: absent), handed to the writes so they are not read again.
    let seen = Seen()

    final class Seen {
        var documents: [ResourcePath: DocumentSnapshot?] = [:]
        /// Answers of `exists` for documents not read whole.
        var existence: [ResourcePath: Bool] = [:]
    }

    init(writer: StoreWriter, database: DatabaseID) {
        source = .writer(writer)
        self.database = database
    }

    init(snapshot: StoreReader, database: DatabaseID) {
        source = .snapshot(snapshot)
        self.database = database
    }

    public func document(_ path: ResourcePath) throws -> DocumentSnapshot? {
        if let known = seen.documents[path] { return known }
        let doc: DocumentSnapshot?
        switch source {
        case .writer(let writer): doc = try writer.document(database, path)
        case .snapshot(let reader): doc = try reader.document(database, path)
        }
        seen.documents[path] = .some(doc)
        return doc
    }

    public func exists(_ path: ResourcePath) throws -> Bool {
        if let known = seen.documents[path] { return known != nil }
        if let known = seen.existence[path] { return known }
        let found: Bool
        switch source {
        case .writer(let writer): found = try writer.reader.exists(database, path)
        case .snapshot(let reader): found = try reader.exists(database, path)
        }
        seen.existence[path] = found
        return found
    }
}

/// An update's body run ahead of the writer, on a snapshot: its writes (already parsed) and value,
/// and what it read. The writer uses it only if every document read still stands as it was read.
struct UpdateDraft<T: Sendable>: Sendable {
    var plans: [WritePlan]
    var value: T
    /// Documents read whole, with their update time (nil: absent).
    var documents: [ResourcePath: Int64?]
    /// Documents asked about with `exists` only.
    var existence: [ResourcePath: Bool]

    /// The documents read, as they stand in the writer's transaction, when none changed since the
    /// draft read them; nil when one did (the body must run again on the writer).
    func current(in writer: StoreWriter, _ database: DatabaseID) throws -> [ResourcePath: DocumentSnapshot?]? {
        var known: [ResourcePath: DocumentSnapshot?] = [:]
        for (path, updateTime) in documents {
            let doc = try writer.document(database, path)
            guard doc?.updateTime == updateTime else { return nil }
            known[path] = .some(doc)
        }
        for (path, found) in existence {
            guard try writer.reader.exists(database, path) == found else { return nil }
        }
        return known
    }
}

extension FirestoreService {
    /// Reads and writes in one SQLite write transaction: `body` sees the current documents and
    /// returns the writes to make. Writers are serial, so nothing can change between the reads and
    /// the writes (no retries needed). The writes go through the same commit path as a client's
    /// (validation, history, listeners, triggers).
    ///
    /// `body` must depend only on what it reads (it may run twice): it is first run on a recent
    /// snapshot, off the serial writer, and the writer then only checks that every document it read
    /// still has the update time it had (or is still absent). If one changed in between, or the
    /// draft failed, `body` runs again inside the transaction, as if there had been no draft.
    public func update<T: Sendable>(
        _ database: DatabaseID, context: CallContext,
        _ body: @escaping @Sendable (AtomicReads) throws -> (writes: [Google_Firestore_V1_Write], value: T)
    ) async throws -> (value: T, commitTime: Int64?) {
        let requestTime = Self.requestTime()
        let draft = await self.draft(database, requestTime: requestTime, body)
        let value = Mutex<T?>(nil)
        let outcome = try await apply(atomically: true, context: context, requestTime: requestTime) { writer in
            if let draft, let known = try draft.current(in: writer, database) {
                value.withLock { $0 = draft.value }
                return (draft.plans, known)
            }
            let reads = AtomicReads(writer: writer, database: database)
            let (writes, result) = try body(reads)
            value.withLock { $0 = result }
            let plans = try writes.map { (w) throws(FirestoreError) in try WritePlan(w, database: database, indexRows: false) }
            return (plans, reads.seen.documents)
        }
        return (value.withLock { $0! }, outcome.commitTimes.first)
    }

    /// `body` run on the latest snapshot, its writes parsed (and merges into documents it read
    /// applied); nil when it or its writes failed there (the writer then runs it and reports what fails).
    func draft<T: Sendable>(
        _ database: DatabaseID, requestTime: ProtoTimestamp,
        _ body: @escaping @Sendable (AtomicReads) throws -> (writes: [Google_Firestore_V1_Write], value: T)
    ) async -> UpdateDraft<T>? {
        try? await store.read { reader in
            let reads = AtomicReads(snapshot: reader, database: database)
            let (writes, value) = try body(reads)
            var plans = try writes.map { (w) throws(FirestoreError) in try WritePlan(w, database: database) }
            // Only a document's first write applies to the version read (later ones to what it made).
            var touched = Set<ResourcePath>()
            for i in plans.indices where touched.insert(plans[i].path).inserted {
                if let base = reads.seen.documents[plans[i].path] { plans[i].applyAhead(to: base, requestTime: requestTime) }
            }
            return UpdateDraft(
                plans: plans, value: value, documents: reads.seen.documents.mapValues { $0?.updateTime },
                existence: reads.seen.existence)
        }
    }
}
