import FlintCore
import FlintProto
import FlintService
import FlintTesting
import Foundation
import Testing

typealias FindNearest = SQ.FindNearest

/// Vector values and findNearest queries for the execution tests.
enum N {
    static func vector(_ v: Double...) -> FirestoreValue { vector(v) }
    static func vector(_ v: [Double]) -> FirestoreValue {
        .map(["__type__": .string("__vector__"), "value": .array(v.map { .double($0) })])
    }

    static func query(
        _ collection: String = "c", field: String = "v", vector: [Double] = [1, 0], measure: FindNearest.DistanceMeasure = .euclidean,
        limit: Int32 = 10, resultField: String = "dist", threshold: Double? = nil, where filter: SQ.Filter? = nil,
        orderBy: [String] = [], allDescendants: Bool = false, select: [String]? = nil
    ) -> SQ {
        var q = Q.query(collection, allDescendants: allDescendants, where: filter, orderBy: orderBy, select: select)
        q.findNearest = .with {
            $0.vectorField.fieldPath = field
            $0.queryVector = N.vector(vector)
            $0.distanceMeasure = measure
            $0.limit.value = limit
            $0.distanceResultField = resultField
            if let threshold { $0.distanceThreshold.value = threshold }
        }
        return q
    }
}

/// The returned documents as (path, distance at `dist`).
func ranked(_ responses: QueryResponses, field: String = "dist") -> [String] {
    responses.filter(\.hasDocument).map { r in
        let id = String(r.document.name.dropFirst(rootName.count + 1))
        guard case .doubleValue(let d)? = r.document.fields[field]?.valueType else { return id }
        return "\(id)=\(d.isNaN ? "nan" : "\(d)")"
    }
}

@Suite("findNearest execution")
struct VectorSearchExecutionTests {
    /// The official emulator's probe set: c/a…c/k with vectors, non-vectors and a zero vector.
    func fillProbe(_ service: FirestoreService) async throws {
        try await commitAll(service, [
            update("c/a", ["v": N.vector(1, 0), "cat": .string("x"), "n": .integer(1)]),
            update("c/b", ["v": N.vector(0, 1), "cat": .string("y"), "n": .integer(2)]),
            update("c/c", ["v": N.vector(1, 1), "cat": .string("x"), "n": .integer(3)]),
            update("c/d", ["v": N.vector(2, 2), "cat": .string("x"), "n": .integer(4)]),
            update("c/e", ["v": N.vector(1, 2, 3), "cat": .string("x")]),  // another dimension
            update("c/f", ["v": .array([.double(1), .double(0)]), "cat": .string("x")]),  // an array, not a vector
            update("c/g", ["v": .string("hello"), "cat": .string("x")]),
            update("c/h", ["cat": .string("x")]),  // no vector
            update("c/i", ["v": N.vector(-1, 0), "cat": .string("y")]),
            update("c/j", ["v": N.vector(3, 4), "cat": .string("z")]),
            update("c/k", ["v": N.vector(0, 0), "cat": .string("x")]),  // no direction
        ])
    }

    // MARK: measures (the official emulator's answers for the probe set)

    @Test func euclideanRanksNearestFirstAndTiesByName() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let result = ranked(try await runQuery(service, N.query()))
            #expect(result == ["c/a=0.0", "c/c=1.0", "c/k=1.0", "c/b=1.4142135623730951", "c/i=2.0", "c/d=2.23606797749979",
                               "c/j=4.47213595499958"])
        }
    }

    @Test func cosineRanksAZeroVectorLastWithNaN() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let result = ranked(try await runQuery(service, N.query(measure: .cosine)))
            #expect(result.prefix(6) == ["c/a=0.0", "c/c=0.29289321881345254", "c/d=0.29289321881345254", "c/j=0.4", "c/b=1.0", "c/i=2.0"])
            #expect(result.last == "c/k=nan")
        }
    }

    @Test func dotProductRanksLargestFirst() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let result = ranked(try await runQuery(service, N.query(measure: .dotProduct)))
            #expect(result == ["c/j=3.0", "c/d=2.0", "c/a=1.0", "c/c=1.0", "c/b=0.0", "c/k=0.0", "c/i=-1.0"])
        }
    }

    @Test func documentsWithoutAVectorOfTheQueryDimensionAreSkipped() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let ids = paths(try await runQuery(service, N.query(limit: 1000)))
            #expect(Set(ids).isDisjoint(with: ["c/e", "c/f", "c/g", "c/h"]))
            #expect(paths(try await runQuery(service, N.query(vector: [1, 2, 3]))) == ["c/e"])
            #expect(paths(try await runQuery(service, N.query(vector: [1, 2, 3, 4]))).isEmpty)
        }
    }

    // MARK: limit, threshold, result field

    @Test func theLimitKeepsOnlyTheNearest() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            #expect(paths(try await runQuery(service, N.query(limit: 1))) == ["c/a"])
            #expect(paths(try await runQuery(service, N.query(limit: 3))) == ["c/a", "c/c", "c/k"])
        }
    }

    @Test func aLimitOfOneThousandReturnsOneThousandOfMore() async throws {
        try await withService { service, _ in
            try await commitAll(service, (0..<1200).map { i in update("m/\(i)", ["v": N.vector(Double(i), 0)]) })
            let ids = paths(try await runQuery(service, N.query("m", vector: [0, 0], limit: 1000, resultField: "")))
            #expect(ids.count == 1000)
            #expect(ids.first == "m/0")
            #expect(ids.last == "m/999")
        }
    }

    @Test func thresholdsKeepCloseDistancesAndLargeDotProducts() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            #expect(paths(try await runQuery(service, N.query(threshold: 1))) == ["c/a", "c/c", "c/k"])
            #expect(paths(try await runQuery(service, N.query(measure: .cosine, threshold: 0.3))) == ["c/a", "c/c", "c/d"])
            #expect(paths(try await runQuery(service, N.query(measure: .dotProduct, threshold: 1))) == ["c/j", "c/d", "c/a", "c/c"])
            #expect(paths(try await runQuery(service, N.query(threshold: -1))).isEmpty)
        }
    }

    @Test func aCosineThresholdLeavesOutAZeroVector() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let ids = paths(try await runQuery(service, N.query(measure: .cosine, threshold: 2)))
            #expect(ids.count == 6)
            #expect(!ids.contains("c/k"))
        }
    }

    @Test func withoutAResultFieldTheDocumentsAreAsStored() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let responses = try await runQuery(service, N.query(limit: 1, resultField: ""))
            let found = responses.first { $0.hasDocument }
            let doc = try #require(found).document
            #expect(Set(doc.fields.keys) == ["v", "cat", "n"])
        }
    }

    @Test func theResultFieldIsAFieldPathAndReplacesAStoredValue() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let nested = try await runQuery(service, N.query(limit: 2, resultField: "cat.d"))
            #expect(nested.first?.document.fields["cat"] == .map(["d": .double(0)]))
            let replaced = try await runQuery(service, N.query(limit: 2, resultField: "n"))
            #expect(ranked(replaced, field: "n") == ["c/a=0.0", "c/c=1.0"])
            // The stored document is untouched.
            #expect(try await fetch(service, "c/a")?.fields["n"] == .integer(1))
        }
    }

    @Test func aProjectionKeepsTheDistanceOnlyWhenItSelectsIt() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let without = try await runQuery(service, N.query(limit: 1, select: ["n"]))
            #expect(without.first?.document.fields == ["n": .integer(1)])
            let with = try await runQuery(service, N.query(limit: 1, select: ["dist"]))
            #expect(with.first?.document.fields == ["dist": .double(0)])
        }
    }

    // MARK: pre-filters and orders

    @Test func whereFiltersChooseTheCandidates() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let x = try await runQuery(service, N.query(where: Q.field("cat", .equal, .string("x"))))
            #expect(paths(x) == ["c/a", "c/c", "c/k", "c/d"])
            let either = Q.or(Q.field("cat", .equal, .string("y")), Q.field("n", .equal, .integer(4)))
            #expect(paths(try await runQuery(service, N.query(where: either))) == ["c/b", "c/i", "c/d"])
            let range = try await runQuery(service, N.query(where: Q.field("n", .greaterThan, .integer(1))))
            #expect(paths(range) == ["c/c", "c/b", "c/d"])
            let notX = try await runQuery(service, N.query(where: Q.field("cat", .notEqual, .string("x"))))
            #expect(paths(notX) == ["c/b", "c/i", "c/j"])
            let inList = Q.field("cat", .in, .array([.string("y"), .string("z")]))
            #expect(paths(try await runQuery(service, N.query(where: inList))) == ["c/b", "c/i", "c/j"])
        }
    }

    @Test func anOrderByRequiresItsFieldAndBreaksTies() async throws {
        try await withService { service, _ in
            try await commitAll(service, [
                update("t/a", ["v": N.vector(1, 0), "n": .integer(1)]),
                update("t/b", ["v": N.vector(0, 1), "n": .integer(2)]),
                update("t/c", ["v": N.vector(0, -1), "n": .integer(3)]),
                update("t/d", ["v": N.vector(-1, 0), "n": .integer(2)]),
                update("t/e", ["v": N.vector(-1, 0), "n": .integer(5)]),
                update("t/f", ["v": N.vector(1, 0)]),
            ])
            // The official emulator's answers.
            #expect(paths(try await runQuery(service, N.query("t"))) == ["t/a", "t/f", "t/b", "t/c", "t/d", "t/e"])
            #expect(paths(try await runQuery(service, N.query("t", orderBy: ["-n"]))) == ["t/a", "t/c", "t/b", "t/e", "t/d"])
            #expect(paths(try await runQuery(service, N.query("t", orderBy: ["n"]))) == ["t/a", "t/b", "t/c", "t/d", "t/e"])
            let dot = try await runQuery(service, N.query("t", measure: .dotProduct, orderBy: ["-n"]))
            #expect(paths(dot) == ["t/a", "t/c", "t/b", "t/e", "t/d"])
            #expect(paths(try await runQuery(service, N.query("t", orderBy: ["missing"]))).isEmpty)
        }
    }

    @Test func aPreFilterReadsOnlyItsCandidates() async throws {
        try await withService { service, _ in
            try await commitAll(service, (0..<1000).map { i in
                update("p/\(i)", ["v": N.vector(Double(i), 1), "g": .integer(Int64(i % 10))])
            })
            let q = N.query("p", vector: [500, 1], limit: 3, resultField: "", where: Q.field("g", .equal, .integer(7)))
            let responses = try await runQuery(service, q, analyze: true)
            #expect(paths(responses) == ["p/497", "p/507", "p/487"])
            #expect(documentsScanned(responses) == 100)
        }
    }

    @Test func aCollectionGroupSearchesEveryCollectionOfTheGroup() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            try await commit(service, update("c/a/c/s1", ["v": N.vector(1, 0.5)]), update("o/x/c/s2", ["v": N.vector(1, 0.25)]))
            let all = try await runQuery(service, N.query(limit: 4, allDescendants: true))
            #expect(ranked(all) == ["c/a=0.0", "o/x/c/s2=0.25", "c/a/c/s1=0.5", "c/c=1.0"])
            let below = try await runQuery(service, N.query(limit: 4, allDescendants: true), parent: docName("c/a"))
            #expect(paths(below) == ["c/a/c/s1"])
        }
    }

    @Test func aNestedVectorFieldIsSearched() async throws {
        try await withService { service, _ in
            try await commit(service, update("n/1", ["m": .map(["v": N.vector(0, 1)])]), update("n/2", ["m": .map(["v": N.vector(1, 1)])]))
            #expect(ranked(try await runQuery(service, N.query("n", field: "m.v"))) == ["n/2=1.0", "n/1=1.4142135623730951"])
        }
    }

    // MARK: errors through the service

    @Test func badClausesAreInvalidArguments() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            var offset = N.query()
            offset.offset = 1
            let error = await expectFirestoreError(.invalidArgument) { _ = try await runQuery(service, offset) }
            #expect(error?.message == "A query offset cannot be used with FindNearest")
            await expectFirestoreError(.invalidArgument) { _ = try await runQuery(service, N.query(limit: 1001)) }
        }
    }

    // MARK: aggregations, transactions and past reads

    @Test func anAggregationRunsOverTheNearestDocuments() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            func aggregate(_ q: SQ, _ a: Google_Firestore_V1_StructuredAggregationQuery.Aggregation) async throws -> FirestoreValue? {
                let responses = try await service.runAggregationQuery(
                    .with {
                        $0.parent = rootName
                        $0.structuredAggregationQuery = .with { $0.structuredQuery = q; $0.aggregations = [a] }
                    }, context: admin)
                return responses.last?.result.aggregateFields["x"]
            }
            let count = Google_Firestore_V1_StructuredAggregationQuery.Aggregation.with { $0.alias = "x"; $0.count = .init() }
            #expect(try await aggregate(N.query(limit: 3), count) == .integer(3))
            #expect(try await aggregate(N.query(threshold: 1), count) == .integer(3))
            // sum(n) only sees candidates that have n (a, c, b nearest), and not the distance written over n.
            let sum = Google_Firestore_V1_StructuredAggregationQuery.Aggregation.with { $0.alias = "x"; $0.sum.field.fieldPath = "n" }
            #expect(try await aggregate(N.query(limit: 3, resultField: "n"), sum) == .integer(6))
        }
    }

    @Test func aSearchAtAPastReadTimeSeesTheVectorsOfThen() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let before = try await commit(service, update("c/z", ["v": N.vector(5, 5)])).commitTime
            try await commit(service, update("c/z", ["v": N.vector(1, 0)]))
            let now = try await runQuery(service, N.query(limit: 2, resultField: ""))
            #expect(paths(now) == ["c/a", "c/z"])
            let then = try await service.runQuery(
                .with {
                    $0.parent = rootName
                    $0.structuredQuery = N.query(limit: 2, resultField: "")
                    $0.readTime = before
                }, context: admin)
            #expect(paths(then) == ["c/a", "c/c"])
        }
    }

    @Test func aSearchInATransactionIsValidatedAtCommit() async throws {
        try await withService { service, _ in
            try await fillProbe(service)
            let transaction = try await service.beginTransaction(.with { $0.database = testDB.resourceName }, context: admin).transaction
            let read = try await service.runQuery(
                .with {
                    $0.parent = rootName
                    $0.structuredQuery = N.query(limit: 2)
                    $0.transaction = transaction
                }, context: admin)
            #expect(paths(read) == ["c/a", "c/c"])
            // A new nearest neighbour appears before the transaction commits: a phantom.
            try await commit(service, update("c/new", ["v": N.vector(1, 0.1)]))
            let error = await expectFirestoreError(.aborted) {
                _ = try await service.commit(
                    .with {
                        $0.database = testDB.resourceName
                        $0.transaction = transaction
                        $0.writes = [update("c/log", ["seen": .integer(2)])]
                    }, context: admin)
            }
            #expect(error != nil)
        }
    }
}
