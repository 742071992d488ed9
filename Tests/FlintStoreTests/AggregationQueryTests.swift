import FlintCore
import FlintProto
import FlintService
import FlintTesting
import Testing

typealias AggregationProto = Google_Firestore_V1_StructuredAggregationQuery.Aggregation

@Suite("Aggregation queries")
struct AggregationQueryTests {
    static func count(_ alias: String = "", upTo: Int64? = nil) -> AggregationProto {
        .with {
            $0.alias = alias
            $0.count = .init()
            if let upTo { $0.count.upTo.value = upTo }
        }
    }
    static func sum(_ field: String, _ alias: String = "") -> AggregationProto {
        .with { $0.alias = alias; $0.sum.field.fieldPath = field }
    }
    static func avg(_ field: String, _ alias: String = "") -> AggregationProto {
        .with { $0.alias = alias; $0.avg.field.fieldPath = field }
    }

    /// Runs the aggregations over `query` and answers the result's fields by alias.
    func aggregate(
        _ service: FirestoreService, _ aggregations: [AggregationProto], over query: SQ = Q.query("c")
    ) async throws -> [String: FirestoreValue] {
        let responses = try await service.runAggregationQuery(
            .with {
                $0.parent = rootName
                $0.structuredAggregationQuery = .with { $0.structuredQuery = query; $0.aggregations = aggregations }
            }, context: admin)
        #expect(responses.count == 1)
        return try #require(responses.last).result.aggregateFields
    }

    /// Documents c/0, c/1, … holding `v` = each value (nil: no `v`, only `w`).
    func fill(_ service: FirestoreService, _ values: [FirestoreValue?]) async throws {
        try await commitAll(service, values.enumerated().map { i, v in update("c/\(i)", v.map { ["v": $0] } ?? ["w": .integer(1)]) })
    }

    // MARK: count

    @Test func countCountsEveryDocumentOfTheQuery() async throws {
        try await withService { service, _ in
            try await fill(service, (0..<10).map { .integer(Int64($0)) })
            #expect(try await aggregate(service, [Self.count("n")]) == ["n": .integer(10)])
        }
    }

    @Test func countUpToCapsTheCountButNeverRaisesIt() async throws {
        try await withService { service, _ in
            try await fill(service, (0..<10).map { .integer(Int64($0)) })
            let result = try await aggregate(service, [Self.count("low", upTo: 3), Self.count("high", upTo: 20)])
            #expect(result == ["low": .integer(3), "high": .integer(10)])
        }
    }

    @Test func countHonoursTheFilterAndLimit() async throws {
        try await withService { service, _ in
            try await fill(service, (0..<10).map { .integer(Int64($0)) })
            let filtered = Q.query("c", where: Q.field("v", .greaterThanOrEqual, .integer(4)))
            #expect(try await aggregate(service, [Self.count("n")], over: filtered) == ["n": .integer(6)])
            let limited = Q.query("c", where: Q.field("v", .greaterThanOrEqual, .integer(4)), limit: 2)
            #expect(try await aggregate(service, [Self.count("n")], over: limited) == ["n": .integer(2)])
        }
    }

    @Test func countOfAnEmptyCollectionIsZero() async throws {
        try await withService { service, _ in
            let result = try await aggregate(service, [Self.count("n")])
            #expect(result == ["n": .integer(0)])
        }
    }

    // MARK: sum

    @Test func sumOfIntegersIsAnInteger() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(1), .integer(2), .integer(3), .integer(4)])
            #expect(try await aggregate(service, [Self.sum("v", "s")]) == ["s": .integer(10)])
        }
    }

    @Test func sumWithAnyDoubleIsADouble() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(1), .integer(2), .double(0.5)])
            #expect(try await aggregate(service, [Self.sum("v", "s")]) == ["s": .double(3.5)])
        }
    }

    @Test func sumOfWholeDoublesStaysADouble() async throws {
        try await withService { service, _ in
            try await fill(service, [.double(1), .double(2)])
            #expect(try await aggregate(service, [Self.sum("v", "s")]) == ["s": .double(3)])
        }
    }

    @Test func sumOverflowingInt64BecomesADouble() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(.max), .integer(1)])
            #expect(try await aggregate(service, [Self.sum("v", "s")]) == ["s": .double(9_223_372_036_854_775_808.0)])
        }
    }

    @Test func sumOverflowIsJudgedOnTheFinalTotal() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(.max), .integer(1), .integer(-1)])
            #expect(try await aggregate(service, [Self.sum("v", "s")]) == ["s": .integer(.max)])
        }
    }

    @Test func sumSkipsNonNumbersAndIsZeroWithoutAny() async throws {
        try await withService { service, _ in
            try await fill(service, [.string("5"), .boolean(true), .null, nil])
            #expect(try await aggregate(service, [Self.sum("v", "s")]) == ["s": .integer(0)])
        }
    }

    @Test func sumWithNaNIsNaN() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(1), .double(.nan), .double(2)])
            let s = try #require(try await aggregate(service, [Self.sum("v", "s")])["s"])
            #expect(s.isNaN)
        }
    }

    // MARK: avg

    @Test func avgIsADoubleEvenOverIntegers() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(1), .integer(2), .string("x"), nil])
            #expect(try await aggregate(service, [Self.avg("v", "a")]) == ["a": .double(1.5)])
        }
    }

    @Test func avgOfNothingIsNull() async throws {
        try await withService { service, _ in
            try await fill(service, [.string("x"), nil])
            #expect(try await aggregate(service, [Self.avg("v", "a")]) == ["a": .null])
        }
    }

    @Test func avgWithNaNIsNaN() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(1), .double(.nan)])
            let a = try #require(try await aggregate(service, [Self.avg("v", "a")])["a"])
            #expect(a.isNaN)
        }
    }

    // MARK: the request as a whole

    @Test func aggregatedFieldsActAsExistenceFiltersForEveryAggregation() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(1), .integer(2), nil, nil])
            let result = try await aggregate(service, [Self.count("n"), Self.sum("v", "s")])
            #expect(result == ["n": .integer(2), "s": .integer(3)])
        }
    }

    @Test func underALimitAggregatedFieldsOrderTheDocumentsBeforeTheLimitApplies() async throws {
        try await withService { service, _ in
            try await fill(service, [nil, .integer(5), .integer(1), .integer(3)])
            let result = try await aggregate(service, [Self.sum("v", "s"), Self.count("n")], over: Q.query("c", limit: 2))
            #expect(result == ["s": .integer(4), "n": .integer(2)])
        }
    }

    @Test func unaliasedAggregationsAreNumberedInOrder() async throws {
        try await withService { service, _ in
            try await fill(service, [.integer(2), .integer(4)])
            let result = try await aggregate(service, [Self.count(), Self.sum("v", "total"), Self.avg("v")])
            #expect(result == ["field_1": .integer(2), "total": .integer(6), "field_2": .double(3)])
        }
    }

    @Test func sixAggregationsAreRejected() async throws {
        try await withService { service, _ in
            let error = await expectFirestoreError(.invalidArgument) {
                _ = try await aggregate(service, (1...6).map { Self.count("c\($0)") })
            }
            #expect(error?.message == "Too many aggregations: 6 were given, at most 5 are allowed per query.")
        }
    }
}
