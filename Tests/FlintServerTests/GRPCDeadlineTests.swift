import FlintProto
import Foundation
import GRPCCore
import Testing

/// Deadlines without timing: a call whose deadline cannot be met is one that waits for a lock
/// the test holds, so only the deadline can end it, whatever the machine's speed.
@Suite("gRPC deadlines")
struct GRPCDeadlineTests {
    let database = "projects/dl/databases/(default)"

    func begin(_ firestore: FirestoreClient) async throws -> Data {
        try await firestore.beginTransaction(.with { $0.database = database }).transaction
    }

    func get(_ firestore: FirestoreClient, in transaction: Data, metadata: Metadata = [:]) async throws
        -> Google_Firestore_V1_Document
    {
        try await firestore.getDocument(
            .with {
                $0.name = name("dl", "c/x")
                $0.transaction = transaction
            }, metadata: metadata)
    }

    @Test func aCallPastItsDeadlineEndsWithDeadlineExceeded() async throws {
        try await TestServer.with { server in
            try await server.withFirestore { firestore in
                try await commit(firestore, "dl", putWrite("dl", "c/x", ["n": 1]))
                let holder = try await begin(firestore)
                _ = try await get(firestore, in: holder)
                // The lock is held until `holder` ends, and a lock wait gives up only after 0.5 s:
                // a 50 ms deadline is what ends this call.
                let waiter = try await begin(firestore)
                let error = await #expect(throws: RPCError.self) {
                    _ = try await get(firestore, in: waiter, metadata: ["grpc-timeout": "50m"])
                }
                #expect(error?.code == .deadlineExceeded)
            }
        }
    }
}
