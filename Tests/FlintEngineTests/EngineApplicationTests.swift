import FlintCore
import FlintEngine
import FlintServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The engine as an extension of a running application: its routes on the router, its scheduler
/// a service that stops with the application.
@Suite("Engine in the application")
struct EngineApplicationTests {
    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
    }

    @Test func theSchedulerRunsInsideTheApplicationAndNothingHoldsTheEngineAfterShutdown() async throws {
        weak var weakEngine: CustomerEngine?
        do {
            var rules = EngineRules.builtIn()
            rules.inactivity.runEveryMinutes = 0.001
            let engine = CustomerEngine(rules: rules, rulesSource: "test rules")
            weakEngine = engine
            var configuration = FlintConfiguration(host: "127.0.0.1", port: 0)
            configuration.extensions = [engine]
            let app = try await buildApplication(configuration)
            try await app.test(.router) { client in
                let clock = try await client.execute(
                    uri: "/emulator/v1/engine/clock", method: .post, body: ByteBuffer(string: #"{"now":"2025-01-01T00:00:00Z"}"#))
                #expect(clock.status == .ok)
                let order = #"{"fields":{"customerPhone":{"stringValue":"9000000001"},"total":{"integerValue":"100"}}}"#
                let created = try await client.execute(
                    uri: "/v1/projects/p/databases/(default)/documents/orders?documentId=o1", method: .post,
                    body: ByteBuffer(string: order))
                #expect(created.status == .ok)
                _ = try await client.execute(uri: "/emulator/v1/triggers:waitForIdle", method: .post)
                _ = try await client.execute(
                    uri: "/emulator/v1/engine/clock", method: .post, body: ByteBuffer(string: #"{"advanceDays":400}"#))
                // Nobody asks for an inactivity run: only the scheduler can mark the customer.
                var segment: String?
                for _ in 0..<500 where segment != "Dormant" {
                    try await Task.sleep(for: .milliseconds(10))
                    let profile = try await client.execute(
                        uri: "/v1/projects/p/databases/(default)/documents/customers/9000000001", method: .get)
                    segment = ((json(profile)["fields"] as? [String: Any])?["customerSegment"] as? [String: Any])?[
                        "stringValue"] as? String
                }
                #expect(segment == "Dormant")
            }
        }
        #expect(weakEngine == nil)
    }

    /// The engine's own profile update for each order makes no `engine.customers` event; a
    /// profile write the handler has work for does, and the handler does it.
    @Test func onlyProfileChangesTheHandlerHasWorkForMakeCustomerEvents() async throws {
        let engine = CustomerEngine(rules: EngineRules.builtIn(), rulesSource: "test rules")
        var configuration = FlintConfiguration(host: "127.0.0.1", port: 0)
        configuration.extensions = [engine]
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let docs = "/v1/projects/p/databases/(default)/documents"
            func customerRuns() async throws -> [String] {
                _ = try await client.execute(uri: "/emulator/v1/triggers:waitForIdle", method: .post)
                let runs = json(
                    try await client.execute(uri: "/emulator/v1/triggers/runs?trigger=engine.customers", method: .get))
                return (runs["runs"] as? [[String: Any]] ?? []).map { $0["status"] as? String ?? "" }
            }
            for n in 1...3 {
                let order = #"{"fields":{"customerPhone":{"stringValue":"9000000001"},"total":{"integerValue":"100"}}}"#
                #expect(
                    try await client.execute(
                        uri: "\(docs)/orders?documentId=o\(n)", method: .post, body: ByteBuffer(string: order)
                    ).status == .ok)
            }
            // Three orders updated the profile three times; only its creation, which gave the
            // customer a number for the sequence, needed the handler.
            #expect(try await customerRuns() == ["succeeded"])
            let profile = try await client.execute(uri: "\(docs)/customers/9000000001", method: .get)
            let fields = json(profile)["fields"] as? [String: Any]
            #expect((fields?["totalOrders"] as? [String: Any])?["integerValue"] as? String == "3")

            // An address whose region the profile does not carry yet: the handler fills it in.
            let address = #"{"fields":{"defaultAddress":{"mapValue":{"fields":{"zip":{"stringValue":"110009"}}}}}}"#
            #expect(
                try await client.execute(
                    uri: "\(docs)/customers/9000000001?updateMask.fieldPaths=defaultAddress", method: .patch,
                    body: ByteBuffer(string: address)
                ).status == .ok)
            // The user's write and the handler's correction: one more run, and the correction
            // (already in line) makes none.
            #expect(try await customerRuns() == ["succeeded", "succeeded"])
            let corrected = json(try await client.execute(uri: "\(docs)/customers/9000000001", method: .get))
            let region = ((corrected["fields"] as? [String: Any])?["region"] as? [String: Any])?["stringValue"] as? String
            #expect(region != nil)
        }
    }
}
