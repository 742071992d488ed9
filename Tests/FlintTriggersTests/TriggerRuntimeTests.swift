import FlintCore
import FlintProto
import FlintService
import FlintStore
@testable import FlintTriggers
import FlintTesting
import Foundation
import Synchronization
import Testing

/// Everything handlers saw, in delivery order.
final class Seen: Sendable {
    let events = Mutex<[TriggerEvent]>([])
    func add(_ e: TriggerEvent) { events.withLock { $0.append(e) } }
    var all: [TriggerEvent] { events.withLock { $0 } }
}

let db = DatabaseID(project: "p")

func name(_ p: String) -> String { db.name(of: ResourcePath(p.split(separator: "/").map(String.init))) }

func write(_ service: FirestoreService, _ writes: Google_Firestore_V1_Write..., depth: Int = 0) async throws {
    var request = Google_Firestore_V1_CommitRequest()
    request.database = db.resourceName
    request.writes = writes
    _ = try await service.commit(request, context: CallContext(auth: .admin, triggerDepth: depth))
}

func set(_ p: String, _ fields: Fields) -> Google_Firestore_V1_Write { .set(name(p), fields) }

/// A service over a fresh store with a runtime started on it and its dispatcher running (an
/// outbox table for a durable store, as the application makes it).
func withRuntime(
    _ options: TriggerRuntime.Options = .init(), path: String? = nil,
    _ body: (FirestoreService, TriggerRuntime) async throws -> Void
) async throws {
    try await withRuntime(options, path: path) { service, runtime, _ in try await body(service, runtime) }
}

func withRuntime(
    _ options: TriggerRuntime.Options = .init(), path: String? = nil,
    _ body: (FirestoreService, TriggerRuntime, DocumentStore) async throws -> Void
) async throws {
    let store = try DocumentStore(path: path)
    defer { store.close() }
    let service = FirestoreService(store: store)
    let outbox: any TriggerOutbox = path == nil ? InMemoryTriggerOutbox() : SQLiteTriggerOutbox(store: store)
    let runtime = TriggerRuntime(service: service, outbox: outbox, options: options)
    try await runtime.start()
    try await withRunningServices([runtime.dispatcher]) { try await body(service, runtime, store) }
}

extension TriggerRuntime {
    /// Waits until every run is done. Generous: under a parallel test run on a loaded machine the
    /// runs can take seconds, and a test only waits as long as they do.
    func settle() async throws { try await waitUntilIdle(timeout: .seconds(30)) }
}

@Suite("Trigger runtime")
struct TriggerRuntimeTests {
    @Test func createdUpdatedDeletedCarryParamsSnapshotsMaskAndCommitTime() async throws {
        try await withRuntime { service, runtime in
            let seen = Seen()
            try runtime.onDocumentWritten("orders/{orderId}") { e, _ in seen.add(e) }
            try await write(service, set("orders/o1", ["a": .integer(1), "m": .map(["x": .integer(1), "y": .integer(2)])]))
            try await write(service, set("orders/o1", ["a": .integer(1), "m": .map(["x": .integer(1), "y": .integer(3)])]))
            try await write(service, set("orders/o1", ["a": .integer(1), "m": .map(["x": .integer(1), "y": .integer(3)])]))
            try await write(service, set("orders/o1/items/i1", ["q": .integer(1)]))
            try await write(service, .delete(name("orders/o1")))
            try await runtime.settle()
            let events = seen.all
            #expect(events.map(\.kind) == [.created, .updated, .deleted])
            #expect(events.allSatisfy { $0.params == ["orderId": "o1"] })
            #expect(events[0].before == nil && events[0].after?.fields["a"] == .integer(1))
            #expect(events[1].updateMask == [FieldPath(["m", "y"])])
            #expect(events[1].before?.updateTime == events[0].after?.updateTime)
            #expect(events[1].time == events[1].after?.updateTime)
            #expect(events[2].after == nil && events[2].before?.fields["m"] != nil)
            #expect(Set(events.map(\.id)).count == 3)
        }
    }

    @Test func aFailedCommitFiresNothing() async throws {
        try await withRuntime { service, runtime in
            let seen = Seen()
            try runtime.onDocumentCreated("orders/{id}") { e, _ in seen.add(e) }
            try await write(service, set("orders/o1", [:]))
            var create = set("orders/o1", ["a": .integer(1)])
            create.currentDocument.exists = false
            await #expect(throws: FirestoreError.self) { try await write(service, set("orders/o2", [:]), create) }
            try await runtime.settle()
            #expect(seen.all.map(\.path.description) == ["orders/o1"])
        }
    }

    @Test func retriesWithBackoffUntilTheHandlerSucceeds() async throws {
        var options = TriggerRuntime.Options()
        options.retryBase = .milliseconds(5)
        options.retryCap = .milliseconds(20)
        try await withRuntime(options) { service, runtime in
            let calls = Mutex(0)
            try runtime.register(
                Trigger(
                    key: "flaky", eventType: "google.cloud.firestore.document.v1.created", document: "c/{id}",
                    target: .inProcess({ e, _ in
                        let n = calls.withLock { $0 += 1; return $0 }
                        #expect(e.attempt == n)
                        if n < 3 { throw FirestoreError(.unavailable, "not yet") }
                    }), retry: true))
            try await write(service, set("c/d", [:]))
            try await runtime.settle()
            #expect(calls.withLock { $0 } == 3)
            let runs = runtime.runs(limit: 10).reversed().map(\.status)
            #expect(Array(runs) == [.retrying, .retrying, .succeeded])
            #expect(runtime.runs(limit: 1)[0].attempts == 3)
        }
    }

    @Test func backoffDoublesUpToTheCap() {
        var options = TriggerRuntime.Options()
        options.retryBase = .milliseconds(100)
        options.retryCap = .milliseconds(1000)
        let runtime = TriggerRuntime(
            service: FirestoreService(store: try! DocumentStore(path: nil)), outbox: InMemoryTriggerOutbox(), options: options)
        #expect((1...6).map { runtime.dispatcher.backoff(attempt: $0) } == [100, 200, 400, 800, 1000, 1000].map { .milliseconds($0) })
    }

    @Test func withoutRetryAFailureIsRecordedOnce() async throws {
        try await withRuntime { service, runtime in
            let calls = Mutex(0)
            try runtime.onDocumentCreated("c/{id}") { _, _ in
                calls.withLock { $0 += 1 }
                throw FirestoreError(.internal, "boom")
            }
            try await write(service, set("c/d", [:]))
            try await runtime.settle()
            #expect(calls.withLock { $0 } == 1)
            let run = try #require(runtime.runs(limit: 5).first)
            #expect(run.status == .failed && run.error == "INTERNAL: boom" && run.document == name("c/d"))
        }
    }

    @Test func handlerWritesCascadeAndAreRecordedInTheRun() async throws {
        try await withRuntime { service, runtime in
            try runtime.onDocumentCreated("orders/{id}") { e, ctx in
                try await ctx.commit([.set(ctx.name(ResourcePath(["audit", e.params["id"]!])), ["seen": .boolean(true)])])
            }
            let audits = Seen()
            try runtime.onDocumentCreated("audit/{id}") { e, _ in audits.add(e) }
            try await write(service, set("orders/o1", [:]))
            try await runtime.settle()
            #expect(audits.all.map(\.depth) == [1])
            let orderRun = try #require(runtime.runs(limit: 5).first { $0.trigger == "created:orders/{id}" })
            #expect(orderRun.writes == [name("audit/o1")])
        }
    }

    @Test func aSelfTriggeringLoopStopsAtTheDepthLimit() async throws {
        var options = TriggerRuntime.Options()
        options.maxDepth = 5
        try await withRuntime(options) { service, runtime in
            let calls = Mutex(0)
            try runtime.onDocumentWritten("loop/{id}") { e, ctx in
                calls.withLock { $0 += 1 }
                let n = e.after?.fields["n"]?.integerValue ?? 0
                try await ctx.commit([.set(ctx.name(e.path), ["n": .integer(n + 1)])])
            }
            try await write(service, set("loop/x", ["n": .integer(0)]))
            try await runtime.settle()
            #expect(calls.withLock { $0 } == 5)
            let stopped = runtime.runs(limit: 10).filter { $0.status == .stopped }
            #expect(stopped.count == 1 && stopped[0].depth == 5)
        }
    }

    @Test func eventsOfOneDocumentArriveInCommitOrderWhileDocumentsRunConcurrently() async throws {
        try await withRuntime { service, runtime in
            let seen = Seen()
            let active = Mutex((now: 0, max: 0))
            try runtime.onDocumentWritten("c/{id}") { e, _ in
                active.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
                try await Task.sleep(for: .milliseconds(5))
                seen.add(e)
                active.withLock { $0.now -= 1 }
            }
            for i in 0..<10 {
                for d in 0..<4 { try await write(service, set("c/d\(d)", ["i": .integer(Int64(i))])) }
            }
            try await runtime.waitUntilIdle(timeout: .seconds(10))
            for d in 0..<4 {
                let values = seen.all.filter { $0.path.lastSegment == "d\(d)" }.map { $0.after!.fields["i"]!.integerValue }
                #expect(values == Array(0..<10))
            }
            #expect(active.withLock { $0.max } > 1)
        }
    }

    @Test func duplicateModeDeliversEveryEventTwiceWithOneID() async throws {
        var options = TriggerRuntime.Options()
        options.mode = .duplicate
        try await withRuntime(options) { service, runtime in
            let seen = Seen()
            try runtime.onDocumentCreated("c/{id}") { e, _ in seen.add(e) }
            for i in 0..<5 { try await write(service, set("c/d\(i)", [:])) }
            try await runtime.settle()
            let ids = seen.all.map(\.id)
            #expect(ids.count == 10)
            #expect(Set(ids).count == 5)
            #expect(Dictionary(grouping: ids, by: { $0 }).values.allSatisfy { $0.count == 2 })
        }
    }

    @Test func shuffleModeReordersEvents() async throws {
        var options = TriggerRuntime.Options()
        options.mode = .shuffle
        options.concurrency = 1
        try await withRuntime(options) { service, runtime in
            let seen = Seen()
            try runtime.onDocumentWritten("c/{id}") { e, _ in seen.add(e) }
            var request = Google_Firestore_V1_CommitRequest()
            request.database = db.resourceName
            for i in 0..<40 {
                request.writes = [set("c/same", ["i": .integer(Int64(i))])]
                _ = try await service.commit(request, context: CallContext(auth: .admin))
            }
            try await runtime.settle()
            let order = seen.all.map { $0.after!.fields["i"]!.integerValue }
            #expect(order.count == 40 && Set(order).count == 40)
            #expect(order != Array(0..<40))
        }
    }

    @Test func waitingWhilePausedTimesOutWithAClearErrorAndResumeDrains() async throws {
        try await withRuntime { service, runtime in
            let seen = Seen()
            try runtime.onDocumentCreated("c/{id}") { e, _ in seen.add(e) }
            runtime.pause()
            try await write(service, set("c/d", [:]))
            let error = await #expect(throws: FirestoreError.self) { try await runtime.waitUntilIdle(timeout: .milliseconds(50)) }
            #expect(error?.code == .deadlineExceeded)
            #expect(error?.message.contains("1 event(s) pending") == true && error?.message.contains("paused") == true)
            #expect(seen.all.isEmpty)
            runtime.resume()
            try await runtime.settle()
            #expect(seen.all.count == 1)
        }
    }

    @Test func undeliveredEventsSurviveARestartOfADurableStore() async throws {
        let file = NSTemporaryDirectory() + "flint-outbox-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + s) } }
        try await withRuntime(path: file) { service, runtime in
            try runtime.onDocumentCreated("c/{id}", key: "k") { _, _ in }
            runtime.pause()
            for i in 0..<3 { try await write(service, set("c/d\(i)", [:])) }
        }
        try await withRuntime(path: file) { service, runtime in
            #expect(runtime.activity.waitingForTrigger == 3)
            let seen = Seen()
            try runtime.onDocumentCreated("c/{id}", key: "k") { e, _ in seen.add(e) }
            try await runtime.settle()
            #expect(seen.all.map(\.path.lastSegment).sorted() == ["d0", "d1", "d2"])
        }
        try await withRuntime(path: file) { _, runtime in
            #expect(runtime.activity.waitingForTrigger == 0)
        }
    }

    @Test func onlyADurableStoreKeepsPendingEventsInItsOutboxTable() async throws {
        let file = NSTemporaryDirectory() + "flint-outbox-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + s) } }
        for path in [nil, file] {
            try await withRuntime(path: path) { service, runtime, store in
                let seen = Seen()
                try runtime.onDocumentCreated("c/{id}") { e, _ in seen.add(e) }
                runtime.pause()
                try await write(service, set("c/d", [:]))
                #expect(runtime.activity.pending == 1)
                #expect(try await store.read { try $0.outbox() }.count == (path == nil ? 0 : 1))
                runtime.resume()
                try await runtime.settle()
                #expect(seen.all.count == 1)
                #expect(try await store.read { try $0.outbox() }.isEmpty)
            }
        }
    }

    @Test func functionsConfigNamesTheBadEntry() throws {
        let good = #"{"functions":[{"name":"a","eventType":"written","document":"o/{id}","endpoint":"http://127.0.0.1:1/"}]}"#
        let triggers = try FunctionsConfig.parse(Data(good.utf8))
        #expect(triggers.map(\.eventTypeName) == ["google.cloud.firestore.document.v1.written"])
        let cases = [
            (#"{"functions":[{"name":"a","eventType":"written","document":"o/{id}"}]}"#, "lacks \"endpoint\""),
            (#"{"functions":[{"name":"a","eventType":"touched","document":"o/{id}","endpoint":"http://h/"}]}"#, "Unknown event type"),
            (#"{"functions":[{"name":"a","eventType":"create","document":"o","endpoint":"http://h/"}]}"#, "names a collection"),
            (#"{"functions":[{"name":"a","eventType":"create","document":"o/{i}","endpoint":"ftp://h/"}]}"#, "not an http(s) URL"),
            (#"{"functions":[{"name":"a","eventType":"create","document":"o/{i}","endpoint":"http://h/","format":"xml"}]}"#, "format"),
            ("nope", "not valid JSON"),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: FirestoreError.self) { try FunctionsConfig.parse(Data(text.utf8)) }
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        }
    }
}
