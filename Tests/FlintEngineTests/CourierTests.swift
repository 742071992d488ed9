import FlintCore
import FlintServer
import FlintTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import FlintEngine

/// Settings read from the user's own documents.
@Suite struct EngineSettingsTests {
    func doc(_ path: String, _ fields: Fields, updated: Int64 = 1) -> DocumentSnapshot {
        DocumentSnapshot(
            path: ResourcePath(path.split(separator: "/").map(String.init)), fields: fields, createTime: 1, updateTime: updated)
    }

    /// `courierIntegrations/delhivery` exactly as the OMS seeder writes it.
    var seeded: DocumentSnapshot {
        doc(
            "courierIntegrations/delhivery",
            [
                "name": .string("Delhivery"),
                "api": .map([
                    "baseUrl": .string("https://track.delhivery.com"), "bookingEndpoint": .string("/api/cmu/create.json"),
                    "authKey": .string("YOUR_DELHIVERY_API_KEY"),
                ]),
                "createdAt": .timestamp(micros: t0), "updatedAt": .timestamp(micros: t0),
            ])
    }

    @Test func theSeedersCourierDocumentConfiguresBooking() {
        let s = EngineSettings(rules: rules, rulesSource: "r", approvalDocs: [], courierDocs: [seeded])
        #expect(s.bookingURL(courier: "delhivery") == "https://track.delhivery.com/api/cmu/create.json")
        #expect(s.couriers["delhivery"]?.authKey == "YOUR_DELHIVERY_API_KEY")
        #expect(s.couriers["delhivery"]?.source == "courierIntegrations/delhivery")
        #expect(s.bookingURL(courier: "bluedart") == nil)
        #expect(s.problems.isEmpty)
    }

    @Test func noAPIOrTurnedOffOrABadURLBooksNothing() {
        var off = seeded
        off.fields["enabled"] = .boolean(false)
        let bare = doc("courierIntegrations/dtdc", ["name": .string("DTDC")])
        let bad = doc("courierIntegrations/amazon", ["api": .map(["baseUrl": .string("ftp://x")])])
        let s = EngineSettings(rules: rules, rulesSource: "r", approvalDocs: [], courierDocs: [off, bare, bad])
        #expect(s.bookingURL(courier: "delhivery") == nil)
        #expect(s.bookingURL(courier: "dtdc") == nil)
        #expect(s.bookingURL(courier: "amazon") == nil)
        #expect(s.problems == ["courierIntegrations/amazon: api.baseUrl must be an http:// or https:// URL; no booking API is configured"])
    }

    @Test func aCourierDocumentReplacesTheRulesFilesIntegration() {
        var r = rules
        r.couriers.integrations["delhivery"] = CourierIntegration(baseURL: "http://file.example", source: "file")
        #expect(EngineSettings(rules: r, rulesSource: "r").bookingURL(courier: "delhivery") == "http://file.example")
        let s = EngineSettings(rules: r, rulesSource: "r", approvalDocs: [], courierDocs: [seeded])
        #expect(s.bookingURL(courier: "delhivery") == "https://track.delhivery.com/api/cmu/create.json")
    }

    @Test func theApprovalDocumentIsDefaultElseTheLatest() {
        let a = doc("autoApprovalSettings/a", ["minTrustScore": .integer(60)], updated: 5)
        let b = doc("autoApprovalSettings/b", ["minTrustScore": .integer(70)], updated: 9)
        let d = doc("autoApprovalSettings/default", ["minTrustScore": .integer(45)], updated: 1)
        #expect(EngineSettings(rules: rules, rulesSource: "r", approvalDocs: [a, b], courierDocs: []).approval.minTrustScore == 70)
        let s = EngineSettings(rules: rules, rulesSource: "r", approvalDocs: [a, b, d], courierDocs: [])
        #expect(s.approval.minTrustScore == 45 && s.approvalSource == "autoApprovalSettings/default")
        #expect(s.approval.maxOrderTotal == rules.approval.maxOrderTotal)
        #expect(EngineSettings(rules: rules, rulesSource: "r").approvalSource == "r")
    }

    @Test func badApprovalValuesKeepTheFilesAndAreReported() {
        let d = doc(
            "autoApprovalSettings/default",
            ["minTrustScore": .double(40.5), "maxOrderTotal": .string("lots"), "enabled": .string("yes"),
             "newCustomerMaxOrderTotal": .integer(2500)])
        let s = EngineSettings(rules: rules, rulesSource: "r", approvalDocs: [d], courierDocs: [])
        #expect(s.approval.minTrustScore == rules.approval.minTrustScore)
        #expect(s.approval.maxOrderTotal == rules.approval.maxOrderTotal)
        #expect(s.approval.newCustomerMaxOrderTotal == 2500)
        #expect(s.autoApproval)
        #expect(s.problems.count == 3)
        let off = EngineSettings(
            rules: rules, rulesSource: "r", approvalDocs: [doc("autoApprovalSettings/x", ["enabled": .boolean(false)])],
            courierDocs: [])
        #expect(!off.autoApproval)
    }

    @Test func theRulesFileMayNameIntegrationsAndEveryStatusHasATemplate() throws {
        func with(_ integrations: [String: Any]) -> String {
            editedRules { o in
                var c = o["couriers"] as! [String: Any]
                c["integrations"] = integrations
                o["couriers"] = c
            }
        }
        let parsed = try parseRules(with(["dtdc": ["baseUrl": "http://127.0.0.1:9", "bookingEndpoint": "/b"]])).get()
        #expect(parsed.couriers.integrations["dtdc"]?.bookingURL == "http://127.0.0.1:9/b")
        #expect(
            errorMessage(parseRules(with(["dtdc": ["baseUrl": "track.dtdc.com"]])))
                == "test.json: couriers.integrations.dtdc.baseUrl must be an http:// or https:// URL, not \"track.dtdc.com\".")
        #expect(
            errorMessage(parseRules(with(["dtdc": ["baseUrl": "http://x", "token": "k"]])))?.hasPrefix(
                "test.json: couriers.integrations.dtdc.token is not a known setting") == true)
        let templates = rules.notifications.orderTemplates
        for stage in ["approved", "shipped", "in_transit", "delivered", "return_initiated", "returned", "cancelled"] {
            #expect(templates[stage] != nil, "\(stage)")
        }
    }

    @Test func awbsInTheAnswersCouriersGive() {
        #expect(CourierClient.awb(in: Data(#"{"awb":"A1"}"#.utf8)) == "A1")
        #expect(CourierClient.awb(in: Data(#"{"waybill":1234567}"#.utf8)) == "1234567")
        #expect(CourierClient.awb(in: Data(#"{"packages":[{"waybill":"DL9","status":"Success"}]}"#.utf8)) == "DL9")
        #expect(CourierClient.awb(in: Data(#"{"awb":""}"#.utf8)) == nil)
        #expect(CourierClient.awb(in: Data(#"{"awb":true}"#.utf8)) == nil)
        #expect(CourierClient.awb(in: Data("not json".utf8)) == nil)
    }

    @Test func theSettingsCacheKeepsNoReadBegunBeforeAnInvalidation() async throws {
        let cache = SettingsCache()
        let db = DatabaseID(project: "p")
        let base = EngineSettings(rules: rules, rulesSource: "old")
        let stale = try await cache.settings(db) {
            cache.invalidate(db)  // a settings write commits while the read runs
            return base
        }
        #expect(stale.approvalSource == "old")
        #expect(cache.cached(db) == nil)
        _ = try await cache.settings(db) { EngineSettings(rules: rules, rulesSource: "new") }
        #expect(cache.cached(db)?.approvalSource == "new")
    }

    @Test func theKeyedLockRunsOneAtATimePerKey() async throws {
        let lock = KeyedLock()
        let inside = Inside()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await lock.run("k") {
                        inside.count.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                        try await Task.sleep(for: .milliseconds(1))
                        inside.count.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(inside.count.withLock { $0.most } == 1)
    }
}

/// How many bodies run at once, and the most that ever did.
final class Inside: Sendable {
    let count = Mutex((now: 0, most: 0))
}

/// Records bookings; answers the first with HTTP 503, later ones `{"awb": "AWB-{orderId}"}`.
final class CourierStub: Sendable {
    let bookings = Mutex<[(orderID: String, status: Int, authorization: String?)]>([])

    func answer(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        let id = json?["orderId"] as? String ?? "?"
        let first = bookings.withLock { b in
            b.append((id, b.isEmpty ? 503 : 200, request.headers[.authorization]))
            return b.count == 1
        }
        if first {
            return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "busy")))
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"awb":"AWB-\#(id)"}"#)))
    }

    /// Runs the stub on a free port while `body` runs.
    func serve(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("api/book") { [self] request, _ in try await answer(request) }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        try await withRunningServices([app]) {
            var next = ports.makeAsyncIterator()
            guard let port = await next.next() else { throw CancellationError() }
            try await body(port)
        }
    }
}

/// The whole loop in one application: booking against a real HTTP stub that fails first, the
/// retry, the awb, the webhook and the profile it moves.
@Suite("Courier booking and tracking")
struct CourierApplicationTests {
    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
    }

    func field(_ response: TestResponse, _ name: String) -> [String: Any]? {
        (json(response)["fields"] as? [String: Any])?[name] as? [String: Any]
    }

    @Test func anOrderIsBookedAfterARetryAndDeliveredThroughTheWebhook() async throws {
        let stub = CourierStub()
        try await stub.serve { port in
            let engine = CustomerEngine(rules: rules, rulesSource: "test rules")
            var configuration = FlintConfiguration(host: "127.0.0.1", port: 0)
            configuration.extensions = [engine]
            configuration.triggers.retryBase = .milliseconds(20)
            let app = try await buildApplication(configuration)
            try await app.test(.router) { client in
                let docs = "/v1/projects/p/databases/(default)/documents"
                let idle = { _ = try await client.execute(uri: "/emulator/v1/triggers:waitForIdle", method: .post) }
                _ = try await client.execute(
                    uri: "/emulator/v1/engine/clock", method: .post, body: ByteBuffer(string: #"{"now":"2025-10-01T00:00:00Z"}"#))
                let integration = """
                    {"fields":{"name":{"stringValue":"Delhivery"},"api":{"mapValue":{"fields":{
                      "baseUrl":{"stringValue":"http://127.0.0.1:\(port)"},"bookingEndpoint":{"stringValue":"/api/book"},
                      "authKey":{"stringValue":"k1"}}}}}}
                    """
                #expect(
                    try await client.execute(
                        uri: "\(docs)/courierIntegrations/delhivery", method: .patch, body: ByteBuffer(string: integration)
                    ).status == .ok)
                // The integration's own trigger (which books orders already waiting) runs first, so
                // this order is booked by engine.courierBooking, whose runs are checked below.
                try await idle()
                let customer = #"{"fields":{"whatsappOptIn":{"booleanValue":true},"preferredLanguage":{"stringValue":"hi"}}}"#
                _ = try await client.execute(uri: "\(docs)/customers/9000000001", method: .patch, body: ByteBuffer(string: customer))
                let order = """
                    {"fields":{"customerPhone":{"stringValue":"9000000001"},"total":{"integerValue":"100"},
                     "shippingAddress":{"mapValue":{"fields":{"zip":{"stringValue":"110009"}}}}}}
                    """
                _ = try await client.execute(uri: "\(docs)/orders/o1", method: .patch, body: ByteBuffer(string: order))
                try await idle()

                let shipped = try await client.execute(uri: "\(docs)/orders/o1", method: .get)
                #expect(field(shipped, "internalStatus")?["stringValue"] as? String == "shipped")
                #expect(field(shipped, "awb")?["stringValue"] as? String == "AWB-o1")
                let booked = stub.bookings.withLock { $0 }
                #expect(booked.map(\.orderID) == ["o1", "o1"])
                #expect(booked.map(\.status) == [503, 200])
                #expect(booked.last?.authorization == "Token k1")
                let runs = json(
                    try await client.execute(uri: "/emulator/v1/triggers/runs?trigger=engine.courierBooking", method: .get))
                let history = (runs["runs"] as? [[String: Any]] ?? []).reversed().map {
                    ($0["status"] as? String ?? "", $0["attempts"] as? Int ?? 0, $0["error"] as? String ?? "")
                }
                #expect(history.first?.0 == "retrying" && history.first?.1 == 1)
                #expect(history.first?.2.contains("HTTP 503: busy") == true)
                #expect(history.contains { $0.0 == "succeeded" && $0.1 == 2 })

                let delivered = try await client.execute(
                    uri: "/emulator/v1/engine/couriers/delhivery:webhook?project=p", method: .post,
                    body: ByteBuffer(string: #"{"awb":"AWB-o1","status":"delivered","time":"2025-10-03T00:00:00Z"}"#))
                #expect(delivered.status == .ok)
                #expect(json(delivered)["applied"] as? Bool == true && json(delivered)["previousStatus"] as? String == "shipped")
                try await idle()
                let profile = try await client.execute(uri: "\(docs)/customers/9000000001", method: .get)
                #expect(field(profile, "trustScore")?["integerValue"] as? String == "52")
                #expect(field(profile, "avgDeliveryTime")?["doubleValue"] as? Double == 2)
                for template in ["order_confirmed", "order_shipped", "order_delivered"] {
                    let n = try await client.execute(uri: "\(docs)/notifications/o1-\(template)", method: .get)
                    #expect(n.status == .ok, "\(template)")
                    #expect(field(n, "language")?["stringValue"] as? String == "hi")
                }

                let unknown = try await client.execute(
                    uri: "/emulator/v1/engine/couriers/delhivery:webhook?project=p", method: .post,
                    body: ByteBuffer(string: #"{"awb":"nope","status":"delivered"}"#))
                #expect(unknown.status == .notFound)
                #expect((json(unknown)["error"] as? [String: Any])?["status"] as? String == "NOT_FOUND")
                let bad = try await client.execute(
                    uri: "/emulator/v1/engine/couriers/delhivery:webhook?project=p", method: .post,
                    body: ByteBuffer(string: #"{"awb":"AWB-o1","status":"teleported"}"#))
                #expect(bad.status == .badRequest)
                #expect((json(bad)["error"] as? [String: Any])?["status"] as? String == "INVALID_ARGUMENT")
                #expect(stub.bookings.withLock { $0.count } == 2)
            }
        }
    }
}
