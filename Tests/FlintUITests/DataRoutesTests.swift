import FlintUI
import Foundation
import HTTPTypes
import Testing

@Suite("Data browser routes")
struct DataRoutesTests {
    let a = "projects/p1/databases/(default)"
    let b = "projects/p2/databases/other"

    @Test func databasesListsEveryDatabaseHoldingDocumentsWithItsTopLevelCount() async throws {
        try await withPage { client in
            #expect(try await client.send(.get, "/emulator/v1/databases").rows("databases", "project") == [])
            try await client.commit(a, [("c/1", "{}"), ("c/2", "{}"), ("c/1/sub/x", "{}")])
            try await client.commit(b, [("k/1", "{}")])
            let reply = try await client.send(.get, "/emulator/v1/databases")
            #expect(reply.status == 200)
            #expect(reply.rows("databases", "project", "database", "documents") == ["p1|(default)|2", "p2|other|1"])
            // A database whose documents are all deleted holds no data any more.
            _ = try await client.send(.delete, "/emulator/v1/\(b)/documents")
            #expect(try await client.send(.get, "/emulator/v1/databases").rows("databases", "project") == ["p1"])
        }
    }

    @Test func collectionsListsALevelOfTheTreeWithCounts() async throws {
        try await withPage { client in
            try await client.commit(
                a, [("customers/1", "{}"), ("customers/2", "{}"), ("customers/3", "{}"), ("orders/o", "{}"),
                    ("customers/1/engine/state", "{}"), ("customers/1/notes/n1", "{}"), ("customers/1/notes/n2", "{}"),
                    ("ghost/g/inner/i", "{}")])
            let root = try await client.send(.get, "/emulator/v1/\(a)/collections")
            #expect(root.status == 200 && root.object["truncated"] as? Bool == false)
            #expect(root.rows("collections", "id", "path", "count") == ["customers|customers|3", "ghost|ghost|0", "orders|orders|1"])
            let nested = try await client.send(.get, "/emulator/v1/\(a)/collections?parent=customers/1")
            #expect(nested.rows("collections", "id", "path", "count") == ["engine|customers/1/engine|1", "notes|customers/1/notes|2"])
            let leaf = try await client.send(.get, "/emulator/v1/\(a)/collections?parent=customers/2")
            #expect(leaf.status == 200 && leaf.rows("collections", "id") == [])
        }
    }

    @Test func collectionsRefusesAParentThatIsNotADocument() async throws {
        try await withPage { client in
            let reply = try await client.send(.get, "/emulator/v1/\(a)/collections?parent=customers")
            #expect(reply.status == 400 && reply.errorStatus == "INVALID_ARGUMENT")
            #expect(reply.body.contains("even number of segments"))
        }
    }

    @Test func aLargeCollectionIsCountedExactly() async throws {
        try await withPage { client in
            for batch in 0..<10 {
                try await client.commit(a, (0..<500).map { ("big/d\(batch * 500 + $0)", #"{"n": {"integerValue": "1"}}"#) })
            }
            let root = try await client.send(.get, "/emulator/v1/\(a)/collections")
            #expect(root.rows("collections", "id", "count") == ["big|5000"])
        }
    }
}
