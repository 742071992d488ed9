import FlintCore

extension FirestoreService {
    /// Every database that holds documents (any project), with the documents of its top-level
    /// collections: what a data browser lists first.
    public func databasesHoldingDocuments() async throws -> [(database: DatabaseID, topLevelDocuments: Int)] {
        try await store.read { try $0.databasesHoldingDocuments() }
    }
}
