import FlintCore
import FlintProto
import Testing

@Suite("Query cursors")
struct CursorTests {
    static func name(_ id: String) -> String { "projects/p/databases/(default)/documents/c/" + id }

    /// A plan ordered by `orderBy` with the given cursors.
    func plan(
        _ orderBy: [String], start: Google_Firestore_V1_Cursor? = nil, end: Google_Firestore_V1_Cursor? = nil
    ) throws -> QueryPlan {
        try Q.plan(Q.query(orderBy: orderBy, start: start, end: end))
    }

    /// The order values of document `c/id` holding `fields`.
    func values(_ plan: QueryPlan, _ fields: Fields, id: String = "m") throws -> [FirestoreValue] {
        try #require(plan.orderValues(fields, name: Self.name(id)))
    }

    func startAt(_ v: FirestoreValue...) -> Google_Firestore_V1_Cursor { .with { $0.values = v; $0.before = true } }
    func startAfter(_ v: FirestoreValue...) -> Google_Firestore_V1_Cursor { .with { $0.values = v; $0.before = false } }
    func endAt(_ v: FirestoreValue...) -> Google_Firestore_V1_Cursor { .with { $0.values = v; $0.before = false } }
    func endBefore(_ v: FirestoreValue...) -> Google_Firestore_V1_Cursor { .with { $0.values = v; $0.before = true } }

    /// Which of the `a` values lie inside the plan's cursors.
    func inside(_ plan: QueryPlan, _ candidates: [FirestoreValue]) throws -> [String] {
        try candidates.filter { v in
            let ordered = try values(plan, ["a": v])
            return !plan.isBeforeStart(ordered) && !plan.isAfterEnd(ordered)
        }.map(show)
    }

    static let oneToSix = (1...6).map { V.i(Int64($0)) }

    // MARK: the before flag

    @Test func startAtIncludesDocumentsEqualToTheCursor() throws {
        #expect(try inside(plan(["a"], start: startAt(V.i(4))), Self.oneToSix) == ["int(4)", "int(5)", "int(6)"])
    }

    @Test func startAfterExcludesDocumentsEqualToTheCursor() throws {
        #expect(try inside(plan(["a"], start: startAfter(V.i(4))), Self.oneToSix) == ["int(5)", "int(6)"])
    }

    @Test func endAtIncludesDocumentsEqualToTheCursor() throws {
        #expect(try inside(plan(["a"], end: endAt(V.i(3))), Self.oneToSix) == ["int(1)", "int(2)", "int(3)"])
    }

    @Test func endBeforeExcludesDocumentsEqualToTheCursor() throws {
        #expect(try inside(plan(["a"], end: endBefore(V.i(3))), Self.oneToSix) == ["int(1)", "int(2)"])
    }

    @Test func startAndEndTogetherFormAWindow() throws {
        #expect(try inside(plan(["a"], start: startAt(V.i(2)), end: endBefore(V.i(5))), Self.oneToSix)
            == ["int(2)", "int(3)", "int(4)"])
    }

    @Test func withoutCursorsNothingIsExcluded() throws {
        #expect(try inside(plan(["a"]), Self.oneToSix).count == 6)
    }

    @Test func cursorValuesCompareIntegersAndDoublesByValue() throws {
        #expect(try inside(plan(["a"], start: startAfter(V.d(4))), Self.oneToSix) == ["int(5)", "int(6)"])
        #expect(try inside(plan(["a"], end: endAt(V.d(2.5))), Self.oneToSix) == ["int(1)", "int(2)"])
    }

    @Test func aCursorOfAnotherTypeFollowsTheCrossTypeOrder() throws {
        let mixed = [V.null, V.b(true), V.i(1000), V.s("a"), V.s("b"), V.bytes([0]), V.map([:])]
        #expect(try inside(plan(["a"], start: startAt(V.s("a"))), mixed) == ["\"a\"", "\"b\"", "bytes[0]", "{}"])
        #expect(try inside(plan(["a"], end: endBefore(V.s("a"))), mixed) == ["null", "true", "int(1000)"])
    }

    // MARK: prefix cursors

    @Test func aPrefixStartAtIncludesEveryDocumentWithThatPrefix() throws {
        let p = try plan(["a", "b"], start: startAt(V.i(5)))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(4), "b": V.i(9)])))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(5), "b": V.i(0)])))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(5), "b": V.i(9)])))
    }

    @Test func aPrefixStartAfterExcludesEveryDocumentWithThatPrefix() throws {
        let p = try plan(["a", "b"], start: startAfter(V.i(5)))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(5), "b": V.i(0)])))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(5), "b": V.i(9)])))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(6), "b": V.i(0)])))
    }

    @Test func aPrefixEndAtIncludesEveryDocumentWithThatPrefix() throws {
        let p = try plan(["a", "b"], end: endAt(V.i(5)))
        #expect(!p.isAfterEnd(try values(p, ["a": V.i(5), "b": V.i(9)])))
        #expect(p.isAfterEnd(try values(p, ["a": V.i(6), "b": V.i(0)])))
    }

    @Test func aPrefixEndBeforeExcludesEveryDocumentWithThatPrefix() throws {
        let p = try plan(["a", "b"], end: endBefore(V.i(5)))
        #expect(p.isAfterEnd(try values(p, ["a": V.i(5), "b": V.i(0)])))
        #expect(!p.isAfterEnd(try values(p, ["a": V.i(4), "b": V.i(9)])))
    }

    @Test func aCursorThroughTheNameSplitsDocumentsWithEqualValues() throws {
        let p = try plan(["a", "__name__"], start: startAfter(V.i(5), V.ref("c/m")))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(5)], id: "l")))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(5)], id: "m")))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(5)], id: "n")))
    }

    // MARK: descending orders

    @Test func descendingStartAtBeginsAtTheCursorAndGoesDown() throws {
        #expect(try inside(plan(["-a"], start: startAt(V.i(4))), Self.oneToSix) == ["int(1)", "int(2)", "int(3)", "int(4)"])
    }

    @Test func descendingEndBeforeStopsAboveTheCursor() throws {
        #expect(try inside(plan(["-a"], end: endBefore(V.i(4))), Self.oneToSix) == ["int(5)", "int(6)"])
    }

    @Test func descendingNameCursorSkipsLaterNamesFirst() throws {
        let p = try plan(["-a", "-__name__"], start: startAfter(V.i(5), V.ref("c/m")))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(5)], id: "n")))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(5)], id: "m")))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(5)], id: "l")))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(4)], id: "z")))
    }

    @Test func mixedDirectionsApplyPerOrderField() throws {
        let p = try plan(["a", "-b"], start: startAt(V.i(5), V.i(3)))
        #expect(p.isBeforeStart(try values(p, ["a": V.i(5), "b": V.i(4)])))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(5), "b": V.i(3)])))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(5), "b": V.i(2)])))
        #expect(!p.isBeforeStart(try values(p, ["a": V.i(6), "b": V.i(9)])))
    }

    // MARK: order values

    @Test func orderValuesAreNilWhenAnOrderFieldIsMissing() throws {
        let p = try plan(["a"])
        #expect(p.orderValues(["b": V.i(1)], name: Self.name("m")) == nil)
        #expect(p.orderValues(["a": V.i(1)], name: Self.name("m")) == [V.i(1), V.ref("c/m")])
    }

    @Test func planComparisonFollowsEachOrdersDirection() throws {
        let p = try plan(["a", "-b"])
        #expect(p.compare(try values(p, ["a": V.i(1), "b": V.i(2)]), try values(p, ["a": V.i(1), "b": V.i(1)])) == -1)
        #expect(p.compare(try values(p, ["a": V.i(1), "b": V.i(9)]), try values(p, ["a": V.i(2), "b": V.i(0)])) == -1)
        let x = try values(p, ["a": V.i(1), "b": V.i(1)], id: "x")
        #expect(p.compare(x, try values(p, ["a": V.i(1), "b": V.i(1)], id: "y")) == 1)
    }
}
