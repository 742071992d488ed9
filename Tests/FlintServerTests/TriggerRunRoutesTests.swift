import FlintCore
import FlintServer
import FlintTriggers
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// An in-process trigger on `orders/{id}` that fails until `fixed` is set, as a handler being
/// debugged does.
private final class FlakyOrders: FlintExtension, Sendable {
    let fixed = Atomic<Bool>(false)

    func install(on runtime: TriggerRuntime) throws -> [any Service] {
        try runtime.onDocumentCreated("orders/{id}", key: "onOrder") { [self] event, context in
            guard fixed.load(ordering: .relaxed) else { throw FirestoreError(.internal, "total is not a number") }
            try await context.commit([.set(context.name(ResourcePath(["audit", event.params["id"]!])), ["seen": .boolean(true)])])
        }
        return []
    }
}

@Suite("Trigger run routes")
struct TriggerRunRoutesTests {
    @Test func aRunShowsItsEventAsBeforeAfterAndChangedFieldsAndReplaysOnceFixed() async throws {
        let flaky = FlakyOrders()
        var configuration = FlintConfiguration(host: "127.0.0.1", port: 0)
        configuration.extensions = [flaky]
        try await withRouter(configuration) { client in
            let created = try await client.send(
                .POST, "/v1/projects/p/databases/(default)/documents/orders?documentId=o1",
                body: #"{"fields": {"total": {"stringValue": "12x"}}}"#)
            #expect(created.status == 200)
            _ = try await client.send(.POST, "/emulator/v1/triggers:waitForIdle")
            let runs = try #require(try await client.send(.GET, "/emulator/v1/triggers/runs").object["runs"] as? [[String: Any]])
            let failed = try #require(runs.first)
            let id = try #require(failed["id"] as? Int)
            #expect(failed["status"] as? String == "failed")

            let detail = try await client.send(.GET, "/emulator/v1/triggers/runs/\(id)").object
            #expect(detail["before"] is NSNull)
            let after = try #require(detail["after"] as? [String: Any])
            #expect((after["fields"] as? [String: Any])?["total"] as? [String: String] == ["stringValue": "12x"])
            #expect(detail["changedFields"] as? [String] == ["total"])
            #expect((detail["commitTime"] as? String)?.hasSuffix("Z") == true)

            flaky.fixed.store(true, ordering: .relaxed)
            let replay = try await client.send(.POST, "/emulator/v1/triggers/runs/\(id):replay")
            #expect(replay.status == 200)
            #expect(replay.object["status"] as? String == "succeeded" && replay.object["replayOf"] as? Int == id)
            #expect(replay.object["writes"] as? [String] == ["projects/p/databases/(default)/documents/audit/o1"])
            #expect(replay.object["eventId"] as? String == failed["eventId"] as? String)
            let audit = try await client.send(.GET, "/v1/projects/p/databases/(default)/documents/audit/o1")
            #expect(audit.status == 200)
            let newest = try await client.send(.GET, "/emulator/v1/triggers/runs?limit=1").object["runs"] as? [[String: Any]]
            #expect(newest?.first?["replayOf"] as? Int == id)
        }
    }

    @Test func unknownAndMalformedRunIdsAreClearErrors() async throws {
        try await withRouter { client in
            for (method, uri, code, status) in [
                (HTTPMethod.GET, "/emulator/v1/triggers/runs/41", 404, "NOT_FOUND"),
                (.POST, "/emulator/v1/triggers/runs/41:replay", 404, "NOT_FOUND"),
                (.GET, "/emulator/v1/triggers/runs/abc", 400, "INVALID_ARGUMENT"),
                (.POST, "/emulator/v1/triggers/runs/-3:replay", 400, "INVALID_ARGUMENT"),
            ] {
                let reply = try await client.send(method, uri)
                #expect(reply.status == code, "\(method) \(uri)")
                #expect((reply.object["error"] as? [String: Any])?["status"] as? String == status, "\(method) \(uri)")
            }
        }
    }
}
