import FlintCore
import FlintProto
import FlintService
import FlintTesting
import Testing

@Suite("FirestoreService.batchWrite")
struct BatchWriteTests {
    func batchWrite(_ service: FirestoreService, _ writes: [Google_Firestore_V1_Write], context: CallContext = admin)
        async throws -> Google_Firestore_V1_BatchWriteResponse
    {
        try await service.batchWrite(.with { $0.database = testDB.resourceName; $0.writes = writes }, context: context)
    }

    @Test func eachWriteSucceedsOrFailsOnItsOwn() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/taken", [:]))
            let response = try await batchWrite(
                service, [update("c/a", ["n": .integer(1)]), update("c/taken", [:]).exists(false), update("c/b", ["n": .integer(2)])])
            #expect(response.status.map(\.code) == [0, 6, 0])
            #expect(response.status[1].message == "Document already exists: \(docName("c/taken"))")
            #expect(try await fetch(service, "c/a")?.fields == ["n": .integer(1)])
            #expect(try await fetch(service, "c/b")?.fields == ["n": .integer(2)])
        }
    }

    @Test func failedWriteHasAnEmptyResult() async throws {
        try await withService { service, _ in
            let response = try await batchWrite(service, [update("c/a", [:]).exists(true)])
            #expect(response.status.map(\.code) == [5])
            #expect(response.writeResults.count == 1)
            #expect(!response.writeResults[0].hasUpdateTime)
            #expect(try await fetch(service, "c/a") == nil)
        }
    }

    @Test func eachWriteGetsItsOwnIncreasingUpdateTime() async throws {
        try await withService { service, _ in
            let response = try await batchWrite(service, (0..<5).map { update("c/d\($0)", [:]) })
            let times = response.writeResults.map(\.updateTime.micros)
            #expect(times.count == 5)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
            #expect(try await fetch(service, "c/d4")?.updateTime.micros == times[4])
        }
    }

    @Test func failedPreconditionFailsOnlyItsOwnWrite() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/b", ["v": .integer(0)]))
            let first = update("c/a", ["v": .integer(1)])
            let stale = update("c/b", ["v": .integer(2)]).lastUpdated(.init(seconds: 1, nanos: 0))
            let response = try await batchWrite(service, [first, stale])
            #expect(response.status.map(\.code) == [0, 9])
            #expect(try await fetch(service, "c/a")?.fields == ["v": .integer(1)])
            #expect(try await fetch(service, "c/b")?.fields == ["v": .integer(0)])
        }
    }

    @Test func batchWriteRequiresAdmin() async throws {
        try await withService { service, _ throws in
            let error = await expectFirestoreError(.permissionDenied) {
                _ = try await batchWrite(service, [update("c/a", [:])], context: CallContext(auth: .unauthenticated))
            }
            #expect(error?.message == "Batch writes require admin authentication.")
            #expect(try await fetch(service, "c/a") == nil)
        }
    }

    @Test func commitAfterABatchWriteGetsALaterTime() async throws {
        try await withService { service, _ in
            let batch = try await batchWrite(service, [update("c/a", [:]), update("c/b", [:])])
            let response = try await commit(service, update("c/c", [:]))
            #expect(response.commitTime.micros > batch.writeResults[1].updateTime.micros)
        }
    }
}
