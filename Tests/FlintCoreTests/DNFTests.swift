import FlintCore
import Testing

@Suite("Disjunctive normal form")
struct DNFTests {
    /// A simple filter named by its field, so conjuncts read as lists of names.
    static func f(_ name: String) -> Filter { .field(FieldPath([name]), .equal, V.i(1)) }

    func names(_ filter: Filter) -> [[String]] {
        filter.disjuncts.map { conjunct in conjunct.map { $0.firstField?.description ?? "?" } }
    }

    static func tooMany(_ n: Int) -> String {
        "Too many disjunctions after normalization. Result had \(n) disjunctions which is more than the maximum of 30"
    }

    // MARK: Filter.disjuncts

    @Test func aSimpleFilterIsOneConjunctOfItself() {
        #expect(names(Self.f("a")) == [["a"]])
        #expect(names(.unary(FieldPath(["u"]), .isNull)) == [["u"]])
    }

    @Test func anAndIsOneConjunctOfItsChildren() {
        #expect(names(.and([Self.f("a"), Self.f("b")])) == [["a", "b"]])
    }

    @Test func anOrIsOneConjunctPerChild() {
        #expect(names(.or([Self.f("a"), Self.f("b"), Self.f("c")])) == [["a"], ["b"], ["c"]])
    }

    @Test func nestedAndsFlattenIntoOneConjunct() {
        #expect(names(.and([Self.f("a"), .and([Self.f("b"), .and([Self.f("c")])])])) == [["a", "b", "c"]])
    }

    @Test func andDistributesOverOr() {
        #expect(names(.and([Self.f("a"), .or([Self.f("b"), Self.f("c")])])) == [["a", "b"], ["a", "c"]])
    }

    @Test func andOfTwoOrsIsTheirCrossProductInOrder() {
        let filter = Filter.and([.or([Self.f("a"), Self.f("b")]), .or([Self.f("c"), Self.f("d")])])
        #expect(names(filter) == [["a", "c"], ["a", "d"], ["b", "c"], ["b", "d"]])
    }

    @Test func orOfAndsWithNestedOrsExpandsEachBranch() {
        let filter = Filter.or([Self.f("a"), .and([Self.f("b"), .or([Self.f("c"), Self.f("d")])])])
        #expect(names(filter) == [["a"], ["b", "c"], ["b", "d"]])
    }

    @Test func nestedOrsFlattenIntoSiblings() {
        #expect(names(.or([Self.f("a"), .or([Self.f("b"), .or([Self.f("c")])])])) == [["a"], ["b"], ["c"]])
    }

    @Test func anEmptyAndIsOneEmptyConjunct() {
        #expect(names(.and([])) == [[]])
        #expect(names(.and([.and([]), Self.f("a")])) == [["a"]])
    }

    @Test func anInFilterStaysOneConjunctInTheFilterTree() {
        #expect(names(.field(FieldPath(["a"]), .in, Q.list(5))) == [["a"]])
    }

    // MARK: disjunction limits

    @Test func twoInListsOfSixMultiplyTo36AndAreRejected() {
        let filter = Q.and(Q.field("a", .in, Q.list(6)), Q.field("b", .in, Q.list(6)))
        expectPlanError(Q.query(where: filter), Self.tooMany(36))
    }

    @Test func exactlyThirtyDisjunctionsAreAllowed() throws {
        _ = try Q.plan(Q.query(where: Q.and(Q.field("a", .in, Q.list(5)), Q.field("b", .in, Q.list(6)))))
        _ = try Q.plan(Q.query(where: Q.or(Q.field("a", .in, Q.list(15)), Q.field("b", .in, Q.list(15)))))
        _ = try Q.plan(Q.query(where: Q.field("a", .in, Q.list(30))))
    }

    @Test func orBranchesAddUpTheirDisjunctions() {
        let filter = Q.or(Q.field("a", .in, Q.list(15)), Q.field("b", .in, Q.list(16)))
        expectPlanError(Q.query(where: filter), Self.tooMany(31))
    }

    @Test func anOrOf31EqualitiesIsRejected() {
        let filter: SQ.Filter = .with {
            $0.compositeFilter = .with { c in
                c.op = .or
                c.filters = (0..<31).map { Q.field("f\($0)", .equal, V.i(1)) }
            }
        }
        expectPlanError(Q.query(where: filter), Self.tooMany(31))
    }

    @Test func arrayContainsAnyListsCountLikeInLists() {
        let filter = Q.and(Q.field("a", .arrayContainsAny, Q.list(6)), Q.field("b", .in, Q.list(6)))
        expectPlanError(Q.query(where: filter), Self.tooMany(36))
    }

    @Test func anAndOfOrsMultipliesTheirSizes() throws {
        let three = Q.or(Q.field("a", .equal, V.i(1)), Q.field("b", .equal, V.i(1)), Q.field("c", .equal, V.i(1)))
        let eleven = Q.field("d", .in, Q.list(11))
        expectPlanError(Q.query(where: Q.and(three, eleven)), Self.tooMany(33))
        _ = try Q.plan(Q.query(where: Q.and(three, Q.field("d", .in, Q.list(10)))))
    }

    @Test func notInListsDoNotMultiplyDisjunctions() throws {
        _ = try Q.plan(Q.query(where: Q.and(Q.field("a", .notIn, Q.list(10)), Q.field("b", .equal, V.i(1)))))
    }

    @Test func twoArrayContainsInOneConjunctAreRejectedButInSeparateBranchesAllowed() throws {
        let a = Q.field("a", .arrayContains, V.i(1))
        let b = Q.field("b", .arrayContainsAny, Q.list(2))
        expectPlanError(Q.query(where: Q.and(a, b)), "A maximum of 1 'ARRAY_CONTAINS' filter is allowed per disjunction.")
        _ = try Q.plan(Q.query(where: Q.or(a, b)))
    }
}
