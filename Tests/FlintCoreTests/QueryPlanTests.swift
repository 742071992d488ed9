import FlintCore
import FlintProto
import FlintTesting
import Testing

typealias SQ = Google_Firestore_V1_StructuredQuery

/// Builders for the StructuredQuery messages the plan, DNF and cursor tests validate.
enum Q {
    static let database = DatabaseID(project: "p")

    static func field(_ path: String, _ op: SQ.FieldFilter.Operator, _ value: FirestoreValue) -> SQ.Filter {
        .with { $0.fieldFilter = .with { $0.field.fieldPath = path; $0.op = op; $0.value = value } }
    }
    static func unary(_ path: String, _ op: SQ.UnaryFilter.Operator) -> SQ.Filter {
        .with { $0.unaryFilter = .with { $0.field.fieldPath = path; $0.op = op } }
    }
    static func and(_ fs: SQ.Filter...) -> SQ.Filter { .with { $0.compositeFilter = .with { $0.op = .and; $0.filters = fs } } }
    static func or(_ fs: SQ.Filter...) -> SQ.Filter { .with { $0.compositeFilter = .with { $0.op = .or; $0.filters = fs } } }
    static func list(_ count: Int, from start: Int64 = 0) -> FirestoreValue { .array((0..<Int64(count)).map { .integer(start + $0) }) }
    static func cursor(_ values: FirestoreValue..., before: Bool) -> Google_Firestore_V1_Cursor {
        .with { $0.values = values; $0.before = before }
    }

    /// A query on collection `c`; orders are field paths, with a leading `-` for descending.
    static func query(
        _ collection: String = "c", allDescendants: Bool = false, where filter: SQ.Filter? = nil, orderBy: [String] = [],
        start: Google_Firestore_V1_Cursor? = nil, end: Google_Firestore_V1_Cursor? = nil
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
            if let start { q.startAt = start }
            if let end { q.endAt = end }
        }
    }

    static func plan(_ q: SQ, parent: String = "") throws(FirestoreError) -> QueryPlan {
        try QueryPlan(q, database: database, parent: ResourcePath(parent.split(separator: "/").map(String.init)))
    }

    /// The plan's orders as `path` / `-path`.
    static func orders(_ q: SQ) throws -> [String] {
        try plan(q).orders.map { ($0.descending ? "-" : "") + $0.path.description }
    }
}

/// Asserts that planning `query` fails with `code` and exactly `message`.
func expectPlanError(
    _ query: SQ, _ message: String, code: FirestoreError.Code = .invalidArgument, parent: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = expectFirestoreError(code, sourceLocation: sourceLocation) { _ = try Q.plan(query, parent: parent) }
    #expect(error?.message == message, sourceLocation: sourceLocation)
}

@Suite("Query plans")
struct QueryPlanTests {
    // MARK: implicit orders

    @Test func aQueryWithoutOrdersOrInequalitiesOrdersByNameAscending() throws {
        #expect(try Q.orders(Q.query()) == ["__name__"])
        #expect(try Q.orders(Q.query(where: Q.field("a", .equal, V.i(1)))) == ["__name__"])
    }

    @Test func inequalityFieldsAreOrderedByFieldPathThenName() throws {
        let filter = Q.and(
            Q.field("z", .greaterThan, V.i(1)), Q.field("a.b", .lessThan, V.i(2)),
            Q.field("a", .greaterThanOrEqual, V.i(0)), Q.field("B", .lessThanOrEqual, V.i(1)))
        #expect(try Q.orders(Q.query(where: filter)) == ["B", "a", "a.b", "z", "__name__"])
    }

    @Test
    func inequalityFieldNamesAreOrderedByUTF8BytesNotCanonicalEquivalence() throws {
        let decomposed = FieldPath(["e\u{301}"])  // 0x65 0xCC 0x81
        let precomposed = FieldPath(["\u{E9}"])  // 0xC3 0xA9
        #expect(decomposed < precomposed)
        #expect(!(precomposed < decomposed))
        let filter = Q.and(Q.field("`\u{E9}`", .greaterThan, V.i(1)), Q.field("`e\u{301}`", .lessThan, V.i(2)))
        let orders = try Q.plan(Q.query(where: filter)).orders.map { Array($0.path.first.utf8) }
        #expect(orders == [Array("e\u{301}".utf8), Array("\u{E9}".utf8), Array("__name__".utf8)])
    }

    @Test func implicitOrdersTakeTheLastExplicitDirection() throws {
        #expect(try Q.orders(Q.query(where: Q.field("y", .greaterThan, V.i(1)), orderBy: ["-x"])) == ["-x", "-y", "-__name__"])
        #expect(
            try Q.orders(Q.query(where: Q.field("c", .greaterThan, V.i(1)), orderBy: ["-a", "b"])) == ["-a", "b", "c", "__name__"])
    }

    @Test func anExplicitlyOrderedInequalityFieldIsNotRepeated() throws {
        let filter = Q.and(Q.field("a", .greaterThan, V.i(1)), Q.field("b", .lessThan, V.i(1)))
        #expect(try Q.orders(Q.query(where: filter, orderBy: ["-a"])) == ["-a", "-b", "-__name__"])
    }

    @Test func notEqualNotInAndNegatedUnaryFiltersImplyOrdersButIsNaNDoesNot() throws {
        #expect(try Q.orders(Q.query(where: Q.field("a", .notEqual, V.i(1)))) == ["a", "__name__"])
        #expect(try Q.orders(Q.query(where: Q.field("a", .notIn, Q.list(2)))) == ["a", "__name__"])
        #expect(try Q.orders(Q.query(where: Q.unary("a", .isNotNan))) == ["a", "__name__"])
        #expect(try Q.orders(Q.query(where: Q.unary("a", .isNotNull))) == ["a", "__name__"])
        #expect(try Q.orders(Q.query(where: Q.unary("a", .isNan))) == ["__name__"])
    }

    @Test func anExplicitNameOrderKeepsItsOwnDirection() throws {
        #expect(try Q.orders(Q.query(orderBy: ["k", "-__name__"])) == ["k", "-__name__"])
    }

    @Test func aKeyInequalityAddsTheNameOrderOnce() throws {
        #expect(try Q.orders(Q.query(where: Q.field("__name__", .greaterThan, V.ref("c/x")))) == ["__name__"])
    }

    // MARK: order errors

    @Test func aDuplicateOrderFieldIsRejected() {
        expectPlanError(Q.query(orderBy: ["a", "-a"]), "order by clause cannot contain duplicate fields a")
    }

    @Test func fieldsOrderedAfterTheKeyAreRejected() {
        expectPlanError(Q.query(orderBy: ["__name__", "a"]), "order by clause cannot contain more fields after the key")
    }

    @Test func anInequalityWithAnExplicitKeyOrderIsRejected() {
        expectPlanError(
            Q.query(where: Q.field("a", .greaterThan, V.i(1)), orderBy: ["__name__"]),
            "order by clause cannot contain more fields after the key")
    }

    // MARK: limit and offset

    @Test func aNegativeLimitIsRejected() {
        var q = Q.query()
        q.limit.value = -1
        expectPlanError(q, "limit is negative")
    }

    @Test func aNegativeOffsetIsRejected() {
        var q = Q.query()
        q.offset = -1
        expectPlanError(q, "offset is negative")
    }

    @Test func limitZeroAndOffsetAreKeptAndNoLimitIsNil() throws {
        var q = Q.query()
        #expect(try Q.plan(q).limit == nil)
        q.limit.value = 0
        q.offset = 3
        let plan = try Q.plan(q)
        #expect(plan.limit == 0)
        #expect(plan.offset == 3)
    }

    // MARK: filter limits

    @Test func inAcceptsThirtyValuesButNotThirtyOne() throws {
        _ = try Q.plan(Q.query(where: Q.field("a", .in, Q.list(30))))
        expectPlanError(Q.query(where: Q.field("a", .in, Q.list(31))), "'IN' supports up to 30 comparison values.")
    }

    @Test func notInAcceptsTenValuesButNotEleven() throws {
        _ = try Q.plan(Q.query(where: Q.field("a", .notIn, Q.list(10))))
        expectPlanError(Q.query(where: Q.field("a", .notIn, Q.list(11))), "'NOT_IN' supports up to 10 comparison values.")
    }

    @Test func listOperatorsRejectAnEmptyList() {
        expectPlanError(Q.query(where: Q.field("a", .in, V.arr())), "'IN' requires an non-empty ArrayValue.")
        expectPlanError(Q.query(where: Q.field("a", .notIn, V.arr())), "'NOT_IN' requires an non-empty ArrayValue.")
        expectPlanError(
            Q.query(where: Q.field("a", .arrayContainsAny, V.arr())), "'ARRAY_CONTAINS_ANY' requires an non-empty ArrayValue.")
    }

    @Test func listOperatorsRejectANonArrayOperand() {
        expectPlanError(Q.query(where: Q.field("a", .in, V.i(5))), "'IN' requires an ArrayValue.")
    }

    @Test func onlyOneNotEqualLikeFilterIsAllowed() {
        let text = "Only a single 'NOT_EQUAL', 'NOT_IN', 'IS_NOT_NAN', or 'IS_NOT_NULL' filter allowed per query."
        expectPlanError(Q.query(where: Q.and(Q.field("a", .notEqual, V.i(1)), Q.field("b", .notEqual, V.i(2)))), text)
        expectPlanError(Q.query(where: Q.and(Q.field("a", .notEqual, V.i(1)), Q.unary("b", .isNotNull))), text)
        expectPlanError(Q.query(where: Q.and(Q.field("a", .notIn, Q.list(2)), Q.unary("a", .isNotNan))), text)
    }

    @Test func notInCannotBeCombinedWithInArrayContainsAnyOrOr() {
        let text = "'NOT_IN' cannot be used in the same query with 'IN', 'ARRAY_CONTAINS_ANY' or 'OR'."
        let notIn = Q.field("a", .notIn, Q.list(2))
        expectPlanError(Q.query(where: Q.and(notIn, Q.field("b", .in, Q.list(2)))), text)
        expectPlanError(Q.query(where: Q.and(notIn, Q.field("b", .arrayContainsAny, Q.list(2)))), text)
        expectPlanError(Q.query(where: Q.or(notIn, Q.field("b", .equal, V.i(1)))), text)
    }

    @Test func anEmptyOrIsRejectedButAnEmptyAndFiltersNothing() throws {
        expectPlanError(Q.query(where: Q.or()), "Composite filter must have at least one sub-filter.")
        #expect(try Q.plan(Q.query(where: Q.and())).matches([:], name: "x"))
    }

    @Test func filterValuesOf1500EncodedBytesAreRejected() throws {
        let big = V.s(String(repeating: "x", count: 1500))
        expectPlanError(Q.query(where: Q.field("v", .equal, big)), "value for v is too large to be used in a query")
        expectPlanError(Q.query(where: Q.field("v", .arrayContains, big)), "value for v[*] is too large to be used in a query")
        _ = try Q.plan(Q.query(where: Q.field("v", .equal, V.s(String(repeating: "x", count: 1400)))))
    }

    // MARK: key filters

    @Test func keyFilterValuesMustBeReferences() {
        expectPlanError(Q.query(where: Q.field("__name__", .equal, V.s("c/x"))), "__key__ filter value must be a Key")
        expectPlanError(Q.query(where: Q.unary("__name__", .isNull)), "__key__ filter value must be a Key")
        expectPlanError(Q.query(where: Q.field("__name__", .arrayContains, V.ref("c/x"))), "the name __key__ is reserved")
    }

    @Test func keyFilterReferencesMustBeInTheQuerysDatabase() {
        let other = FirestoreValue.with { $0.referenceValue = "projects/q/databases/(default)/documents/c/x" }
        expectPlanError(
            Q.query(where: Q.field("__name__", .equal, other)),
            "The request was for database 'projects/p/databases/(default)' but was attempting to access database 'projects/q/databases/(default)'"
        )
    }

    // MARK: cursors

    @Test func aCursorWithMoreValuesThanExplicitOrdersIsRejected() {
        expectPlanError(Q.query(orderBy: ["a"], start: Q.cursor(V.i(1), V.ref("c/x"), before: true)), "Cursor has too many values.")
        // Implicit orders do not count.
        expectPlanError(
            Q.query(where: Q.field("a", .greaterThan, V.i(0)), end: Q.cursor(V.i(1), before: false)), "Cursor has too many values.")
    }

    @Test func aCursorValueForTheNameOrderMustBeAReference() {
        expectPlanError(
            Q.query(orderBy: ["__name__"], start: Q.cursor(V.s("c/x"), before: true)),
            "Cursor __key__ value is not a document reference.")
    }

    @Test func aCursorKeyInAnotherDatabaseIsRejected() {
        let other = FirestoreValue.with { $0.referenceValue = "projects/q/databases/(default)/documents/c/x" }
        expectPlanError(
            Q.query(orderBy: ["__name__"], start: Q.cursor(other, before: true)),
            "The cursor key is in a different database than the query")
    }

    // MARK: kindless and collection group scopes

    @Test func aKindlessQueryIsAnAscendingKeyScan() throws {
        let plan = try Q.plan(Q.query("", allDescendants: true))
        #expect(plan.collectionID == nil)
        #expect(plan.orders.map(\.path) == [.documentKey])
        #expect(plan.orders.map(\.descending) == [false])
    }

    @Test func aKindlessQueryRejectsFiltersAndOtherOrders() {
        expectPlanError(Q.query("", allDescendants: true, where: Q.field("a", .equal, V.i(1))), "kind is required for filter: a")
        expectPlanError(Q.query("", orderBy: ["a"]), "kind is required for all orders except __key__ ascending")
        expectPlanError(Q.query("", orderBy: ["-__name__"]), "kind is required for all orders except __key__ ascending")
    }

    @Test func aCollectionGroupBelowADocumentOnlyAllowsAnAscendingKeyScan() throws {
        _ = try Q.plan(Q.query("items", allDescendants: true), parent: "a/1")
        expectPlanError(
            Q.query("items", allDescendants: true, where: Q.field("v", .equal, V.i(1))),
            "collection group queries are only allowed at the root parent", parent: "a/1")
        expectPlanError(
            Q.query("items", allDescendants: true, orderBy: ["-__name__"]),
            "collection group queries are only allowed if they're at the root or they're an ascending primary key scan",
            code: .failedPrecondition, parent: "a/1")
    }

    @Test func moreThanOneCollectionSelectorIsRejected() {
        var q = Q.query()
        q.from.append(.with { $0.collectionID = "d" })
        expectPlanError(q, "StructuredQuery.from cannot have more than one collection selector.")
    }

    @Test func selectFieldsBecomeTheProjection() throws {
        var q = Q.query()
        #expect(try Q.plan(q).projection == nil)
        q.select.fields = [.with { $0.fieldPath = "a" }, .with { $0.fieldPath = "`b c`.d" }]
        #expect(try Q.plan(q).projection == [FieldPath(["a"]), FieldPath(["b c", "d"])])
    }
}
