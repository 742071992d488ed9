import FlintCore
import FlintProto
import FlintService
import FlintStore
@testable import FlintTriggers
import Foundation
import Synchronization
import Testing

@Suite("Trigger replay")
struct TriggerReplayTests {
    @Test func runsAreNumberedAndKeepTheEventTheyDelivered() async throws {
        try await withRuntime { service, runtime in
            try runtime.onDocumentWritten("orders/{id}") { _, _ in }
            try await write(service, set("orders/o1", ["a": .integer(1)]))
            try await write(service, set("orders/o1", ["a": .integer(2)]))
            try await runtime.settle()
            let runs = runtime.runs(limit: 10)
            #expect(runs.map(\.id) == [2, 1])
            let (run, event) = try #require(runtime.run(2))
            #expect(run.kind == .updated && run.replayOf == nil)
            #expect(event?.before?.fields["a"] == .integer(1) && event?.after?.fields["a"] == .integer(2))
            #expect(runtime.run(3) == nil && runtime.run(0) == nil)
        }
    }

    @Test func replayDeliversTheSameEventToTheHandlerAsRegisteredNow() async throws {
        try await withRuntime { service, runtime in
            let fixed = Atomic<Bool>(false)
            let seen = Seen()
            try runtime.onDocumentCreated("orders/{id}", key: "onOrder") { e, context in
                seen.add(e)
                guard fixed.load(ordering: .relaxed) else { throw FirestoreError(.internal, "handler bug") }
                try await context.commit([.set(context.database.name(of: ResourcePath(["audit", e.params["id"]!])), ["ok": .boolean(true)])])
            }
            try await write(service, set("orders/o1", ["total": .integer(5)]))
            try await runtime.settle()
            let failed = try #require(runtime.runs(limit: 1).first)
            #expect(failed.status == .failed && failed.error?.contains("handler bug") == true)

            fixed.store(true, ordering: .relaxed)
            let replayed = try await runtime.replay(run: failed.id)
            #expect(replayed.status == .succeeded && replayed.replayOf == failed.id && replayed.id == failed.id + 1)
            #expect(replayed.eventID == failed.eventID && replayed.attempts == 1)
            #expect(replayed.writes == [db.name(of: ResourcePath(["audit", "o1"]))])
            #expect(seen.all.count == 2 && seen.all[1].id == seen.all[0].id && seen.all[1].after?.fields["total"] == .integer(5))
            #expect(try await service.document(db, ResourcePath(["audit", "o1"]))?.fields["ok"] == .boolean(true))
            #expect(runtime.runs(limit: 1).first?.replayOf == failed.id)
        }
    }

    @Test func aReplayThatFailsAgainIsRecordedAsFailed() async throws {
        try await withRuntime { service, runtime in
            try runtime.onDocumentCreated("orders/{id}") { _, _ in throw FirestoreError(.internal, "still broken") }
            try await write(service, set("orders/o1", ["a": .integer(1)]))
            try await runtime.settle()
            let replayed = try await runtime.replay(run: 1)
            #expect(replayed.status == .failed && replayed.error?.contains("still broken") == true && replayed.replayOf == 1)
        }
    }

    @Test func replayRefusesUnknownRunsUnregisteredTriggersAndRunsWithoutAnEvent() async throws {
        var options = TriggerRuntime.Options()
        options.maxDepth = 1
        try await withRuntime(options) { service, runtime in
            await #expect(throws: FirestoreError.self) { try await runtime.replay(run: 99) }
            try runtime.onDocumentCreated("orders/{id}", key: "k") { _, _ in }
            // A write one level deep fires nothing: its run records no event.
            try await write(service, set("orders/deep", ["a": .integer(1)]), depth: 1)
            try await write(service, set("orders/o1", ["a": .integer(1)]))
            try await runtime.settle()
            let stopped = try #require(runtime.runs(limit: 10).first { $0.status == .stopped })
            let error = await #expect(throws: FirestoreError.self) { try await runtime.replay(run: stopped.id) }
            #expect(error?.code == .failedPrecondition)
            let delivered = try #require(runtime.runs(limit: 10).first { $0.status == .succeeded })
            runtime.unregister("k")
            let gone = await #expect(throws: FirestoreError.self) { try await runtime.replay(run: delivered.id) }
            #expect(gone?.code == .failedPrecondition && gone?.message.contains("no longer registered") == true)
        }
    }

    @Test func theHistoryFindsRunsByIdAfterItWrapsAround() {
        let history = RunHistory(capacity: 3)
        for i in 1...7 {
            history.add(
                TriggerRun(
                    trigger: "t\(i)", eventID: "e\(i)", kind: .created, document: "d", status: .succeeded, attempts: 1,
                    started: 0, duration: 0, error: nil, writes: [], depth: 0))
        }
        #expect(history.recorded(4) == nil && history.recorded(8) == nil)
        #expect([5, 6, 7].map { history.recorded(Int64($0))?.run.trigger } == ["t5", "t6", "t7"])
        #expect(history.recent(limit: 5).map(\.id) == [7, 6, 5])
    }
}
