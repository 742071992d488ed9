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
}
