import FlintCore
import FlintServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The application's routes, driven through its router without a socket.
@Suite("Router")
struct RouterTests {
    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
    }

    func status(_ response: TestResponse) -> String? {
        (json(response)["error"] as? [String: Any])?["status"] as? String
    }

    @Test func readinessAnswersOk() async throws {
        try await withRouter { client in
            for uri in ["/", "/emulator/v1/ready"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .ok && String(buffer: response.body) == "Ok\n")
            }
        }
    }

    @Test func anUnknownRouteIsNotFoundAsAGoogleRpcStatus() async throws {
        try await withRouter { client in
            for (uri, method) in [
                ("/emulator/v1/nothing", HTTPRequest.Method.get), ("/emulator/v1/ready", .patch), ("/v2/x", .get),
                ("/v1/projects/p/databases/(default)/documentz", .get),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .notFound, "\(method) \(uri)")
                #expect(status(response) == "NOT_FOUND", "\(method) \(uri)")
            }
        }
    }

    @Test func theFirestoreAPIIsServedInFrontOfTheRoutes() async throws {
        try await withRouter { client in
            let docs = "/v1/projects/p/databases/(default)/documents"
            let created = try await client.execute(
                uri: docs + "/c?documentId=d", method: .post, body: ByteBuffer(string: #"{"fields":{"a":{"integerValue":"1"}}}"#))
            #expect(created.status == .ok)
            let read = try await client.execute(uri: docs + "/c/d", method: .get)
            #expect(((json(read)["fields"] as? [String: Any])?["a"] as? [String: Any])?["integerValue"] as? String == "1")
            let cleared = try await client.execute(uri: "/emulator/v1/projects/p/databases/(default)/documents", method: .delete)
            #expect(cleared.status == .ok)
            #expect(try await client.execute(uri: docs + "/c/d", method: .get).status == .notFound)
        }
    }

    /// A target splits into path segments, a verb (a known one after the last colon), query
    /// parameters and a fragment, and the errors name the part that is wrong.
    @Test func requestTargetsSplitIntoPathVerbQueryAndFragment() async throws {
        try await withRouter { client in
            let docs = "/v1/projects/p/databases/(default)/documents"
            func message(_ response: TestResponse) -> String? { (json(response)["error"] as? [String: Any])?["message"] as? String }
            let made = try await client.execute(
                uri: docs + "/c?documentId=x:notAVerb#frag", method: .post, body: ByteBuffer(string: #"{"fields":{}}"#))
            #expect(made.status == .ok)
            #expect(json(made)["name"] as? String == "projects/p/databases/(default)/documents/c/x:notAVerb")
            let escaped = try await client.execute(uri: docs + "/c/x%3AnotAVerb?mask.fieldPaths=a", method: .get)
            #expect(escaped.status == .ok)
            let commit = try await client.execute(
                uri: docs + ":commit", method: .post, body: ByteBuffer(string: #"{"writes":[]}"#))
            #expect(commit.status == .ok)
            let empty = try await client.execute(uri: docs + "/c//d?mask.fieldPaths=a#f", method: .get)
            #expect(empty.status == .badRequest)
            #expect(message(empty) == "Invalid path \"\(docs)/c//d\": it contains an empty segment.")
            let badPath = try await client.execute(uri: docs + "/c/a%ZZ?mask.fieldPaths=a", method: .get)
            #expect(badPath.status == .badRequest)
            #expect(message(badPath) == "The URL path segment \"a%ZZ\" has an invalid percent-encoding.")
            let badQuery = try await client.execute(uri: docs + "/c?documentId=a%2", method: .post, body: ByteBuffer(string: "{}"))
            #expect(badQuery.status == .badRequest)
            #expect(message(badQuery) == "The query parameter \"documentId=a%2\" has an invalid percent-encoding.")
            let unknown = try await client.execute(uri: "/v1/projects/p/databases/(default)/documentz?x=1#f", method: .get)
            #expect(message(unknown) == "No route for GET /v1/projects/p/databases/(default)/documentz.")
        }
    }

    @Test func aMalformedAuthorizationIsRefusedWithInvalidArgument() async throws {
        try await withRouter { client in
            for header in ["Bearer nonsense", "Basic abc", "Bearer a.b.c"] {
                let response = try await client.execute(
                    uri: "/v1/projects/p/databases/(default)/documents/c/d", method: .get, headers: [.authorization: header])
                #expect(response.status == .badRequest, "\(header)")
                #expect(status(response) == "INVALID_ARGUMENT", "\(header)")
            }
        }
    }

    @Test func triggerEndpointsAnswerJSONAndRefuseBadInputClearly() async throws {
        try await withRouter { client in
            let list = try await client.execute(uri: "/emulator/v1/triggers", method: .get)
            #expect(list.status == .ok && json(list)["activity"] != nil)
            let paused = try await client.execute(uri: "/emulator/v1/triggers:pause", method: .post)
            #expect(json(paused)["paused"] as? Bool == true)
            let resumed = try await client.execute(uri: "/emulator/v1/triggers:resume", method: .post)
            #expect(json(resumed)["paused"] as? Bool == false)
            for uri in ["/emulator/v1/triggers:waitForIdle?timeout=abc", "/emulator/v1/triggers/runs?limit=0"] {
                let method: HTTPRequest.Method = uri.contains("runs") ? .get : .post
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .badRequest && status(response) == "INVALID_ARGUMENT", "\(uri)")
            }
            let registration = try await client.execute(
                uri: "/emulator/v1/projects/p/triggers/k", method: .put, body: ByteBuffer(string: "not json"))
            #expect(status(registration) == "INVALID_ARGUMENT")
        }
    }

    @Test func everyRouteTakesBodiesUpToTheSameTenMebibyteLimit() async throws {
        try await withRouter { client in
            // 2 MiB: over the 1 MiB the trigger routes once allowed, under the API's 10 MiB.
            let big = #"{"eventType":"x","document":{"value":"c/{id}"},"pad":""# + String(repeating: "x", count: 2 << 20) + #""}"#
            let registered = try await client.execute(
                uri: "/emulator/v1/projects/p/eventarcTrigger?eventarcTriggerId=k", method: .post, body: ByteBuffer(string: big))
            #expect((json(registered)["error"] as? [String: Any])?["message"] as? String != nil)
            #expect(!String(buffer: registered.body).contains("payload size exceeds"))
            let tooBig = String(repeating: "x", count: (10 << 20) + 1)
            let refused = try await client.execute(
                uri: "/emulator/v1/projects/p/eventarcTrigger?eventarcTriggerId=k", method: .post, body: ByteBuffer(string: tooBig))
            #expect(refused.status == .badRequest && String(buffer: refused.body).contains("payload size exceeds"))
        }
    }
}
