import FlintCore
import GRPCCore

/// The one place a FirestoreError becomes a gRPC status.
enum GRPCStatusMapping {
    static func rpcError(_ error: any Error) -> RPCError {
        if let e = error as? RPCError { return e }
        let firestore: FirestoreError
        if let e = error as? FirestoreError {
            firestore = e
        } else if error is CancellationError {
            firestore = FirestoreError(.cancelled, "The call was cancelled.")
        } else {
            firestore = FirestoreError(.internal, "Internal error: \(error)")
        }
        let code = Status.Code(rawValue: firestore.code.rpcCode).flatMap(RPCError.Code.init) ?? .internalError
        return RPCError(code: code, message: firestore.message)
    }
}
