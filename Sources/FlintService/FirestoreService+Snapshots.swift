import FlintCore

/// Reads for Flint's own in-process clients (trigger handlers, the engine): documents as
/// snapshots, without the API's message round trip.
extension FirestoreService {
    /// The document at `path` as it stands now, nil when absent.
    public func document(_ database: DatabaseID, _ path: ResourcePath) async throws -> DocumentSnapshot? {
        try await store.read { try $0.document(database, path) }
    }

    /// Whether a document exists at `path`, without reading it.
    public func documentExists(_ database: DatabaseID, _ path: ResourcePath) async throws -> Bool {
        try await store.read { try $0.exists(database, path) }
    }

    /// The databases whose `collection` holds documents: those a `--data` store brought back from
    /// an earlier run included.
    public func databases(holding collection: ResourcePath) async throws -> [DatabaseID] {
        try await store.read { try $0.databases(holding: collection) }
    }

    /// Up to `limit` documents of `collection`, in id order, after the id `afterID` when given.
    public func documents(
        _ database: DatabaseID, in collection: ResourcePath, afterID: String? = nil, limit: Int
    ) async throws -> [DocumentSnapshot] {
        try await store.read { try $0.documents(database, in: collection, afterID: afterID, limit: limit) }
    }
}
