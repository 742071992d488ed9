import Foundation
import NIOHTTP1
import Testing

/// The Firestore REST API through the application's router, without a socket.
@Suite("REST API through the router")
struct RESTAPITests {
    @Test func patchThenGetReturnsTheSameDocument() async throws {
        try await withRouter { server in
            let put = try await server.send(
                .PATCH, docs("p") + "/users/alice", body: #"{"fields":{"age":{"integerValue":"42"}}}"#)
            #expect(put.status == 200)
            let got = try await server.send(.GET, docs("p") + "/users/alice")
            #expect(got.status == 200)
            let fields = got.object["fields"] as? [String: Any]
            #expect((fields?["age"] as? [String: Any])?["integerValue"] as? String == "42")
            #expect(got.object["createTime"] as? String == put.object["createTime"] as? String)
        }
    }

    @Test func missingDocumentIsNotFoundInGoogleRPCStatusShape() async throws {
        try await withRouter { server in
            let reply = try await server.send(.GET, docs("p") + "/users/nobody")
            #expect(reply.status == 404)
            let error = reply.object["error"] as? [String: Any]
            #expect(error?["code"] as? Int == 404)
            #expect(error?["status"] as? String == "NOT_FOUND")
            #expect((error?["message"] as? String)?.contains("users/nobody") == true)
        }
    }

    @Test func batchGetStreamIsExactlyOneJSONArray() async throws {
        try await withRouter { server in
            _ = try await server.send(.PATCH, docs("p") + "/c/a", body: #"{"fields":{}}"#)
            let body = #"{"documents":["\#(name("p", "c/a"))","\#(name("p", "c/b"))"]}"#
            let reply = try await server.send(.POST, docs("p") + ":batchGet", body: body)
            #expect(reply.status == 200)
            #expect(reply.body.first == "[")
            #expect(reply.body.last == "]")
            let items = reply.json as? [[String: Any]]
            #expect(items?.count == 2)
            #expect(items?[0]["found"] != nil)
            #expect(items?[1]["missing"] as? String == name("p", "c/b"))
        }
    }

    @Test func invalidJSONIsInvalidArgument() async throws {
        try await withRouter { server in
            let reply = try await server.send(.POST, docs("p") + ":commit", body: #"{"writes": ["#)
            #expect(reply.status == 400)
            #expect((reply.object["error"] as? [String: Any])?["status"] as? String == "INVALID_ARGUMENT")
        }
    }

    @Test func commitAppliesAllWritesWithOneCommitTime() async throws {
        try await withRouter { server in
            let body = """
                {"writes":[{"update":{"name":"\(name("p", "c/a"))","fields":{"n":{"integerValue":"1"}}}},
                           {"update":{"name":"\(name("p", "c/b"))","fields":{"n":{"integerValue":"2"}}}}]}
                """
            let reply = try await server.send(.POST, docs("p") + ":commit", body: body)
            #expect(reply.status == 200)
            let results = reply.object["writeResults"] as? [[String: Any]]
            #expect(results?.count == 2)
            #expect(results?[0]["updateTime"] as? String == reply.object["commitTime"] as? String)
            #expect(results?[1]["updateTime"] as? String == reply.object["commitTime"] as? String)
        }
    }

    @Test func failedPreconditionLeavesNothingApplied() async throws {
        try await withRouter { server in
            let body = """
                {"writes":[{"update":{"name":"\(name("p", "c/a"))","fields":{}}},
                           {"update":{"name":"\(name("p", "c/b"))","fields":{}},"currentDocument":{"exists":true}}]}
                """
            let reply = try await server.send(.POST, docs("p") + ":commit", body: body)
            #expect(reply.status == 404)
            let got = try await server.send(.GET, docs("p") + "/c/a")
            #expect(got.status == 404)
        }
    }

    @Test func adminOnlyListingNeedsBearerOwner() async throws {
        try await withRouter { server in
            let denied = try await server.send(.POST, docs("p") + ":listCollectionIds", body: "{}")
            #expect(denied.status == 403)
            let allowed = try await server.send(
                .POST, docs("p") + ":listCollectionIds", body: "{}", headers: [("Authorization", "Bearer owner")])
            #expect(allowed.status == 200)
        }
    }
}
