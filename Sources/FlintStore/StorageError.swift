import FlintCore
import GRDB

/// Storage failures become FirestoreErrors at this boundary; our own errors and cancellation pass through.
func firestoreError(fromStorage error: any Error) -> any Error {
    if error is FirestoreError || error is CancellationError { return error }
    if let db = error as? DatabaseError {
        if db.resultCode == .SQLITE_FULL {
            return FirestoreError(.resourceExhausted, "The store is out of disk space: \(db.message ?? "")")
        }
        return FirestoreError(.internal, "Storage error: \(db.message ?? db.description)")
    }
    return FirestoreError(.internal, "Storage error: \(error)")
}
