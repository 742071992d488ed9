import FlintCore
import FlintProto
import FlintService
import Foundation
import Testing

@Suite("Query ordering and cursors in execution")
struct QueryOrderingTests {
    static func ref(_ p: String) -> FirestoreValue { .with { $0.referenceValue = docName(p) } }

    /// Values in Firestore's order, across and within types.
    static let ladder: [FirestoreValue] = [
        .null, .boolean(false), .boolean(true), .double(.nan), .double(-.infinity), .double(4.5), .integer(5),
        .double(5.5), .double(9_007_199_254_740_992), .integer(9_007_199_254_740_993), .double(.infinity),
        .timestamp(.init(seconds: 0, nanos: 0)), .timestamp(.init(seconds: 1, nanos: 1000)), .string(""), .string("a"),
        .string("z"), .string("\u{FF61}"), .string("\u{1F600}"), .with { $0.bytesValue = Data() },
        .with { $0.bytesValue = Data([0]) }, ref("c/a"), ref("c/a/s/x"), ref("c/b"),
        .with { $0.geoPointValue.latitude = -90 }, .with { $0.geoPointValue.latitude = 0 }, .array([]), .array([.null]),
        .array([.integer(1)]), .array([.integer(1), .integer(2)]),
        .map(["__type__": .string("__vector__"), "value": .array([.double(9)])]),
        .map(["__type__": .string("__vector__"), "value": .array([.double(1), .double(2)])]),
        .map([:]), .map(["a": .integer(1)]), .map(["b": .integer(0)]),
    ]

    /// Document ids run against the value order, so a key-ordered result cannot pass.
    static func id(_ i: Int) -> String { String(format: "v%02d", ladder.count - 1 - i) }
    static let ladderPaths = ladder.indices.map { "q/" + id($0) }

    func fillLadder(_ service: FirestoreService) async throws {
        var writes = Self.ladder.enumerated().map { i, v in update("q/" + Self.id(i), ["v": v]) }
        writes.append(update("q/nov", ["other": .integer(1)]))
        try await commitAll(service, writes)
    }

    // MARK: cross-type order

    @Test func orderingInMemoryFollowsTheValueOrderAndLeavesOutDocumentsWithoutTheField() async throws {
        try await withService { service, _ in
            try await fillLadder(service)
            #expect(paths(try await runQuery(service, Q.query("q", orderBy: ["v"]))) == Self.ladderPaths)
        }
    }

    @Test func orderingThroughTheIndexFollowsTheValueOrder() async throws {
        try await withService { service, _ in
            try await fillLadder(service)
            #expect(paths(try await runQuery(service, Q.query("q", orderBy: ["v"], limit: 100))) == Self.ladderPaths)
        }
    }

    @Test func descendingOrderingThroughTheIndexIsTheExactReverse() async throws {
        try await withService { service, _ in
            try await fillLadder(service)
            let responses = try await runQuery(service, Q.query("q", orderBy: ["-v"], limit: 100))
            #expect(paths(responses) == Self.ladderPaths.reversed())
        }
    }

    @Test func notEqualResultsComeInTheFieldsOrderWithNaNIncluded() async throws {
        try await withService { service, _ in
            try await fillLadder(service)
            let expected = Self.ladderPaths.enumerated().filter { $0.offset != 0 && $0.offset != 6 }.map(\.element)
            let filter = Q.field("v", .notEqual, .double(5))
            #expect(paths(try await runQuery(service, Q.query("q", where: filter))) == expected)
            #expect(paths(try await runQuery(service, Q.query("q", where: filter, limit: 100))) == expected)
        }
    }

    @Test func rangeFiltersInExecutionStayWithinOneType() async throws {
        try await withService { service, _ in
            try await fillLadder(service)
            let numbers = Q.query("q", where: Q.field("v", .greaterThan, .integer(5)))
            #expect(paths(try await runQuery(service, numbers)) == Array(Self.ladderPaths[7...10]))
            let strings = Q.query("q", where: Q.field("v", .lessThan, .string("\u{1F600}")))
            #expect(paths(try await runQuery(service, strings)) == Array(Self.ladderPaths[13...16]))
        }
    }

    @Test func largeIntegersAndDoublesCompareExactlyInIndexFilters() async throws {
        try await withService { service, _ in
            try await fillLadder(service)
            let q = Q.query("q", where: Q.field("v", .greaterThan, .double(9_007_199_254_740_992)))
            #expect(paths(try await runQuery(service, q)) == [Self.ladderPaths[9], Self.ladderPaths[10]])
            let eq = Q.query("q", where: Q.field("v", .equal, .integer(9_007_199_254_740_992)))
            #expect(paths(try await runQuery(service, eq)) == [Self.ladderPaths[8]])
        }
    }

    @Test func unaryFiltersInExecutionUseTheNullAndNaNEntries() async throws {
        try await withService { service, _ in
            try await fillLadder(service)
            func run(_ op: SQ.UnaryFilter.Operator) async throws -> [String] {
                let filter: SQ.Filter = .with { $0.unaryFilter = .with { $0.field.fieldPath = "v"; $0.op = op } }
                return paths(try await runQuery(service, Q.query("q", where: filter)))
            }
            #expect(try await run(.isNull) == [Self.ladderPaths[0]])
            #expect(try await run(.isNan) == [Self.ladderPaths[3]])
            #expect(try await run(.isNotNull) == Array(Self.ladderPaths.dropFirst()))
            #expect(try await run(.isNotNan) == Self.ladderPaths.enumerated().filter { $0.offset != 0 && $0.offset != 3 }.map(\.element))
        }
    }

    // MARK: cursors

    func fillTen(_ service: FirestoreService) async throws {
        try await commitAll(service, (0..<10).map { update("c/\($0)", ["n": .integer(Int64(9 - $0))]) })
    }

    func cursor(_ values: FirestoreValue..., before: Bool) -> Google_Firestore_V1_Cursor {
        .with { $0.values = values; $0.before = before }
    }

    @Test func startAfterAndEndAtBoundTheResultInMemory() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            var q = Q.query("c", orderBy: ["n"])
            q.startAt = cursor(.integer(3), before: false)
            q.endAt = cursor(.integer(6), before: false)
            #expect(paths(try await runQuery(service, q)) == ["c/5", "c/4", "c/3"])
        }
    }

    @Test func startAtAndEndBeforeBoundAStreamedResult() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            var q = Q.query("c", orderBy: ["n"], limit: 5)
            q.startAt = cursor(.integer(3), before: true)
            q.endAt = cursor(.integer(6), before: true)
            #expect(paths(try await runQuery(service, q)) == ["c/6", "c/5", "c/4"])
        }
    }

    @Test func descendingCursorsCountDownFromTheStart() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            var q = Q.query("c", orderBy: ["-n"], limit: 3)
            q.startAt = cursor(.integer(7), before: false)
            #expect(paths(try await runQuery(service, q)) == ["c/3", "c/4", "c/5"])
        }
    }

    @Test func aNameCursorResumesAKeyScan() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            var q = Q.query("c", orderBy: ["__name__"], limit: 2)
            q.startAt = cursor(Self.ref("c/3"), before: false)
            #expect(paths(try await runQuery(service, q)) == ["c/4", "c/5"])
        }
    }

    @Test func aCursorOnAFieldAndTheNameSplitsTies() async throws {
        try await withService { service, _ in
            try await commitAll(service, ["a", "b", "c", "d"].map { update("t/" + $0, ["k": .integer(1)]) })
            var q = Q.query("t", orderBy: ["k", "__name__"], limit: 10)
            q.startAt = cursor(.integer(1), Self.ref("t/b"), before: false)
            #expect(paths(try await runQuery(service, q)) == ["t/c", "t/d"])
        }
    }

    @Test func anInQueryWithOrderAndLimitMergesItsRangesInOrder() async throws {
        try await withService { service, _ in
            try await fillTen(service)
            let filter = Q.field("n", .in, .array([.integer(8), .integer(1), .integer(5)]))
            let q = Q.query("c", where: filter, orderBy: ["-n"], limit: 2)
            #expect(paths(try await runQuery(service, q)) == ["c/1", "c/4"])
        }
    }
}
