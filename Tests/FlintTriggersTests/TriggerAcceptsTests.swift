import FlintCore
import FlintTriggers
import Testing

/// An in-process trigger may narrow the changes that make its events.
@Suite("Trigger accepts")
struct TriggerAcceptsTests {
    @Test func onlyAcceptedChangesMakeEvents() async throws {
        try await withRuntime { service, runtime in
            let seen = Seen()
            try runtime.on(
                nil, "orders/{id}", key: "ready",
                accepts: { $0.after?.fields["status"] == .string("ready") }
            ) { e, _ in seen.add(e) }
            try await write(service, set("orders/o1", ["status": .string("new")]))
            try await write(service, set("orders/o1", ["status": .string("ready")]))
            try await write(service, .delete(name("orders/o1")))
            try await write(service, set("orders/o2", ["status": .string("ready")]))
            try await runtime.settle()
            #expect(seen.all.map { "\($0.path.lastSegment) \($0.kind)" }.sorted() == ["o1 updated", "o2 created"])
            #expect(runtime.runs(limit: 10, trigger: "ready").count == 2)  // refused changes leave no run either
        }
    }
}
