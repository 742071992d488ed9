import FlintCore
import FlintProto
import GRPCCore
import Testing

/// findNearest over the gRPC transport: RunQuery, its errors, and a Listen target.
@Suite("Vector search over gRPC", .timeLimit(.minutes(1)))
struct GRPCVectorSearchTests {
    static func vectorWrite(_ path: String, _ x: Double, _ y: Double) -> Google_Firestore_V1_Write {
        .with {
            $0.update.name = name("v", path)
            $0.update.fields["v"] = .map([
                "__type__": .string("__vector__"), "value": .array([.double(x), .double(y)]),
            ])
        }
    }

    static func nearest(limit: Int32 = 2) -> Google_Firestore_V1_StructuredQuery {
        var q = query("c")
        q.findNearest = .with {
            $0.vectorField.fieldPath = "v"
            $0.queryVector = .map(["__type__": .string("__vector__"), "value": .array([.double(1), .double(0)])])
            $0.distanceMeasure = .euclidean
            $0.limit.value = limit
            $0.distanceResultField = "d"
        }
        return q
    }

    @Test func runQueryAnswersTheNearestWithTheirDistances() async throws {
        try await TestServer.with { server in
            try await server.withFirestore { firestore in
                try await commit(firestore, "v", Self.vectorWrite("c/a", 0, 1), Self.vectorWrite("c/b", 2, 0), Self.vectorWrite("c/c", 5, 5))
                let got = try await firestore.runQuery(.with {
                    $0.parent = "projects/v/databases/(default)/documents"
                    $0.structuredQuery = Self.nearest()
                }) { response in
                    var out: [String] = []
                    for try await message in response.messages where message.hasDocument {
                        out.append("\(message.document.name.split(separator: "/").last!)=\(message.document.fields["d"]!.doubleValue)")
                    }
                    return out
                }
                #expect(got == ["b=1.0", "a=1.4142135623730951"])
            }
        }
    }

    @Test func aBadSearchIsInvalidArgument() async throws {
        try await TestServer.with { server in
            try await server.withFirestore { firestore in
                let error = await #expect(throws: RPCError.self) {
                    try await firestore.runQuery(.with {
                        $0.parent = "projects/v/databases/(default)/documents"
                        $0.structuredQuery = Self.nearest(limit: 0)
                    }) { response in for try await _ in response.messages {} }
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.hasPrefix("FindNearest.limit must be a positive integer") == true)
            }
        }
    }

    @Test func aListenTargetFollowsTheNearestDocuments() async throws {
        try await TestServer.with { server in
            try await server.withFirestore { firestore in
                try await commit(firestore, "v", Self.vectorWrite("c/a", 0, 1), Self.vectorWrite("c/b", 2, 0), Self.vectorWrite("c/c", 5, 5))
                try await withListen(firestore, project: "v") { call in
                    call.addQuery(4, Self.nearest())
                    #expect(try await call.take(5) == ["ADD [4]", "CHANGE c/b [4] -[]", "CHANGE c/a [4] -[]", "CURRENT [4]", "NO_CHANGE []"])
                    // A nearer document pushes the farthest one out.
                    try await commit(firestore, "v", Self.vectorWrite("c/d", 1, 0.5))
                    #expect(try await call.take(3) == ["CHANGE c/d [4] -[]", "LEAVE c/a -[4]", "NO_CHANGE []"])
                }
            }
        }
    }
}
