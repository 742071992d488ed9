import FlintCore
import FlintProto
import FlintStore

/// The emulator-only operations: clearing a database and deleting a subtree.
extension FirestoreService {
    /// Removes every document of a database.
    public func clear(_ database: DatabaseID) async throws {
        try await store.write { try $0.clear(database) }
    }

    /// Deletes the document or collection at `path` and everything below it, in one commit.
    /// Returns how many documents were deleted.
    @discardableResult
    public func recursiveDelete(_ database: DatabaseID, _ path: ResourcePath) async throws -> Int {
        let targets = try await store.read { try $0.descendants(database, of: path) }
        if targets.isEmpty { return 0 }
        let plans = targets.map { WritePlan(delete: $0, in: database) }
        _ = try await apply(plans, atomically: true, context: CallContext(auth: .admin))
        return plans.count
    }
}
