import FlintCore
import FlintStore

extension FirestoreService {
    /// Restores snapshot `name` of `snapshots`: the store is replaced on the writer, and before
    /// any later commit, listeners are told (each target is compared with the restored store) and
    /// `whileExclusive` runs (the trigger runtime drops the events still pending).
    @discardableResult
    public func restore(
        _ name: String, from snapshots: StoreSnapshots, whileExclusive: @escaping @Sendable () -> Void = {}
    ) async throws -> StoreSnapshots.Info {
        let observers = commitObservers
        return try await snapshots.restore(name) { time in
            whileExclusive()
            observers.publish(CommitRecord(commitTime: time, changes: [], replacedEverything: true))
        }
    }
}
