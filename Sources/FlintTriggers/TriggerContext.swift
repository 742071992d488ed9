import FlintCore
import FlintProto
import FlintService
import Synchronization

/// What an in-process handler reads and writes through: the same service clients use, so its
/// writes are validated, seen by listeners and fire further triggers (one cascade level deeper).
public struct TriggerContext: Sendable {
    public let service: FirestoreService
    public let database: DatabaseID
    /// The context of the handler's writes: admin, one trigger level deeper than its event.
    public let callContext: CallContext
    let written: WriteLog

    /// Document names written, in order (shown in the run history).
    final class WriteLog: Sendable {
        let names = Mutex<[String]>([])
        func add(_ writes: [Google_Firestore_V1_Write]) {
            names.withLock { names in
                for w in writes {
                    switch w.operation {
                    case .update(let doc): names.append(doc.name)
                    case .delete(let name): names.append(name)
                    case .transform(let t): names.append(t.document)
                    case nil: break
                    }
                }
            }
        }
    }

    /// The document at `path` as it stands now.
    public func document(_ path: ResourcePath) async throws -> DocumentSnapshot? {
        try await service.document(database, path)
    }

    /// Commits `writes` atomically.
    public func commit(_ writes: [Google_Firestore_V1_Write]) async throws {
        var request = Google_Firestore_V1_CommitRequest()
        request.database = database.resourceName
        request.writes = writes
        _ = try await service.commit(request, context: callContext)
        written.add(writes)
    }

    /// Reads and writes atomically: `body` sees documents as they stand in the write transaction
    /// and returns the writes to make (see `FirestoreService.update`).
    @discardableResult
    public func update<T: Sendable>(
        _ body: @escaping @Sendable (AtomicReads) throws -> (writes: [Google_Firestore_V1_Write], value: T)
    ) async throws -> T {
        let log = written
        let result = try await service.update(database, context: callContext) { reads in
            let (writes, value) = try body(reads)
            log.add(writes)
            return (writes, value)
        }
        return result.value
    }

    /// The full resource name of a document of this context's database.
    public func name(_ path: ResourcePath) -> String { database.name(of: path) }
}

extension Google_Firestore_V1_Write {
    /// Replaces (or with `merge`, updates only those field paths of) the document `name`;
    /// `serverTimestamps` are set to the commit's request time.
    public static func set(
        _ name: String, _ fields: Fields, merge: [FieldPath]? = nil, serverTimestamps: [FieldPath] = [],
        exists: Bool? = nil
    ) -> Self {
        var w = Self()
        var doc = Google_Firestore_V1_Document()
        doc.name = name
        doc.fields = fields
        w.update = doc
        if let merge { w.updateMask.fieldPaths = merge.map(\.description) }
        if let exists { w.currentDocument.exists = exists }
        w.updateTransforms = serverTimestamps.map { path in
            var t = Google_Firestore_V1_DocumentTransform.FieldTransform()
            t.fieldPath = path.description
            t.setToServerValue = .requestTime
            return t
        }
        return w
    }

    /// Deletes the document `name`.
    public static func delete(_ name: String) -> Self {
        var w = Self()
        w.delete = name
        return w
    }
}
