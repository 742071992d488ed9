import FlintCore
import Testing

@Suite("Filter evaluation")
struct FilterEvaluationTests {
    static let v = FieldPath(["v"])

    /// One document per kind of value held in `v`, labelled; "missing" has no `v` at all.
    static let documents: [(label: String, value: FirestoreValue?)] = [
        ("missing", nil), ("null", V.null), ("false", V.b(false)), ("true", V.b(true)), ("nan", V.d(.nan)),
        ("-inf", V.d(-.infinity)), ("-1.5", V.d(-1.5)), ("0", V.i(0)), ("5", V.i(5)), ("5.0", V.d(5)),
        ("7.5", V.d(7.5)), ("+inf", V.d(.infinity)), ("ts1", V.ts(1)), ("ts2", V.ts(2)), ("str_empty", V.s("")),
        ("str_a", V.s("a")), ("str_b", V.s("b")), ("bytes1", V.bytes([1])), ("bytes2", V.bytes([2])),
        ("refA", V.ref("c/a")), ("refB", V.ref("c/b")), ("geo1", V.geo(0, 0)), ("geo2", V.geo(1, 1)),
        ("arr_empty", V.arr()), ("arr_5a", V.arr(V.i(5), V.s("a"))), ("arr_nullNaN", V.arr(V.null, V.d(.nan))),
        ("map_empty", V.map([:])), ("map_k1", V.map(["k": V.i(1)])), ("vector", V.vector(1, 2)),
    ]
    static let labels = documents.map(\.label)

    /// The labels of the documents the filter matches, in the table's order.
    func matching(_ filter: Filter) -> [String] {
        Self.documents.filter { doc in
            let fields: Fields = doc.value.map { ["v": $0] } ?? ["other": V.i(1)]
            return filter.matches(fields, name: "projects/p/databases/(default)/documents/c/" + doc.label)
        }.map(\.label)
    }

    func matching(_ op: Filter.FieldOp, _ operand: FirestoreValue) -> [String] {
        matching(.field(Self.v, op, operand))
    }

    func matching(_ op: Filter.UnaryOp) -> [String] { matching(.unary(Self.v, op)) }

    func all(except excluded: Set<String>) -> [String] { Self.labels.filter { !excluded.contains($0) } }

    // MARK: equality

    @Test func equalityMatchesIntegerAndDoubleOfTheSameValue() {
        #expect(matching(.equal, V.i(5)) == ["5", "5.0"])
        #expect(matching(.equal, V.d(5)) == ["5", "5.0"])
    }

    @Test func equalityOnEveryOtherTypeMatchesOnlyThatValue() {
        for (label, value) in Self.documents {
            guard let value, !value.isNull, !value.isNaN, label != "5", label != "5.0" else { continue }
            #expect(matching(.equal, value) == [label], "v == \(show(value))")
        }
    }

    @Test func equalityComparesArraysElementwiseWithNumericEquality() {
        #expect(matching(.equal, V.arr(V.d(5), V.s("a"))) == ["arr_5a"])
        #expect(matching(.equal, V.arr(V.s("a"), V.i(5))) == [])
    }

    @Test func rawEqualityWithNullOrNaNMatchesNothing() {
        #expect(matching(.equal, V.null) == [])
        #expect(matching(.equal, V.d(.nan)) == [])
    }

    // MARK: ranges

    @Test func numericRangesCompareIntegersAndDoublesByValue() {
        #expect(matching(.lessThan, V.i(5)) == ["-inf", "-1.5", "0"])
        #expect(matching(.lessThanOrEqual, V.i(5)) == ["-inf", "-1.5", "0", "5", "5.0"])
        #expect(matching(.greaterThan, V.d(5)) == ["7.5", "+inf"])
        #expect(matching(.greaterThanOrEqual, V.d(5)) == ["5", "5.0", "7.5", "+inf"])
    }

    @Test func rangeFiltersStayWithinTheOperandsType() {
        let cases: [(Filter.FieldOp, FirestoreValue, [String])] = [
            (.greaterThanOrEqual, V.b(false), ["false", "true"]),
            (.greaterThan, V.ts(1), ["ts2"]),
            (.lessThan, V.s("zzz"), ["str_empty", "str_a", "str_b"]),
            (.greaterThanOrEqual, V.bytes([]), ["bytes1", "bytes2"]),
            (.greaterThan, V.ref("c/a"), ["refB"]),
            (.lessThan, V.geo(90, 0), ["geo1", "geo2"]),
            (.greaterThan, V.arr(), ["arr_5a", "arr_nullNaN"]),
            (.greaterThanOrEqual, V.map([:]), ["map_empty", "map_k1"]),
            (.greaterThan, V.vector(), ["vector"]),
        ]
        for (op, operand, expected) in cases {
            #expect(matching(op, operand) == expected, "\(op) \(show(operand))")
        }
    }

    @Test func rangeFiltersNeverMatchNaNDocuments() {
        let numbers = ["-inf", "-1.5", "0", "5", "5.0", "7.5", "+inf"]
        #expect(matching(.greaterThanOrEqual, V.d(-.infinity)) == numbers)
        #expect(matching(.lessThanOrEqual, V.d(.infinity)) == numbers)
    }

    @Test func rangeFiltersAgainstNullOrNaNMatchNothing() {
        for op in [Filter.FieldOp.lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual] {
            #expect(matching(op, V.null) == [], "\(op) null")
            #expect(matching(op, V.d(.nan)) == [], "\(op) NaN")
        }
    }

    // MARK: not-equal and not-in

    @Test func notEqualExcludesMissingNullAndEqualValuesButIncludesNaN() {
        #expect(matching(.notEqual, V.i(5)) == all(except: ["missing", "null", "5", "5.0"]))
        #expect(matching(.notEqual, V.i(5)).contains("nan"))
    }

    @Test func notEqualNaNMatchesEveryPresentNonNullValueIncludingNaN() {
        #expect(matching(.notEqual, V.d(.nan)) == all(except: ["missing", "null"]))
    }

    @Test func notEqualNullMatchesNothing() {
        #expect(matching(.notEqual, V.null) == [])
    }

    @Test func notInExcludesMissingNullAndListedValuesButIncludesNaN() {
        #expect(matching(.notIn, V.arr(V.i(5), V.s("a"))) == all(except: ["missing", "null", "5", "5.0", "str_a"]))
    }

    @Test func notInNaNMatchesEveryPresentNonNullValueIncludingNaN() {
        #expect(matching(.notIn, V.arr(V.d(.nan))) == all(except: ["missing", "null"]))
    }

    @Test func notInAListHoldingNullMatchesNothing() {
        #expect(matching(.notIn, V.arr(V.null)) == [])
        #expect(matching(.notIn, V.arr(V.null, V.i(5))) == [])
    }

    // MARK: in

    @Test func inMatchesAnyListedValueWithNumericEquality() {
        #expect(matching(.in, V.arr(V.i(5), V.s("a"))) == ["5", "5.0", "str_a"])
        #expect(matching(.in, V.arr(V.d(5))) == ["5", "5.0"])
    }

    @Test func inWithAnArrayElementMatchesThatWholeArray() {
        #expect(matching(.in, V.arr(V.arr(V.i(5), V.s("a")))) == ["arr_5a"])
    }

    @Test func inNullOrNaNMatchesNothing() {
        #expect(matching(.in, V.arr(V.null)) == [])
        #expect(matching(.in, V.arr(V.d(.nan))) == [])
        #expect(matching(.in, V.arr(V.null, V.s("a"))) == ["str_a"])
    }

    // MARK: array membership

    @Test func arrayContainsMatchesElementsWithNumericEquality() {
        #expect(matching(.arrayContains, V.i(5)) == ["arr_5a"])
        #expect(matching(.arrayContains, V.d(5)) == ["arr_5a"])
        #expect(matching(.arrayContains, V.s("a")) == ["arr_5a"])
    }

    @Test func arrayContainsNullOrNaNMatchesNothingEvenWhenAnArrayHoldsThem() {
        #expect(matching(.arrayContains, V.null) == [])
        #expect(matching(.arrayContains, V.d(.nan)) == [])
    }

    @Test func arrayContainsAnyMatchesArraysHoldingAnyListedValue() {
        #expect(matching(.arrayContainsAny, V.arr(V.d(5), V.s("zz"))) == ["arr_5a"])
        #expect(matching(.arrayContainsAny, V.arr(V.null, V.s("a"))) == ["arr_5a"])
    }

    @Test func arrayContainsAnyNullOrNaNMatchesNothing() {
        #expect(matching(.arrayContainsAny, V.arr(V.null)) == [])
        #expect(matching(.arrayContainsAny, V.arr(V.d(.nan))) == [])
    }

    // MARK: unary

    @Test func isNaNMatchesOnlyNaN() {
        #expect(matching(.isNaN) == ["nan"])
    }

    @Test func isNullMatchesOnlyNull() {
        #expect(matching(.isNull) == ["null"])
    }

    @Test func isNotNaNExcludesNaNNullAndMissing() {
        #expect(matching(.isNotNaN) == all(except: ["missing", "null", "nan"]))
    }

    @Test func isNotNullIncludesNaNAndExcludesNullAndMissing() {
        #expect(matching(.isNotNull) == all(except: ["missing", "null"]))
        #expect(matching(.isNotNull).contains("nan"))
    }

    // MARK: paths and composition

    @Test func nestedPathsReadInsideMapsOnly() {
        let filter = Filter.field(FieldPath(["m", "k"]), .equal, V.i(1))
        #expect(filter.matches(["m": V.map(["k": V.d(1)])], name: "x"))
        #expect(!filter.matches(["m": V.i(1)], name: "x"))
        #expect(!filter.matches(["m.k": V.i(1)], name: "x"))
    }

    @Test func keyFiltersCompareTheDocumentName() {
        let names = ["c/a", "c/b", "c/c", "d/a"].map { "projects/p/databases/(default)/documents/" + $0 }
        func keys(_ op: Filter.FieldOp, _ operand: FirestoreValue) -> [String] {
            names.filter { Filter.field(.documentKey, op, operand).matches([:], name: $0) }.map { String($0.suffix(3)) }
        }
        #expect(keys(.equal, V.ref("c/b")) == ["c/b"])
        #expect(keys(.greaterThan, V.ref("c/b")) == ["c/c", "d/a"])
        #expect(keys(.in, V.arr(V.ref("c/a"), V.ref("d/a"))) == ["c/a", "d/a"])
    }

    @Test func andRequiresEveryChildAndOrAnyChild() {
        #expect(matching(.and([.field(Self.v, .greaterThanOrEqual, V.i(0)), .field(Self.v, .lessThan, V.d(7.5))]))
            == ["0", "5", "5.0"])
        #expect(matching(.or([.field(Self.v, .equal, V.s("a")), .unary(Self.v, .isNaN)])) == ["nan", "str_a"])
    }

    @Test func emptyAndMatchesEveryDocumentIncludingThoseMissingTheField() {
        #expect(matching(.and([])) == Self.labels)
    }
}
