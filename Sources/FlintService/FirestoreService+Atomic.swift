import FlintCore
import FlintProto
import FlintStore
import Synchronization

/// What an atomic update reads: documents as they stand inside its write transaction.
public struct AtomicReads {
    let writer: StoreWriter
    public let database: DatabaseID
    /// Documents read, by path (nil: absent), handed to the writes so they are not read again.
    let seen = Seen()

    final class Seen {
        var documents: [ResourcePath: DocumentSnapshot?] = [:]
    }

    public func document(_ path: ResourcePath) throws -> DocumentSnapshot? {
        if let known = seen.documents[path] { return known }
        let doc = try writer.document(database, path)
        seen.documents[path] = .some(doc)
        return doc
    }

    public func exists(_ path: ResourcePath) throws -> Bool {
        try writer.reader.exists(database, path)
    }
}

extension FirestoreService {
    /// Reads and writes in one SQLite write transaction: `body` sees the current documents and
    /// returns the writes to make. Writers are serial, so nothing can change between the reads and
    /// the writes (no retries needed); keep `body` short. The writes go through the same commit
    /// path as a client's (validation, history, listeners, triggers).
    public func update<T: Sendable>(
        _ database: DatabaseID, context: CallContext,
        _ body: @escaping @Sendable (AtomicReads) throws -> (writes: [Google_Firestore_V1_Write], value: T)
    ) async throws -> (value: T, commitTime: Int64?) {
        let value = Mutex<T?>(nil)
        let outcome = try await apply(atomically: true, context: context) { writer in
            let reads = AtomicReads(writer: writer, database: database)
            let (writes, result) = try body(reads)
            value.withLock { $0 = result }
            let plans = try writes.map { (w) throws(FirestoreError) in try WritePlan(w, database: database, indexRows: false) }
            return (plans, reads.seen.documents)
        }
        return (value.withLock { $0! }, outcome.commitTimes.first)
    }
}
