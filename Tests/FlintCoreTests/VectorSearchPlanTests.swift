import FlintCore
import FlintProto
import FlintTesting
import Testing

typealias FindNearest = SQ.FindNearest

/// Builders for findNearest clauses and queries carrying them.
enum N {
    static func clause(
        field: String = "v", vector: FirestoreValue = V.vector(1, 0), measure: FindNearest.DistanceMeasure = .euclidean,
        limit: Int32? = 10, resultField: String = "", threshold: Double? = nil
    ) -> FindNearest {
        .with {
            $0.vectorField.fieldPath = field
            $0.queryVector = vector
            $0.distanceMeasure = measure
            if let limit { $0.limit.value = limit }
            $0.distanceResultField = resultField
            if let threshold { $0.distanceThreshold.value = threshold }
        }
    }

    static func query(_ clause: FindNearest = clause(), orderBy: [String] = [], edit: (inout SQ) -> Void = { _ in }) -> SQ {
        var q = Q.query(orderBy: orderBy)
        q.findNearest = clause
        edit(&q)
        return q
    }

    /// A vector map with the given elements (any kinds) and extra fields.
    static func vectorMap(_ elements: [FirestoreValue]?, extra: Fields = [:]) -> FirestoreValue {
        var fields: Fields = ["__type__": V.s("__vector__")]
        if let elements { fields["value"] = .array(elements) }
        fields.merge(extra) { a, _ in a }
        return .map(fields)
    }
}

@Suite("findNearest plans")
struct VectorSearchPlanTests {
    // MARK: what a valid clause becomes

    @Test func aValidClauseBecomesTheSearchOfThePlan() throws {
        let plan = try Q.plan(N.query(N.clause(field: "a.b", vector: V.vector(1, 2, 3), measure: .dotProduct, limit: 5,
                                               resultField: "dist", threshold: 0.5)))
        let search = try #require(plan.nearest)
        #expect(search.field == FieldPath(["a", "b"]))
        #expect(search.queryVector == [1, 2, 3])
        #expect(search.measure == .dotProduct)
        #expect(search.limit == 5)
        #expect(search.resultField == FieldPath(["dist"]))
        #expect(search.threshold == 0.5)
        #expect(plan.limit == nil)
    }

    @Test func eachDistanceMeasureIsAccepted() throws {
        let measures: [(FindNearest.DistanceMeasure, DistanceMeasure)] = [
            (.euclidean, .euclidean), (.cosine, .cosine), (.dotProduct, .dotProduct),
        ]
        for (proto, measure) in measures {
            #expect(try Q.plan(N.query(N.clause(measure: proto))).nearest?.measure == measure)
        }
    }

    @Test func limitsFromOneToOneThousandAreAccepted() throws {
        #expect(try Q.plan(N.query(N.clause(limit: 1))).nearest?.limit == 1)
        #expect(try Q.plan(N.query(N.clause(limit: 1000))).nearest?.limit == 1000)
    }

    @Test func theResultFieldIsAFieldPath() throws {
        #expect(try Q.plan(N.query(N.clause(resultField: "m.`a b`"))).nearest?.resultField == FieldPath(["m", "a b"]))
        #expect(try Q.plan(N.query(N.clause())).nearest?.resultField == nil)
    }

    @Test func aQueryVectorMayHoldNaNAndTheMaximumDimension() throws {
        #expect(try Q.plan(N.query(N.clause(vector: V.vector(.nan, 1)))).nearest?.queryVector.first?.isNaN == true)
        let big = N.vectorMap(Array(repeating: V.d(1), count: 2048))
        #expect(try Q.plan(N.query(N.clause(vector: big))).nearest?.queryVector.count == 2048)
    }

    @Test func ordersFiltersAndProjectionsMayAccompanyASearch() throws {
        let plan = try Q.plan(N.query(orderBy: ["-n"]) { q in
            q.where = Q.field("cat", .equal, V.s("x"))
            q.select.fields = [.with { $0.fieldPath = "n" }]
        })
        #expect(plan.nearest != nil)
        #expect(plan.orders.map(\.path.description) == ["n", "__name__"])
    }

    @Test func aCollectionGroupAndAKindlessQueryMaySearch() throws {
        var group = N.query()
        group.from = [.with { $0.collectionID = "c"; $0.allDescendants = true }]
        #expect(try Q.plan(group).nearest != nil)
        var kindless = N.query()
        kindless.from = [.init()]
        #expect(try Q.plan(kindless).nearest != nil)
    }

    // MARK: the clause's own errors, in the official emulator's order

    @Test func theLimitMustBeBetweenOneAndOneThousand() {
        for limit: Int32? in [nil, 0, -1, 1001] {
            let got = limit.map(String.init) ?? "none"
            expectPlanError(
                N.query(N.clause(limit: limit)),
                "FindNearest.limit must be a positive integer of no more than 1000 (got \(got)).")
        }
    }

    @Test func theDistanceMeasureMustBeGiven() {
        expectPlanError(
            N.query(N.clause(measure: .unspecified)),
            "Unknown Distance Measure. FindNearest.distanceMeasure must be EUCLIDEAN, COSINE or DOT_PRODUCT.")
    }

    @Test func theVectorFieldMustBeAFieldPath() {
        expectPlanError(N.query(N.clause(field: "")), "Invalid empty property path string. (FindNearest.vectorField)")
        expectPlanError(
            N.query(N.clause(field: "a..b")),
            "Invalid property path \"a..b\". Unquoted property paths must match regex ([a-zA-Z_][a-zA-Z_0-9]*), and quoted property paths must match regex (`(?:[^`\\\\]|(?:\\\\.))+`) (FindNearest.vectorField)"
        )
    }

    @Test func theQueryVectorMustBeAVector() {
        expectPlanError(
            N.query(N.clause(vector: V.untyped)),
            "Cannot convert firestore.v1.Value with type unset. FindNearest.queryVector is missing.")
        expectPlanError(
            N.query(N.clause(vector: V.arr(V.d(1), V.d(0)))),
            "Query Value must be of type vector. FindNearest.queryVector holds an array.")
        expectPlanError(
            N.query(N.clause(vector: V.s("x"))), "Query Value must be of type vector. FindNearest.queryVector holds a string.")
        expectPlanError(
            N.query(N.clause(vector: V.map(["a": V.d(1)]))),
            "Query Value must be of type vector. FindNearest.queryVector holds a map without __type__ \"__vector__\".")
    }

    @Test func theQueryVectorMustBeWellFormed() {
        let cases: [(FirestoreValue, String)] = [
            (N.vectorMap(nil), "Vector map is missing key 'value'."),
            (N.vectorMap(nil, extra: ["value": V.s("x")]), "Vector Value type must be an array."),
            (N.vectorMap([V.d(1)], extra: ["x": V.i(1)]), "Vector Value map has extraneous entries."),
            (N.vectorMap([]), "Cannot have a zero length vector."),
            (N.vectorMap(Array(repeating: V.d(1), count: 2049)), "Vectors must be at most 2048 dimensions."),
            (N.vectorMap([V.i(1), V.i(0)]), "Vector must only contain values of type 'double'"),
            (N.vectorMap([V.d(1), V.s("a")]), "Vector must only contain values of type 'double'"),
        ]
        for (vector, official) in cases {
            expectPlanError(N.query(N.clause(vector: vector)), official + " (in FindNearest.queryVector)")
        }
    }

    @Test func theQueryVectorIsCheckedFirstThenTheLimitThenTheMeasureThenTheField() {
        expectPlanError(
            N.query(N.clause(field: "", vector: V.s("x"), measure: .unspecified, limit: 0)),
            "Query Value must be of type vector. FindNearest.queryVector holds a string.")
        expectPlanError(
            N.query(N.clause(field: "", measure: .unspecified, limit: 0)),
            "FindNearest.limit must be a positive integer of no more than 1000 (got 0).")
        expectPlanError(
            N.query(N.clause(field: "", measure: .unspecified)),
            "Unknown Distance Measure. FindNearest.distanceMeasure must be EUCLIDEAN, COSINE or DOT_PRODUCT.")
    }

    @Test func theResultFieldMayNotBeReserved() {
        expectPlanError(
            N.query(N.clause(resultField: "__name__")), "The distanceResultField.property.name \"__name__\" is reserved.")
        expectPlanError(N.query(N.clause(resultField: "m.__x__")), "The distanceResultField.property.name \"__x__\" is reserved.")
        expectPlanError(N.query(N.clause(resultField: "a..b")),
            "Invalid property path \"a..b\". Unquoted property paths must match regex ([a-zA-Z_][a-zA-Z_0-9]*), and quoted property paths must match regex (`(?:[^`\\\\]|(?:\\\\.))+`) (FindNearest.distanceResultField)"
        )
    }

    @Test func theThresholdMustBeFinite() {
        for value in [Double.nan, .infinity, -.infinity] {
            expectPlanError(
                N.query(N.clause(threshold: value)), "distanceThreshold must be a finite number (got \(value)).")
        }
    }

    // MARK: what a search cannot be combined with

    @Test func anOffsetIsRefused() {
        expectPlanError(N.query { $0.offset = 1 }, "A query offset cannot be used with FindNearest")
    }

    @Test func aQueryLimitIsRefusedEvenZero() {
        expectPlanError(N.query { $0.limit.value = 3 }, "A query limit cannot be used with FindNearest")
        expectPlanError(N.query { $0.limit.value = 0 }, "A query limit cannot be used with FindNearest")
    }

    @Test func cursorsAreRefused() {
        expectPlanError(
            N.query(orderBy: ["n"]) { $0.startAt = Q.cursor(V.i(1), before: true) },
            "A cursor cannot be used with FindNearest (the query has startAt).")
        expectPlanError(
            N.query(orderBy: ["n"]) { $0.endAt = Q.cursor(before: false) },
            "A cursor cannot be used with FindNearest (the query has endAt).")
    }

    @Test func aDescendingKeyScanIsAFailedPrecondition() {
        expectPlanError(
            N.query(orderBy: ["-__name__"]),
            "Firestore does not support descending key scans (orderBy __name__ DESCENDING with FindNearest).",
            code: .failedPrecondition)
    }

    @Test func aDescendingOrderOnAnotherFieldIsAllowed() throws {
        #expect(try Q.plan(N.query(orderBy: ["-n"])).orders.map(\.descending) == [true, true])
        #expect(try Q.plan(N.query(orderBy: ["n", "-__name__"])).nearest != nil)
    }

    @Test func theClauseIsCheckedBeforeTheOffsetAndTheOffsetBeforeTheOutputs() {
        expectPlanError(
            N.query(N.clause(measure: .unspecified)) { $0.offset = 1 },
            "Unknown Distance Measure. FindNearest.distanceMeasure must be EUCLIDEAN, COSINE or DOT_PRODUCT.")
        expectPlanError(N.query(N.clause(threshold: .nan)) { $0.offset = 1 }, "A query offset cannot be used with FindNearest")
        expectPlanError(
            N.query(N.clause(resultField: "__x__", threshold: .nan)),
            "The distanceResultField.property.name \"__x__\" is reserved.")
    }

    @Test func theFiltersAreCheckedBeforeTheClause() {
        expectPlanError(
            N.query(N.clause(limit: 0)) { $0.where = Q.field("", .equal, V.i(1)) }, "Invalid empty property path string.")
    }

    // MARK: candidates and ranking

    @Test func aCandidateHoldsAVectorOfTheQueryDimensionAtTheField() throws {
        let plan = try Q.plan(N.query(N.clause(resultField: "d")))
        let name = "projects/p/databases/(default)/documents/c/x"
        #expect(plan.nearestCandidate(["v": V.vector(4, 4)], name: name)?.distance == 5)
        #expect(plan.nearestCandidate(["v": V.vector(1, 2, 3)], name: name) == nil)
        #expect(plan.nearestCandidate(["v": V.arr(V.d(1), V.d(0))], name: name) == nil)
        #expect(plan.nearestCandidate(["v": V.s("x")], name: name) == nil)
        #expect(plan.nearestCandidate(["w": V.vector(1, 0)], name: name) == nil)
    }

    @Test func aCandidateMustPassTheFiltersAndHaveTheOrderFields() throws {
        let plan = try Q.plan(N.query(orderBy: ["n"]) { $0.where = Q.field("cat", .equal, V.s("x")) })
        let name = "projects/p/databases/(default)/documents/c/x"
        #expect(plan.nearestCandidate(["v": V.vector(1, 0), "cat": V.s("x"), "n": V.i(1)], name: name) != nil)
        #expect(plan.nearestCandidate(["v": V.vector(1, 0), "cat": V.s("y"), "n": V.i(1)], name: name) == nil)
        #expect(plan.nearestCandidate(["v": V.vector(1, 0), "cat": V.s("x")], name: name) == nil)
    }

    @Test func aThresholdLeavesOutFartherCandidates() throws {
        let name = "projects/p/databases/(default)/documents/c/x"
        let euclidean = try Q.plan(N.query(N.clause(threshold: 1)))
        #expect(euclidean.nearestCandidate(["v": V.vector(1, 1)], name: name) != nil)
        #expect(euclidean.nearestCandidate(["v": V.vector(2, 1)], name: name) == nil)
        let dot = try Q.plan(N.query(N.clause(measure: .dotProduct, threshold: 1)))
        #expect(dot.nearestCandidate(["v": V.vector(1, 5)], name: name) != nil)
        #expect(dot.nearestCandidate(["v": V.vector(0.5, 5)], name: name) == nil)
    }

    @Test func equalDistancesRankInTheQueryOrder() throws {
        let plan = try Q.plan(N.query(orderBy: ["-n"]))
        let a = (distance: 1.0, values: [V.i(1), V.ref("c/a")])
        let b = (distance: 1.0, values: [V.i(2), V.ref("c/b")])
        let near = (distance: 0.5, values: [V.i(0), V.ref("c/z")])
        #expect(plan.ranksBefore(b, a))
        #expect(!plan.ranksBefore(a, b))
        #expect(plan.ranksBefore(near, b))
    }

    @Test func theDistanceIsWrittenAtTheResultFieldReplacingWhatWasThere() throws {
        let plan = try Q.plan(N.query(N.clause(resultField: "m.d")))
        let fields = plan.resultFields(["m": V.s("x"), "k": V.i(1)], distance: 2.5)
        #expect(fields["m"] == V.map(["d": V.d(2.5)]))
        #expect(fields["k"] == V.i(1))
        let plain = try Q.plan(N.query())
        #expect(plain.resultFields(["k": V.i(1)], distance: 2.5) == ["k": V.i(1)])
    }
}
