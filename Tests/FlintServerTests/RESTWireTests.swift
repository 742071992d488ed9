import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

@Suite("REST over a real socket")
struct RESTWireTests {
    @Test func unknownRouteAnswersJSON404() async throws {
        try await TestServer.with { server in
            let reply = try await server.send(.GET, "/no/such/route")
            #expect(reply.status == 404)
            #expect((reply.object["error"] as? [String: Any])?["status"] as? String == "NOT_FOUND")
        }
    }

    @Test func escapedAndRawURLSpellingsNameTheSameDocument() async throws {
        try await TestServer.with { server in
            let put = try await server.send(
                .PATCH, "/v1/projects/p/databases/%28default%29/documents/c/a%3Ab%2Bc%20d", body: #"{"fields":{}}"#)
            #expect(put.status == 200)
            #expect(put.object["name"] as? String == name("p", "c/a:b+c d"))
            let raw = try await server.send(.GET, "/v1/projects/p/databases/(default)/documents/c/a:b+c%20d")
            #expect(raw.status == 200)
        }
    }

    @Test func queryParametersReadPlusAsSpaceAndEscapesAsBytes() async throws {
        try await TestServer.with { server in
            let docs = "/v1/projects/p/databases/(default)/documents"
            let plus = try await server.send(.POST, "\(docs)/c?documentId=a+b%2Bc%C3%A9", body: #"{"fields":{}}"#)
            #expect(plus.status == 200)
            #expect(plus.object["name"] as? String == name("p", "c/a b+cé"))
            let bad = try await server.send(.POST, "\(docs)/c?documentId=a%C3", body: #"{"fields":{}}"#)
            #expect(bad.status == 400)
            #expect(((bad.object["error"] as? [String: Any])?["message"] as? String)?.contains("percent-encoding") == true)
        }
    }

    @Test func readinessEndpointAnswersOk() async throws {
        try await TestServer.with { server in
            let reply = try await server.send(.GET, "/")
            #expect(reply.status == 200)
            #expect(reply.body == "Ok\n")
        }
    }
}
