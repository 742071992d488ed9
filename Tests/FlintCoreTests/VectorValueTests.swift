import FlintCore
import FlintTesting
import Testing

private func store(_ fields: Fields) throws -> Fields {
    try DocumentValidation.normalized(fields, documentName: "projects/p/databases/(default)/documents/c/d")
}

private func expectStoreError(
    _ fields: Fields, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = expectFirestoreError(.invalidArgument, sourceLocation: sourceLocation) { _ = try store(fields) }
    #expect(error?.message == message, sourceLocation: sourceLocation)
}

@Suite("Vector values")
struct VectorValueTests {
    @Test func aVectorOfDoublesIsStoredAsIs() throws {
        #expect(try store(["v": V.vector(1, 2.5)]) == ["v": V.vector(1, 2.5)])
        #expect(try store(["m": V.map(["v": V.vector(1)])]) == ["m": V.map(["v": V.vector(1)])])
    }

    @Test func aStoredVectorOfTheMaximumDimensionIsAccepted() throws {
        _ = try store(["v": N.vectorMap(Array(repeating: V.d(0.5), count: 2048))])
    }

    @Test func aStoredVectorMustHoldOnlyDoubles() {
        expectStoreError(["v": N.vectorMap([V.i(1), V.i(2)])], "Vector must only contain values of type 'double' (in field \"v\")")
        expectStoreError(
            ["m": V.map(["v": N.vectorMap([V.d(1), V.s("x")])])],
            "Vector must only contain values of type 'double' (in field \"m.v\")")
    }

    @Test func aStoredVectorMayNotHoldNaN() {
        expectStoreError(["v": V.vector(.nan, 1)], "Vector cannot contain NaN values. (in field \"v\")")
    }

    @Test func aStoredVectorMayHoldInfinity() throws {
        _ = try store(["v": V.vector(.infinity, 1)])
    }

    @Test func aStoredVectorMustHaveExactlyItsTypeAndValue() {
        expectStoreError(["v": N.vectorMap(nil)], "Vector map is missing key 'value'. (in field \"v\")")
        expectStoreError(["v": N.vectorMap(nil, extra: ["value": V.s("x")])], "Vector Value type must be an array. (in field \"v\")")
        expectStoreError(
            ["v": N.vectorMap([V.d(1)], extra: ["x": V.i(1)])], "Vector Value map has extraneous entries. (in field \"v\")")
    }

    @Test func aStoredVectorHasOneToTwoThousandFortyEightDimensions() {
        expectStoreError(["v": N.vectorMap([])], "Cannot have a zero length vector. (in field \"v\")")
        expectStoreError(
            ["v": N.vectorMap(Array(repeating: V.d(1), count: 2049))], "Vectors must be at most 2048 dimensions. (in field \"v\")")
    }

    @Test func theShapeIsCheckedBeforeTheElements() {
        // The official emulator's order: missing value, not an array, extra entries, length, element kinds, NaN.
        expectStoreError(["v": N.vectorMap(nil, extra: ["x": V.i(1)])], "Vector map is missing key 'value'. (in field \"v\")")
        expectStoreError(["v": N.vectorMap([], extra: ["x": V.i(1)])], "Vector Value map has extraneous entries. (in field \"v\")")
        expectStoreError(
            ["v": N.vectorMap(Array(repeating: V.i(1), count: 2049))], "Vectors must be at most 2048 dimensions. (in field \"v\")")
        expectStoreError(
            ["v": N.vectorMap([V.d(.nan), V.i(1)])], "Vector must only contain values of type 'double' (in field \"v\")")
    }

    @Test func aFilterValueMayBeAVectorHoldingNaNButNotIntegers() throws {
        _ = try DocumentValidation.validatedOperand(V.vector(.nan), path: ["v"])
        let error = expectFirestoreError(.invalidArgument) {
            _ = try DocumentValidation.validatedOperand(N.vectorMap([V.i(1)]), path: ["v"])
        }
        #expect(error?.message == "Vector must only contain values of type 'double' (in field \"v\")")
    }

    @Test func aSearchReadsIntegerElementsOfVectorsStoredBeforeTheyWereChecked() {
        #expect(N.vectorMap([V.i(3), V.d(0.5)]).vectorDoubles == [3, 0.5])
        #expect(N.vectorMap([V.s("x")]).vectorDoubles == nil)
        #expect(V.arr(V.d(1)).vectorDoubles == nil)
    }
}
