import FlintProto
import GRPCCore
import Testing

@Suite("PartitionQuery")
struct PartitionQueryTests {
    static let groupByName = #"{"from":[{"collectionId":"items","allDescendants":true}],"orderBy":[{"field":{"fieldPath":"__name__"},"direction":"ASCENDING"}]}"#

    func seed(_ server: TestServer, count: Int) async throws {
        var writes: [String] = []
        for i in 0..<count {
            writes.append(#"{"update":{"name":"\#(name("pq", "p\(i % 3)/x/items/i\(String(format: "%02d", i))"))","fields":{}}}"#)
        }
        let reply = try await server.send(.POST, docs("pq") + ":commit", body: #"{"writes":[\#(writes.joined(separator: ","))]}"#)
        #expect(reply.status == 200)
    }

    func partitions(_ server: TestServer, _ body: String) async throws -> TestServer.Reply {
        try await server.send(.POST, docs("pq") + ":partitionQuery", body: body)
    }

    func points(_ reply: TestServer.Reply) -> [String] {
        let cursors = reply.object["partitions"] as? [[String: Any]] ?? []
        return cursors.compactMap { (($0["values"] as? [[String: Any]])?.first?["referenceValue"] as? String) }
    }

    @Test func splitPointsCutTheGroupIntoEvenPartsInNameOrder() async throws {
        try await TestServer.with { server in
            try await seed(server, count: 12)
            let reply = try await partitions(server, #"{"structuredQuery":\#(Self.groupByName),"partitionCount":"3"}"#)
            #expect(reply.status == 200)
            // 12 documents in name order, 3 points: every part holds 3.
            #expect(points(reply) == ["p0/x/items/i09", "p1/x/items/i07", "p2/x/items/i05"].map { name("pq", $0) })
        }
    }

    @Test func fewerDocumentsGiveFewerPoints() async throws {
        try await TestServer.with { server in
            try await seed(server, count: 3)
            let reply = try await partitions(server, #"{"structuredQuery":\#(Self.groupByName),"partitionCount":"10"}"#)
            #expect(points(reply).count == 2)
        }
    }

    @Test func pagesFollowThePageToken() async throws {
        try await TestServer.with { server in
            try await seed(server, count: 12)
            let all = points(try await partitions(server, #"{"structuredQuery":\#(Self.groupByName),"partitionCount":"5"}"#))
            let first = try await partitions(server, #"{"structuredQuery":\#(Self.groupByName),"partitionCount":"5","pageSize":3}"#)
            let token = try #require(first.object["nextPageToken"] as? String)
            let second = try await partitions(
                server, #"{"structuredQuery":\#(Self.groupByName),"partitionCount":"5","pageSize":3,"pageToken":"\#(token)"}"#)
            #expect(points(first) + points(second) == all)
            #expect(all.count == 5)
            #expect(second.object["nextPageToken"] == nil)
        }
    }

    @Test(arguments: [
        (#"{"from":[{"collectionId":"items"}]}"#, "PartitionQuery needs a collection group query (a collectionId with allDescendants)."),
        (#"{"from":[{"collectionId":"items","allDescendants":true}],"where":{"fieldFilter":{"field":{"fieldPath":"a"},"op":"EQUAL","value":{"integerValue":"1"}}}}"#, "PartitionQuery does not support filters."),
        (#"{"from":[{"collectionId":"items","allDescendants":true}],"orderBy":[{"field":{"fieldPath":"a"}}]}"#, "PartitionQuery requires the query to be ordered by __name__ ascending only."),
        (#"{"from":[{"collectionId":"items","allDescendants":true}],"limit":3}"#, "PartitionQuery does not support offset or limit."),
    ])
    func onlyKeyOrderedCollectionGroupQueriesArePartitioned(query: String, message: String) async throws {
        try await TestServer.with { server in
            let reply = try await partitions(server, #"{"structuredQuery":\#(query),"partitionCount":"2"}"#)
            #expect(reply.status == 400)
            #expect((reply.object["error"] as? [String: Any])?["message"] as? String == message)
        }
    }

    @Test func partitionCountMustBePositive() async throws {
        try await TestServer.with { server in
            let reply = try await partitions(server, #"{"structuredQuery":\#(Self.groupByName),"partitionCount":"0"}"#)
            #expect(reply.status == 400)
        }
    }

    @Test func grpcAnswersTheSamePoints() async throws {
        try await TestServer.with { server in
            try await seed(server, count: 12)
            let rest = points(try await partitions(server, #"{"structuredQuery":\#(Self.groupByName),"partitionCount":"3"}"#))
            try await server.withFirestore { firestore in
                let response = try await firestore.partitionQuery(.with {
                    $0.parent = "projects/pq/databases/(default)/documents"
                    $0.structuredQuery = query("items", allDescendants: true)
                    $0.partitionCount = 3
                })
                #expect(response.partitions.map { $0.values[0].referenceValue } == rest)
                let error = await #expect(throws: RPCError.self) {
                    _ = try await firestore.partitionQuery(.with {
                        $0.parent = "projects/pq/databases/(default)/documents"
                        $0.structuredQuery = query("items")
                        $0.partitionCount = 3
                    })
                }
                #expect(error?.code == .invalidArgument)
            }
        }
    }
}
