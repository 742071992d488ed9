import FlintCore
import FlintProto
import FlintService
import Testing

@Suite("Query scopes: collection groups and kindless queries")
struct QueryScopeTests {
    /// Documents of group `items` at several depths, plus look-alikes that are not in it.
    func fillGroup(_ service: FirestoreService) async throws {
        try await commitAll(service, [
            update("items/y", ["v": .integer(1)]), update("a/1/items/x", ["v": .integer(2)]),
            update("a/1/items/x/items/deep", ["v": .integer(1)]), update("b/2/items/a", ["v": .integer(1)]),
            update("a/1/other/z", ["v": .integer(1)]), update("itemsX/q", ["v": .integer(1)]),
            update("a/1/items2/w", ["v": .integer(1)]),
        ])
    }

    @Test func aCollectionGroupReadsEveryNestedCollectionInFullPathOrder() async throws {
        try await withService { service, _ in
            try await fillGroup(service)
            let responses = try await runQuery(service, Q.query("items", allDescendants: true))
            #expect(paths(responses) == ["a/1/items/x", "a/1/items/x/items/deep", "b/2/items/a", "items/y"])
        }
    }

    @Test func aCollectionGroupFilterAppliesAcrossItsCollections() async throws {
        try await withService { service, _ in
            try await fillGroup(service)
            let q = Q.query("items", allDescendants: true, where: Q.field("v", .equal, .integer(1)))
            #expect(paths(try await runQuery(service, q)) == ["a/1/items/x/items/deep", "b/2/items/a", "items/y"])
        }
    }

    @Test func aCollectionGroupBelowADocumentReadsOnlyItsDescendants() async throws {
        try await withService { service, _ in
            try await fillGroup(service)
            let responses = try await runQuery(service, Q.query("items", allDescendants: true), parent: docName("a/1"))
            #expect(paths(responses) == ["a/1/items/x", "a/1/items/x/items/deep"])
        }
    }

    @Test func aCollectionGroupStreamedThroughTheIndexKeepsSegmentWisePathOrder() async throws {
        try await withService { service, _ in
            let ids = ["a/1/items/xy", "a/1/items/x!", "b/0/items/a", "a/1/items/x/items/deep", "a/1/items/x"]
            try await commitAll(service, ids.map { update($0, ["v": .integer(1)]) })
            let q = Q.query("items", allDescendants: true, where: Q.field("v", .equal, .integer(1)), limit: 10)
            let expected = ["a/1/items/x", "a/1/items/x/items/deep", "a/1/items/x!", "a/1/items/xy", "b/0/items/a"]
            #expect(paths(try await runQuery(service, q)) == expected)
        }
    }

    @Test func aCollectionGroupWithOrderAndLimitMergesRootAndNestedCollections() async throws {
        try await withService { service, _ in
            try await fillGroup(service)
            let q = Q.query("items", allDescendants: true, orderBy: ["-v"], limit: 2)
            #expect(paths(try await runQuery(service, q)) == ["a/1/items/x", "items/y"])
        }
    }

    @Test func aCollectionGroupCountCountsEachDocumentOnce() async throws {
        try await withService { service, _ in
            try await fillGroup(service)
            func count(_ filter: SQ.Filter?) async throws -> FirestoreValue? {
                let responses = try await service.runAggregationQuery(
                    .with {
                        $0.parent = rootName
                        $0.structuredAggregationQuery = .with {
                            $0.structuredQuery = Q.query("items", allDescendants: true, where: filter)
                            $0.aggregations = [.with { $0.alias = "n"; $0.count = .init() }]
                        }
                    }, context: admin)
                return responses.last?.result.aggregateFields["n"]
            }
            #expect(try await count(Q.field("v", .equal, .integer(1))) == .integer(3))
            #expect(try await count(nil) == .integer(4))
        }
    }

    // MARK: kindless

    @Test func aKindlessQueryWithAllDescendantsListsEveryDocumentInPathOrder() async throws {
        try await withService { service, _ in
            try await fillGroup(service)
            let all = try await runQuery(service, Q.query("", allDescendants: true))
            #expect(paths(all) == [
                "a/1/items/x", "a/1/items/x/items/deep", "a/1/items2/w", "a/1/other/z", "b/2/items/a", "items/y", "itemsX/q",
            ])
            let below = try await runQuery(service, Q.query("", allDescendants: true), parent: docName("a/1"))
            #expect(paths(below) == ["a/1/items/x", "a/1/items/x/items/deep", "a/1/items2/w", "a/1/other/z"])
        }
    }

    @Test func aKindlessQueryWithoutAllDescendantsListsOnlyDirectChildren() async throws {
        try await withService { service, _ in
            try await fillGroup(service)
            #expect(paths(try await runQuery(service, Q.query(""))) == ["items/y", "itemsX/q"])
            let below = try await runQuery(service, Q.query(""), parent: docName("a/1"))
            #expect(paths(below) == ["a/1/items/x", "a/1/items2/w", "a/1/other/z"])
        }
    }
}
