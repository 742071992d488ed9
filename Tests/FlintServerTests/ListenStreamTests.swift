import FlintCore
import FlintProto
@testable import FlintService
import FlintStore
import Foundation
import Synchronization
import Testing

/// Listen streams inside the service, where a test can play a client that never reads.
@Suite("Listen streams", .timeLimit(.minutes(1)))
struct ListenStreamTests {
    let database = "projects/s/databases/(default)"

    func withHub<T>(bufferLimit: Int, _ body: (FirestoreService, ListenHub) async throws -> T) async throws -> T {
        let store = try DocumentStore(path: nil)
        defer { store.close() }
        let service = FirestoreService(store: store)
        return try await body(service, ListenHub(service: service, bufferLimit: bufferLimit))
    }

    func addQuery(_ collection: String) -> ListenRequest {
        .with {
            $0.database = database
            $0.addTarget.targetID = 1
            $0.addTarget.query.parent = database + "/documents"
            $0.addTarget.query.structuredQuery.from = [.with { $0.collectionID = collection }]
        }
    }

    func write(_ service: FirestoreService, _ path: String, _ n: Int64) async throws {
        _ = try await service.commit(
            .with {
                $0.database = database
                $0.writes = [putWrite("s", path, ["n": n])]
            }, context: CallContext(auth: .unauthenticated))
    }

    @Test func aListenerThatStopsReadingIsClosedWithResourceExhaustedAndNeverBlocksWriters() async throws {
        try await withHub(bufferLimit: 20) { service, hub in
            let stream = hub.open(context: CallContext(auth: .unauthenticated))
            let (requests, client) = AsyncStream.makeStream(of: ListenRequest.self)
            client.yield(addQuery("c"))
            let sent = Mutex(0)
            let listening = Task {
                try await stream.run(requests) { responses in
                    // The client reads the first snapshot, then nothing more.
                    if sent.withLock({ $0 += responses.count; return $0 }) > responses.count {
                        try await Task.sleep(for: .seconds(3600))
                    }
                }
            }
            while sent.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let started = ContinuousClock.now
            for i in 0..<60 { try await write(service, "c/d\(i)", Int64(i)) }
            #expect(ContinuousClock.now - started < .seconds(5))
            let error = await #expect(throws: FirestoreError.self) { try await listening.value }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.message.contains("fell behind") == true)
            #expect(hub.openStreams == 0)
            client.finish()
        }
    }

    @Test func writesOutsideEveryTargetDoNotCountAgainstTheBuffer() async throws {
        try await withHub(bufferLimit: 5) { service, hub in
            let stream = hub.open(context: CallContext(auth: .unauthenticated))
            let (requests, client) = AsyncStream.makeStream(of: ListenRequest.self)
            client.yield(addQuery("watched"))
            let received = Mutex<[ListenResponse]>([])
            let listening = Task {
                try await stream.run(requests) { responses in received.withLock { $0 += responses } }
            }
            while received.withLock({ $0.count }) < 3 { try await Task.sleep(for: .milliseconds(5)) }
            for i in 0..<50 { try await write(service, "elsewhere/d\(i)", Int64(i)) }
            try await write(service, "watched/x", 1)
            while received.withLock({ $0.count }) < 5 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(received.withLock { $0[3].documentChange.document.name } == database + "/documents/watched/x")
            client.finish()
            try await listening.value
            #expect(hub.openStreams == 0)
        }
    }

    @Test func cancellingAStreamEndsItAndFreesItsObserver() async throws {
        try await withHub(bufferLimit: 100) { service, hub in
            let stream = hub.open(context: CallContext(auth: .unauthenticated))
            let (requests, client) = AsyncStream.makeStream(of: ListenRequest.self)
            client.yield(addQuery("c"))
            let listening = Task { try await stream.run(requests) { _ in } }
            #expect(hub.openStreams == 1)
            stream.cancel(FirestoreError(.cancelled, "The call was cancelled."))
            let error = await #expect(throws: FirestoreError.self) { try await listening.value }
            #expect(error?.code == .cancelled)
            #expect(hub.openStreams == 0)
            try await write(service, "c/after", 1)
            client.finish()
        }
    }

    @Test func aChangePublishedAfterANewerOneOfTheSameDocumentIsDropped() async throws {
        try await withHub(bufferLimit: 100) { service, _ in
            var state = ListenState(service: service, inbox: ListenInbox(limit: 100), defaultDatabase: nil)
            _ = try await state.handle(.request(addQuery("c")))
            let db = DatabaseID(project: "s")
            let path = ResourcePath(["c", "x"])
            let created = DocumentSnapshot(path: path, fields: [:], createTime: 10, updateTime: 10)
            let deleted = CommitRecord(
                commitTime: .max - 1, changes: [DocumentChange(database: db, path: path, before: created, after: nil)])
            let stale = CommitRecord(
                commitTime: .max - 2, changes: [DocumentChange(database: db, path: path, before: nil, after: created)])
            #expect(try await state.handle(.commit(deleted)).isEmpty)
            #expect(try await state.handle(.commit(stale)).isEmpty)
        }
    }
}
