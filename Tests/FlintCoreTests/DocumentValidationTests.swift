@testable import FlintCore
import FlintTesting
import Testing

private let name = "projects/p/databases/(default)/documents/c/d"

/// `n` maps nested inside each other, the innermost holding an integer (the conformance suite's shape).
private func nestedMaps(_ n: Int) -> FirestoreValue {
    var v = V.i(1)
    for _ in 0..<n { v = V.map(["m": v]) }
    return v
}

/// `n` levels alternating map and array, starting with a map at the innermost level.
private func nestedMixed(_ n: Int) -> FirestoreValue {
    var v = V.i(1)
    for i in 0..<n { v = i % 2 == 0 ? V.map(["m": v]) : V.arr(v) }
    return v
}

private func normalize(_ fields: Fields) throws -> Fields {
    try DocumentValidation.normalized(fields, documentName: name)
}

@Suite("Document validation")
struct DocumentValidationTests {
    @Test func mapsNested20DeepAreAccepted() throws {
        #expect(try normalize(["m": nestedMaps(20)]) == ["m": nestedMaps(20)])
    }

    @Test func mapsNested21DeepAreRejected() {
        expectFirestoreError(.invalidArgument) { _ = try normalize(["m": nestedMaps(21)]) }
    }

    @Test func mixedMapsAndArraysNested20DeepAreAcceptedAnd21Rejected() throws {
        _ = try normalize(["m": nestedMixed(20)])
        expectFirestoreError(.invalidArgument) { _ = try normalize(["m": nestedMixed(21)]) }
    }

    @Test func arrayDirectlyInsideAnArrayIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try normalize(["a": V.arr(V.i(1), V.arr(V.i(2)))]) }
    }

    @Test func arrayInsideAMapInsideAnArrayIsAccepted() throws {
        let value = V.arr(V.map(["x": V.arr(V.i(1))]))
        #expect(try normalize(["a": value]) == ["a": value])
    }

    @Test func valueWithNoTypeIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try normalize(["a": V.untyped]) }
        expectFirestoreError(.invalidArgument) { _ = try normalize(["a": V.map(["b": V.untyped])]) }
        expectFirestoreError(.invalidArgument) { _ = try normalize(["a": V.arr(V.untyped)]) }
    }

    @Test func emptyFieldNameIsRejectedAtTopLevelAndNested() {
        expectFirestoreError(.invalidArgument) { _ = try normalize(["": V.i(1)]) }
        expectFirestoreError(.invalidArgument) { _ = try normalize(["a": V.map(["": V.i(1)])]) }
        expectFirestoreError(.invalidArgument) { _ = try normalize(["a": V.arr(V.map(["": V.i(1)]))]) }
    }

    @Test func reservedFieldNamesAreRejectedButVectorTypeKeyIsAllowed() throws {
        let error = expectFirestoreError(.invalidArgument) { _ = try normalize(["__x__": V.i(1)]) }
        #expect(error?.message == "field name __x__ is reserved")
        expectFirestoreError(.invalidArgument) { _ = try normalize(["a": V.map(["__x__": V.i(1)])]) }
        _ = try normalize(["v": V.vector(1, 2)])
    }

    @Test func stringOf1048487BytesIsAcceptedAndOneMoreRejected() throws {
        _ = try normalize(["s": V.s(String(repeating: "x", count: 1_048_487))])
        let error = expectFirestoreError(.invalidArgument) {
            _ = try normalize(["s": V.s(String(repeating: "x", count: 1_048_488))])
        }
        #expect(error?.message == "The value of property \"s\" is longer than 1048487 bytes.")
    }

    @Test func bytesLongerThan1048487AreRejected() {
        expectFirestoreError(.invalidArgument) { _ = try normalize(["b": V.bytes(Array(repeating: 7, count: 1_048_488))]) }
    }

    @Test func documentOver1MiBIsRejected() {
        let big = String(repeating: "x", count: 600_000)
        let error = expectFirestoreError(.invalidArgument) { _ = try normalize(["s": V.s(big), "t": V.s(big)]) }
        #expect(error?.message == "maximum entity size is 1048576 bytes")
    }

    @Test func documentJustUnder1MiBIsAccepted() throws {
        _ = try normalize(["s": V.s(String(repeating: "x", count: 1_040_000))])
    }

    @Test func timestampNanosAreTruncatedToMicrosecondsNotRounded() throws {
        let out = try normalize(["t": V.ts(10, 123_456_999), "u": V.ts(-1, 999_999_999)])
        #expect(out["t"] == V.ts(10, 123_456_000))
        #expect(out["u"] == V.ts(-1, 999_999_000))
    }

    @Test func timestampsInsideArraysAndMapsAreTruncatedToo() throws {
        let out = try normalize(["a": V.arr(V.ts(1, 1_999)), "m": V.map(["t": V.ts(1, 2_001)])])
        #expect(out["a"] == V.arr(V.ts(1, 1_000)))
        #expect(out["m"] == V.map(["t": V.ts(1, 2_000)]))
    }

    @Test func timestampsAtTheRangeEdgesAreAccepted() throws {
        _ = try normalize(["lo": V.ts(-62_135_596_800), "hi": V.ts(253_402_300_799, 999_999_999)])
    }

    @Test(arguments: [(-62_135_596_801, 0), (253_402_300_800, 0), (0, -1), (0, 1_000_000_000)] as [(Int64, Int32)])
    func outOfRangeTimestampsAreRejected(seconds: Int64, nanos: Int32) {
        expectFirestoreError(.invalidArgument) { _ = try normalize(["t": V.ts(seconds, nanos)]) }
    }

    @Test func negativeZeroIsStoredAsPositiveZero() throws {
        let out = try normalize(["z": V.d(-0.0), "a": V.arr(V.d(-0.0)), "m": V.map(["z": V.d(-0.0)])])
        #expect(out["z"]?.doubleValue.sign == .plus)
        #expect(out["a"]?.arrayElements?.first?.doubleValue.sign == .plus)
        #expect(out["m"]?.mapFields?["z"]?.doubleValue.sign == .plus)
    }

    @Test func outOfRangeGeoPointIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try normalize(["g": V.geo(90.5, 0)]) }
        expectFirestoreError(.invalidArgument) { _ = try normalize(["g": V.geo(0, -180.5)]) }
        expectFirestoreError(.invalidArgument) { _ = try normalize(["g": V.geo(.nan, 0)]) }
    }

    @Test func referenceMustNameADocument() throws {
        _ = try normalize(["r": V.ref("c/d")])
        expectFirestoreError(.invalidArgument) { _ = try normalize(["r": V.ref("c")]) }
        expectFirestoreError(.invalidArgument) { _ = try normalize(["r": .with { $0.referenceValue = "not/a/name" }]) }
    }

    @Test func valuesOtherThanZeroAndTimestampsPassThroughUnchanged() throws {
        let fields: Fields = [
            "n": V.null, "b": V.b(true), "i": V.i(.min), "d": V.d(.nan), "s": V.s("\u{1F600}"), "y": V.bytes([0, 255]),
            "g": V.geo(-90, 180), "v": V.vector(1, 2),
        ]
        let out = try normalize(fields)
        #expect(fieldsEqual(out, fields))
    }
}

/// A name's share of the document size: each segment below `documents` counts its bytes + 1, plus
/// 16, as production counts it (the definition `nameSize` is counted against here).
@Suite("Document name size")
struct DocumentNameSizeTests {
    static func bySplitting(_ name: String) -> Int {
        name.split(separator: "/").dropFirst(5).reduce(16) { $0 + $1.utf8.count + 1 }
    }

    @Test(arguments: [
        "projects/p/databases/(default)/documents/c/d",
        "projects/p/databases/(default)/documents/users/alice/orders/o-1",
        "projects/p/databases/(default)/documents/c/é漢字🙂",
        "projects/p/databases/(default)/documents",
        "projects/p/databases/(default)/documents/",
        "projects/p/databases/(default)",
        "projects//p/databases/(default)/documents/c/d",
        "/projects/p/databases/(default)/documents/c//d/",
        "",
        "a/b/c/d/e/f",
    ])
    func countsWhatSplittingTheNameCounts(_ name: String) {
        #expect(DocumentValidation.nameSize(name) == Self.bySplitting(name))
    }

    @Test func aDocumentNameCountsItsSegmentsBelowDocuments() {
        // "c" (1 + 1) and "d" (1 + 1), plus 16.
        #expect(DocumentValidation.nameSize(name) == 20)
    }
}
