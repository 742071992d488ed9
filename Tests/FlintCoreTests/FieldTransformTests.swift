import FlintCore
import FlintTesting
import Testing

private let doc = "projects/p/databases/(default)/documents/c/d"

private enum T {
    static func increment(_ path: String, _ v: FirestoreValue) -> FieldTransformProto {
        .with { $0.fieldPath = path; $0.increment = v }
    }
    static func maximum(_ path: String, _ v: FirestoreValue) -> FieldTransformProto {
        .with { $0.fieldPath = path; $0.maximum = v }
    }
    static func minimum(_ path: String, _ v: FirestoreValue) -> FieldTransformProto {
        .with { $0.fieldPath = path; $0.minimum = v }
    }
    static func append(_ path: String, _ v: [FirestoreValue]) -> FieldTransformProto {
        .with { $0.fieldPath = path; $0.appendMissingElements.values = v }
    }
    static func remove(_ path: String, _ v: [FirestoreValue]) -> FieldTransformProto {
        .with { $0.fieldPath = path; $0.removeAllFromArray.values = v }
    }
    static func requestTime(_ path: String) -> FieldTransformProto {
        .with { $0.fieldPath = path; $0.setToServerValue = .requestTime }
    }
}

private let requestTime = ProtoTimestamp(seconds: 1_700_000_000, nanos: 123_000_000)

/// Applies the transforms to `fields` and returns the fields and the transform results.
private func run(_ protos: [FieldTransformProto], on fields: Fields) throws -> (Fields, [FirestoreValue]) {
    var out = fields
    let results = try FieldTransform.parse(protos, document: doc).map { $0.apply(to: &out, requestTime: requestTime) }
    return (out, results)
}

/// The single field `f` after one transform on `{f: start}` (or on `{}` when start is nil).
private func field(after proto: FieldTransformProto, start: FirestoreValue?) throws -> FirestoreValue? {
    try run([proto], on: start.map { ["f": $0] } ?? [:]).0["f"]
}

@Suite("Field transforms")
struct FieldTransformTests {
    @Test func incrementAddsIntegers() throws {
        let (fields, results) = try run([T.increment("f", V.i(3))], on: ["f": V.i(4)])
        #expect(fields["f"] == V.i(7))
        #expect(results == [V.i(7)])
    }

    @Test func incrementOverflowSaturatesAtInt64Max() throws {
        #expect(try field(after: T.increment("f", V.i(2)), start: V.i(.max - 1)) == V.i(.max))
        #expect(try field(after: T.increment("f", V.i(.max)), start: V.i(.max)) == V.i(.max))
    }

    @Test func incrementUnderflowSaturatesAtInt64Min() throws {
        #expect(try field(after: T.increment("f", V.i(-2)), start: V.i(.min + 1)) == V.i(.min))
        #expect(try field(after: T.increment("f", V.i(.min)), start: V.i(-1)) == V.i(.min))
    }

    @Test func incrementMixingIntegerAndDoubleGivesADouble() throws {
        #expect(try field(after: T.increment("f", V.d(0.5)), start: V.i(1)) == V.d(1.5))
        #expect(try field(after: T.increment("f", V.i(1)), start: V.d(0.5)) == V.d(1.5))
        #expect(try field(after: T.increment("f", V.d(0)), start: V.i(2)) == V.d(2))
    }

    @Test func incrementOfANonNumberReplacesItWithTheOperand() throws {
        #expect(try field(after: T.increment("f", V.i(5)), start: V.s("x")) == V.i(5))
        #expect(try field(after: T.increment("f", V.d(2.5)), start: V.null) == V.d(2.5))
        #expect(try field(after: T.increment("f", V.i(5)), start: nil) == V.i(5))
    }

    @Test func incrementOfANestedMissingFieldCreatesTheMaps() throws {
        let (fields, _) = try run([T.increment("a.b", V.i(1))], on: [:])
        #expect(fields == ["a": V.map(["b": V.i(1)])])
    }

    @Test func incrementWithANonNumericOperandIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try FieldTransform.parse([T.increment("f", V.s("1"))], document: doc) }
    }

    @Test func maximumKeepsTheLargerValue() throws {
        #expect(try field(after: T.maximum("f", V.i(9)), start: V.i(3)) == V.i(9))
        #expect(try field(after: T.maximum("f", V.i(1)), start: V.i(3)) == V.i(3))
        #expect(try field(after: T.maximum("f", V.d(3.5)), start: V.i(3)) == V.d(3.5))
    }

    @Test func minimumKeepsTheSmallerValue() throws {
        #expect(try field(after: T.minimum("f", V.i(1)), start: V.i(3)) == V.i(1))
        #expect(try field(after: T.minimum("f", V.d(-0.5)), start: V.i(0)) == V.d(-0.5))
        #expect(try field(after: T.minimum("f", V.i(9)), start: V.d(3.5)) == V.d(3.5))
    }

    @Test func maximumAndMinimumOfEqualMixedTypeValuesKeepTheStoredType() throws {
        #expect(try field(after: T.maximum("f", V.d(3)), start: V.i(3)) == V.i(3))
        #expect(try field(after: T.minimum("f", V.i(3)), start: V.d(3)) == V.d(3))
        #expect(try field(after: T.maximum("f", V.d(-0.0)), start: V.i(0)) == V.i(0))
    }

    @Test func nanWinsMaximumAndMinimum() throws {
        #expect(try field(after: T.maximum("f", V.d(.nan)), start: V.i(3))?.isNaN == true)
        #expect(try field(after: T.minimum("f", V.d(.nan)), start: V.i(3))?.isNaN == true)
        #expect(try field(after: T.maximum("f", V.i(3)), start: V.d(.nan))?.isNaN == true)
        #expect(try field(after: T.minimum("f", V.d(-.infinity)), start: V.d(.nan))?.isNaN == true)
    }

    @Test func maximumOfANonNumberOrMissingFieldSetsTheOperand() throws {
        #expect(try field(after: T.maximum("f", V.i(2)), start: V.s("zzz")) == V.i(2))
        #expect(try field(after: T.minimum("f", V.i(2)), start: nil) == V.i(2))
    }

    @Test func appendMissingElementsSkipsValuesAlreadyPresentComparingIntAndDoubleAsEqual() throws {
        let start = V.arr(V.i(1), V.s("a"))
        let after = try field(after: T.append("f", [V.d(1.0), V.s("b"), V.i(2), V.s("b")]), start: start)
        #expect(after == V.arr(V.i(1), V.s("a"), V.s("b"), V.i(2)))
    }

    @Test func appendMissingElementsKeepsExistingDuplicates() throws {
        let after = try field(after: T.append("f", [V.i(2)]), start: V.arr(V.i(1), V.i(1)))
        #expect(after == V.arr(V.i(1), V.i(1), V.i(2)))
    }

    @Test func appendMissingElementsOnANonArrayStartsFromAnEmptyArray() throws {
        #expect(try field(after: T.append("f", [V.i(1)]), start: V.s("x")) == V.arr(V.i(1)))
        #expect(try field(after: T.append("f", [V.i(1), V.i(1)]), start: nil) == V.arr(V.i(1)))
    }

    @Test func removeAllFromArrayRemovesEveryEqualElementIncludingOtherNumericType() throws {
        let start = V.arr(V.i(1), V.d(1.0), V.s("a"), V.i(2), V.i(1))
        let after = try field(after: T.remove("f", [V.d(1), V.s("zz")]), start: start)
        #expect(after == V.arr(V.s("a"), V.i(2)))
    }

    @Test func removeAllFromArrayOnANonArrayLeavesAnEmptyArray() throws {
        #expect(try field(after: T.remove("f", [V.i(1)]), start: V.i(1)) == V.arr())
    }

    @Test func arrayTransformsReturnNullResults() throws {
        let (_, results) = try run([T.append("a", [V.i(1)]), T.remove("b", [V.i(1)])], on: [:])
        #expect(results == [V.null, V.null])
    }

    @Test func arrayTransformOperandHoldingAnArrayIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try FieldTransform.parse([T.append("f", [V.arr(V.i(1))])], document: doc) }
    }

    @Test func requestTimeSetsTheFieldAndReturnsTheSameTimestamp() throws {
        let (fields, results) = try run([T.requestTime("t"), T.requestTime("u.v")], on: [:])
        #expect(fields["t"] == .timestamp(requestTime))
        #expect(fields["u"] == V.map(["v": .timestamp(requestTime)]))
        #expect(results == [.timestamp(requestTime), .timestamp(requestTime)])
    }

    @Test func unspecifiedServerValueIsRejected() {
        let proto = FieldTransformProto.with { $0.fieldPath = "t"; $0.setToServerValue = .unspecified }
        expectFirestoreError(.invalidArgument) { _ = try FieldTransform.parse([proto], document: doc) }
    }

    @Test func transformWithNoOperationIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try FieldTransform.parse([.with { $0.fieldPath = "t" }], document: doc) }
    }

    @Test func fiveHundredTransformsAreAcceptedAndFiveHundredOneRejected() throws {
        let protos = (0...500).map { T.increment("f\($0)", V.i(1)) }
        #expect(try FieldTransform.parse(Array(protos.prefix(500)), document: doc).count == 500)
        expectFirestoreError(.invalidArgument) { _ = try FieldTransform.parse(protos, document: doc) }
    }

    @Test func transformingAFieldAndItsChildInOneWriteIsRejected() {
        expectFirestoreError(.invalidArgument) {
            _ = try FieldTransform.parse([T.increment("a", V.i(1)), T.increment("a.b", V.i(1))], document: doc)
        }
        expectFirestoreError(.invalidArgument) {
            _ = try FieldTransform.parse([T.requestTime("a.b.c"), T.increment("a", V.i(1))], document: doc)
        }
    }

    @Test func siblingPathsSharingATextPrefixMayBothBeTransformed() throws {
        #expect(try FieldTransform.parse([T.increment("a", V.i(1)), T.increment("ab", V.i(1))], document: doc).count == 2)
    }

    @Test func twoTransformsOfTheSameFieldApplyInOrder() throws {
        let (fields, results) = try run([T.increment("f", V.i(2)), T.maximum("f", V.i(10))], on: ["f": V.i(1)])
        #expect(fields["f"] == V.i(10))
        #expect(results == [V.i(3), V.i(10)])
    }

    @Test func transformOfTheDocumentKeyIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try FieldTransform.parse([T.increment("__name__", V.i(1))], document: doc) }
    }

    @Test func transformOperandIsNormalised() throws {
        #expect(try field(after: T.increment("f", V.d(-0.0)), start: nil)?.doubleValue.sign == .plus)
    }
}
