import FlintCore
import FlintProto
import FlintService
import Testing

typealias SQ = Google_Firestore_V1_StructuredQuery
typealias QueryResponses = [Google_Firestore_V1_RunQueryResponse]

/// Builders for the queries run through the service.
enum Q {
    static func field(_ path: String, _ op: SQ.FieldFilter.Operator, _ value: FirestoreValue) -> SQ.Filter {
        .with { $0.fieldFilter = .with { $0.field.fieldPath = path; $0.op = op; $0.value = value } }
    }
    static func and(_ fs: SQ.Filter...) -> SQ.Filter { .with { $0.compositeFilter = .with { $0.op = .and; $0.filters = fs } } }
    static func or(_ fs: SQ.Filter...) -> SQ.Filter { .with { $0.compositeFilter = .with { $0.op = .or; $0.filters = fs } } }

    /// A query on `collection`; orders are field paths, with a leading `-` for descending.
    static func query(
        _ collection: String, allDescendants: Bool = false, where filter: SQ.Filter? = nil, orderBy: [String] = [],
        offset: Int32 = 0, limit: Int32? = nil, select: [String]? = nil
    ) -> SQ {
        .with { q in
            q.from = [.with { $0.collectionID = collection; $0.allDescendants = allDescendants }]
            if let filter { q.where = filter }
            q.orderBy = orderBy.map { o in
                .with {
                    $0.field.fieldPath = o.hasPrefix("-") ? String(o.dropFirst()) : o
                    $0.direction = o.hasPrefix("-") ? .descending : .ascending
                }
            }
            q.offset = offset
            if let limit { q.limit.value = limit }
            if let select { q.select.fields = select.map { p in .with { $0.fieldPath = p } } }
        }
    }
}

func runQuery(_ service: FirestoreService, _ q: SQ, parent: String = rootName, analyze: Bool = false) async throws
    -> QueryResponses
{
    try await service.runQuery(
        .with {
            $0.parent = parent
            $0.structuredQuery = q
            if analyze { $0.explainOptions.analyze = true }
        }, context: admin)
}

/// The returned documents' paths below the root.
func paths(_ responses: QueryResponses) -> [String] {
    responses.filter(\.hasDocument).map { String($0.document.name.dropFirst(rootName.count + 1)) }
}

/// `documents_scanned` from the last response's analysed explain metrics.
func documentsScanned(_ responses: QueryResponses) -> Int? {
    responses.last.flatMap { Int($0.explainMetrics.executionStats.debugStats.fields["documents_scanned"]?.stringValue ?? "") }
}

/// Commits the writes through the service in batches of 500.
func commitAll(_ service: FirestoreService, _ writes: [Google_Firestore_V1_Write]) async throws {
    for start in stride(from: 0, to: writes.count, by: 500) {
        let batch = Array(writes[start..<min(start + 500, writes.count)])
        _ = try await service.commit(.with { $0.database = testDB.resourceName; $0.writes = batch }, context: admin)
    }
}

@Suite("Query execution")
struct QueryExecutionTests {
    /// items/d0000…d1999 with n = i, g = i % 10 (200 each), h = i % 4 (500 each), tags = ["t" + i % 7].
    func fillItems(_ service: FirestoreService) async throws {
        try await commitAll(service, (0..<2000).map { i in
            update("items/" + Self.id(i), [
                "n": .integer(Int64(i)), "g": .integer(Int64(i % 10)), "h": .integer(Int64(i % 4)),
                "tags": .array([.string("t\(i % 7)")]),
            ])
        })
    }

    static func id(_ i: Int) -> String { "d" + String(repeating: "0", count: 4 - String(i).count) + String(i) }
    static func items(_ numbers: some Sequence<Int>) -> [String] { numbers.map { "items/" + id($0) } }

    // MARK: index use without scanning

    @Test func equalityWithLimitReadsOnlyTheReturnedDocuments() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let q = Q.query("items", where: Q.field("g", .equal, .integer(3)), limit: 20)
            let responses = try await runQuery(service, q, analyze: true)
            #expect(paths(responses) == Self.items(stride(from: 3, to: 200, by: 10)))
            #expect(documentsScanned(responses) == 20)
        }
    }

    @Test func rangeOrderedByItsFieldWithLimitReadsOnlyTheReturnedDocuments() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let q = Q.query("items", where: Q.field("n", .greaterThanOrEqual, .integer(1000)), orderBy: ["n"], limit: 20)
            let responses = try await runQuery(service, q, analyze: true)
            #expect(paths(responses) == Self.items(1000..<1020))
            #expect(documentsScanned(responses) == 20)
        }
    }

    @Test func arrayContainsWithLimitReadsOnlyTheReturnedDocuments() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let q = Q.query("items", where: Q.field("tags", .arrayContains, .string("t3")), limit: 20)
            let responses = try await runQuery(service, q, analyze: true)
            #expect(paths(responses) == Self.items(stride(from: 3, to: 140, by: 7)))
            #expect(documentsScanned(responses) == 20)
        }
    }

    @Test func orderByWithLimitAndNoFilterReadsOnlyTheReturnedDocuments() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let responses = try await runQuery(service, Q.query("items", orderBy: ["-n"], limit: 20), analyze: true)
            #expect(paths(responses) == Self.items((1980..<2000).reversed()))
            #expect(documentsScanned(responses) == 20)
        }
    }

    @Test func twoEqualitiesScanNoMoreThanTheSmallerCandidateSet() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            // h == 1 has 500 candidates, g == 3 has 200; both hold for i % 20 == 13.
            let filter = Q.and(Q.field("h", .equal, .integer(1)), Q.field("g", .equal, .integer(3)))
            let responses = try await runQuery(service, Q.query("items", where: filter), analyze: true)
            #expect(paths(responses) == Self.items(stride(from: 13, to: 2000, by: 20)))
            let scanned = try #require(documentsScanned(responses))
            #expect(scanned <= 200)
        }
    }

    @Test func anOffsetOnAnIndexStreamSkipsOnlyMatchingDocuments() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let q = Q.query("items", where: Q.field("g", .equal, .integer(3)), offset: 5, limit: 2)
            let responses = try await runQuery(service, q, analyze: true)
            #expect(paths(responses) == ["items/d0053", "items/d0063"])
            #expect(responses[0].skippedResults == 5)
            #expect(documentsScanned(responses) == 7)
        }
    }

    @Test func aRangeOrderedByAnotherFieldSortsByThatFieldThenTheRangeField() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let q = Q.query("items", where: Q.field("n", .greaterThanOrEqual, .integer(1992)), orderBy: ["h"])
            #expect(paths(try await runQuery(service, q)) == Self.items([1992, 1996, 1993, 1997, 1994, 1998, 1995, 1999]))
        }
    }

    @Test func explainWithoutAnalyzeNamesTheIndexAndReadsNothing() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let responses = try await service.runQuery(
                .with {
                    $0.parent = rootName
                    $0.structuredQuery = Q.query("items", where: Q.field("g", .equal, .integer(3)))
                    $0.explainOptions.analyze = false
                }, context: admin)
            #expect(responses.count == 1 && !responses[0].hasDocument)
            let metrics = responses[0].explainMetrics
            #expect(!metrics.hasExecutionStats)
            #expect(metrics.planSummary.indexesUsed.map { $0.fields["properties"]?.stringValue } == ["(g ASC, __name__ ASC)"])
            #expect(metrics.planSummary.indexesUsed.map { $0.fields["query_scope"]?.stringValue } == ["Collection"])
        }
    }

    @Test func countWithAnEqualityIsAnsweredFromTheIndexWithoutReadingDocuments() async throws {
        try await withService { service, _ in
            try await fillItems(service)
            let responses = try await service.runAggregationQuery(
                .with {
                    $0.parent = rootName
                    $0.structuredAggregationQuery = .with {
                        $0.structuredQuery = Q.query("items", where: Q.field("g", .equal, .integer(3)))
                        $0.aggregations = [.with { $0.alias = "n"; $0.count = .init() }]
                    }
                    $0.explainOptions.analyze = true
                }, context: admin)
            let last = try #require(responses.last)
            #expect(last.result.aggregateFields["n"] == .integer(200))
            #expect(last.explainMetrics.executionStats.debugStats.fields["documents_scanned"]?.stringValue == "0")
        }
    }

    // MARK: OR

    @Test func anOrQueryReturnsTheUnionWithoutDuplicates() async throws {
        try await withService { service, _ in
            try await commitAll(service, [
                update("c/1", ["a": .integer(1), "b": .integer(1)]), update("c/2", ["a": .integer(1)]),
                update("c/3", ["b": .integer(1)]), update("c/4", ["a": .integer(2), "b": .integer(2)]),
            ])
            let filter = Q.or(Q.field("a", .equal, .integer(1)), Q.field("b", .equal, .integer(1)))
            #expect(paths(try await runQuery(service, Q.query("c", where: filter))) == ["c/1", "c/2", "c/3"])
        }
    }

    @Test func arrayContainsAnyReturnsEachMatchingDocumentOnce() async throws {
        try await withService { service, _ in
            try await commitAll(service, [
                update("c/1", ["t": .array([.string("a"), .string("b")])]), update("c/2", ["t": .array([.string("b")])]),
                update("c/3", ["t": .array([.string("c")])]), update("c/4", ["t": .string("a")]),
            ])
            let filter = Q.field("t", .arrayContainsAny, .array([.string("b"), .string("a")]))
            #expect(paths(try await runQuery(service, Q.query("c", where: filter))) == ["c/1", "c/2"])
            #expect(paths(try await runQuery(service, Q.query("c", where: filter, limit: 5))) == ["c/1", "c/2"])
        }
    }

    @Test func anOrQueryFollowsTheRequestedOrderAndLimit() async throws {
        try await withService { service, _ in
            try await commitAll(service, (0..<10).map { update("c/\($0)", ["n": .integer(Int64($0))]) })
            let filter = Q.or(Q.field("n", .lessThan, .integer(3)), Q.field("n", .greaterThan, .integer(7)))
            let q = Q.query("c", where: filter, orderBy: ["-n"], limit: 4)
            #expect(paths(try await runQuery(service, q)) == ["c/9", "c/8", "c/2", "c/1"])
        }
    }

    // MARK: offset, limit, projection

    func fillTen(_ service: FirestoreService) async throws {
        try await commitAll(service, (0..<10).map { update("c/\($0)", ["n": .integer(Int64($0))]) })
    }

    @Test func offsetSkipsDocumentsAndReportsThemOnTheFirstResponse() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            let responses = try await runQuery(service, Q.query("c", orderBy: ["n"], offset: 3, limit: 4))
            #expect(paths(responses) == ["c/3", "c/4", "c/5", "c/6"])
            #expect(responses.map(\.skippedResults) == [3, 0, 0, 0])
            #expect(responses.map(\.done) == [false, false, false, true])
        }
    }

    @Test func anOffsetPastTheEndAnswersOneDoneResponseWithTheSkippedCount() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            let responses = try await runQuery(service, Q.query("c", offset: 20))
            #expect(responses.count == 1)
            #expect(!responses[0].hasDocument)
            #expect(responses[0].skippedResults == 10)
            #expect(responses[0].done)
        }
    }

    @Test func limitZeroReturnsNoDocuments() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            let responses = try await runQuery(service, Q.query("c", limit: 0))
            #expect(paths(responses) == [])
            #expect(responses.count == 1 && responses[0].done)
        }
    }

    @Test func selectReturnsOnlyTheSelectedFields() async throws {
        try await withService { service, _ in
            let m: FirestoreValue = .map(["x": .integer(1), "y": .integer(2)])
            try await commit(service, update("c/1", ["a": .integer(1), "b": .integer(2), "m": m]))
            let responses = try await runQuery(service, Q.query("c", select: ["a", "m.x", "absent"]))
            #expect(responses.first?.document.fields == ["a": .integer(1), "m": .map(["x": .integer(1)])])
        }
    }

    @Test func selectWithNoFieldsReturnsNamesOnly() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/1", ["a": .integer(1)]))
            let responses = try await runQuery(service, Q.query("c", select: []))
            #expect(paths(responses) == ["c/1"])
            #expect(responses.first?.document.fields == [:])
        }
    }
}
