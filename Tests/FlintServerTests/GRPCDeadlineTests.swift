import FlintProto
import Foundation
import GRPCCore
import Testing

@Suite("gRPC deadlines")
struct GRPCDeadlineTests {
    /// A query that reads every one of `count` documents as of a past read time (no index helps).
    func slowQuery(_ readTime: Int64) -> Google_Firestore_V1_RunQueryRequest {
        .with {
            $0.parent = "projects/dl/databases/(default)/documents"
            $0.structuredQuery = query("c")
            $0.readTime = .init(micros: readTime)
        }
    }

    @Test func aQueryPastItsDeadlineEndsWithDeadlineExceededAndStopsEarly() async throws {
        try await TestServer.with { server in
            try await server.withFirestore { firestore in
                var time: Int64 = 0
                for batch in 0..<10 {
                    var writes: [Google_Firestore_V1_Write] = []
                    for i in 0..<500 {
                        var write = putWrite("dl", "c/d\(batch)-\(i)", ["n": Int64(i)])
                        write.update.fields["s"] = .with { $0.stringValue = String(repeating: "x", count: 200) }
                        writes.append(write)
                    }
                    time = try await firestore.commit(.with {
                        $0.database = "projects/dl/databases/(default)"
                        $0.writes = writes
                    }).commitTime.micros
                }
                let started = ContinuousClock.now
                let all = try await firestore.runQuery(slowQuery(time)) { try await $0.messages.reduce(0) { n, _ in n + 1 } }
                let full = ContinuousClock.now - started
                #expect(all == 5000)

                // The deadline travels as grpc-timeout only; the status comes from the server.
                let budget = full / 10
                let timed = ContinuousClock.now
                let error = await #expect(throws: RPCError.self) {
                    try await firestore.runQuery(
                        slowQuery(time), metadata: ["grpc-timeout": "\(budget.components.attoseconds / 1_000_000_000_000 + budget.components.seconds * 1_000_000)u"]
                    ) { try await $0.messages.reduce(0) { n, _ in n + 1 } }
                }
                #expect(error?.code == .deadlineExceeded)
                #expect(ContinuousClock.now - timed < full / 2)
            }
        }
    }
}
