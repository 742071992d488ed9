import FlintCore
import Testing

@Suite("Value order")
struct ValueOrderTests {
    /// One representative per type position, in Firestore's order.
    static let crossTypeLadder: [FirestoreValue] = [
        V.null, V.b(false), V.b(true), V.d(.nan), V.d(-.infinity), V.d(-1e300), V.i(-5), V.d(4.5), V.i(5),
        V.d(.infinity), V.ts(0), V.ts(1, 1000), V.s(""), V.s("a"), V.bytes([]), V.bytes([0]), V.ref("c/a"),
        V.geo(-90, 0), V.geo(0, 0), V.arr(), V.arr(V.null), V.vector(), V.vector(1), V.map([:]),
        V.map(["a": V.null]),
    ]

    @Test func crossTypeOrderMatchesTheReferenceLadder() {
        let ladder = Self.crossTypeLadder
        for i in ladder.indices {
            #expect(ValueOrder.compare(ladder[i], ladder[i]) == 0, "\(show(ladder[i])) == itself")
            for j in ladder.indices where i < j {
                #expect(ValueOrder.compare(ladder[i], ladder[j]) == -1, "\(show(ladder[i])) < \(show(ladder[j]))")
                #expect(ValueOrder.compare(ladder[j], ladder[i]) == 1, "\(show(ladder[j])) > \(show(ladder[i]))")
            }
        }
    }

    @Test func nanIsBelowNegativeInfinityAndEqualToItself() {
        #expect(ValueOrder.compare(V.d(.nan), V.d(-.infinity)) == -1)
        #expect(ValueOrder.compare(V.d(.nan), V.i(.min)) == -1)
        #expect(ValueOrder.compare(V.d(.nan), V.d(.nan)) == 0)
        #expect(ValueOrder.compare(V.b(true), V.d(.nan)) == -1)
    }

    @Test func integerAndDoubleOfTheSameValueAreEqual() {
        #expect(ValueOrder.compare(V.i(5), V.d(5.0)) == 0)
        #expect(ValueOrder.compare(V.d(-3.0), V.i(-3)) == 0)
        #expect(ValueOrder.equal(V.i(0), V.d(-0.0)))
    }

    @Test func twoToThe53PlusOneIsAboveTwoToThe53AsADouble() {
        let big: Int64 = 1 << 53
        #expect(ValueOrder.compare(V.i(big + 1), V.d(Double(big))) == 1)
        #expect(ValueOrder.compare(V.d(Double(big)), V.i(big + 1)) == -1)
        #expect(ValueOrder.compare(V.i(big), V.d(Double(big))) == 0)
        #expect(ValueOrder.compare(V.i(big + 1), V.d(Double(big) + 2)) == -1)
        #expect(ValueOrder.compare(V.i(-big - 1), V.d(-Double(big))) == -1)
    }

    @Test func int64MaxIsBelowTheDouble9point223372036854775807e18() {
        // The double literal rounds to 2^63, one above Int64.max.
        let d = 9.223372036854775807e18
        #expect(d == 9_223_372_036_854_775_808.0)
        #expect(ValueOrder.compare(V.i(.max), V.d(d)) == -1)
        #expect(ValueOrder.compare(V.d(d), V.i(.max)) == 1)
        #expect(ValueOrder.compare(V.i(.max), V.d(d.nextDown)) == 1)
        #expect(ValueOrder.compare(V.i(.min), V.d(-d)) == 0)
        #expect(ValueOrder.compare(V.i(.min), V.d((-d).nextDown)) == 1)
    }

    @Test func integersCompareWithFractionalDoublesExactly() {
        #expect(ValueOrder.compare(V.i(4), V.d(4.5)) == -1)
        #expect(ValueOrder.compare(V.i(5), V.d(4.5)) == 1)
        #expect(ValueOrder.compare(V.i(-4), V.d(-4.5)) == 1)
        #expect(ValueOrder.compare(V.i(-5), V.d(-4.5)) == -1)
        #expect(ValueOrder.compare(V.i(0), V.d(.leastNonzeroMagnitude)) == -1)
        #expect(ValueOrder.compare(V.i(0), V.d(-.leastNonzeroMagnitude)) == 1)
        #expect(ValueOrder.compare(V.i(.max), V.d(.infinity)) == -1)
        #expect(ValueOrder.compare(V.i(.min), V.d(-.infinity)) == 1)
    }

    @Test func negativeZeroEqualsZero() {
        #expect(ValueOrder.compare(V.d(-0.0), V.d(0.0)) == 0)
        #expect(ValueOrder.compare(V.geo(-0.0, 0), V.geo(0, -0.0)) == 0)
    }

    @Test func stringsOrderByUTF8BytesNotUTF16Units() {
        // U+FF61 is EF BD A1 in UTF-8 and FF61 in UTF-16; U+1F600 is F0 9F 98 80 and D83D DE00.
        #expect(ValueOrder.compare(V.s("\u{FF61}"), V.s("\u{1F600}")) == -1)
        #expect(ValueOrder.compare(V.s("\u{1F600}"), V.s("\u{FF61}")) == 1)
        #expect(ValueOrder.compare(V.s("Z"), V.s("a")) == -1)
        #expect(ValueOrder.compare(V.s("a"), V.s("ab")) == -1)
        #expect(ValueOrder.compare(V.s("a\u{0}"), V.s("a")) == 1)
    }

    @Test func canonicallyEquivalentStringsAreDifferentValues() {
        // Swift's == treats "é" and "e\u{301}" as equal; Firestore compares bytes.
        #expect(ValueOrder.compare(V.s("\u{E9}"), V.s("e\u{301}")) == 1)
    }

    @Test func bytesOrderUnsignedShorterFirst() {
        #expect(ValueOrder.compare(V.bytes([0x7F]), V.bytes([0x80])) == -1)
        #expect(ValueOrder.compare(V.bytes([1]), V.bytes([1, 0])) == -1)
        #expect(ValueOrder.compare(V.bytes([0xFF]), V.bytes([])) == 1)
    }

    @Test func timestampsOrderBySecondsThenNanos() {
        #expect(ValueOrder.compare(V.ts(-1, 999_999_000), V.ts(0)) == -1)
        #expect(ValueOrder.compare(V.ts(5, 1000), V.ts(5, 2000)) == -1)
        #expect(ValueOrder.compare(V.ts(6), V.ts(5, 999_999_000)) == 1)
    }

    @Test func referencesOrderSegmentBySegmentShorterFirst() {
        #expect(ValueOrder.compare(V.ref("c/a"), V.ref("c/a/s/x")) == -1)
        #expect(ValueOrder.compare(V.ref("c/a/s/x"), V.ref("c/b")) == -1)
        // Per segment: "a" < "a!" even though "a/" > "a!" as whole strings.
        #expect(ValueOrder.compare(V.ref("c/a/s/x"), V.ref("c/a!")) == -1)
    }

    @Test func geoPointsOrderByLatitudeThenLongitude() {
        #expect(ValueOrder.compare(V.geo(1, 100), V.geo(2, -100)) == -1)
        #expect(ValueOrder.compare(V.geo(1, 2), V.geo(1, 3)) == -1)
    }

    @Test func arraysCompareElementWiseThenShorterFirst() {
        #expect(ValueOrder.compare(V.arr(V.i(1), V.i(2)), V.arr(V.i(1), V.i(3))) == -1)
        #expect(ValueOrder.compare(V.arr(V.i(1)), V.arr(V.i(1), V.null)) == -1)
        #expect(ValueOrder.compare(V.arr(V.i(2)), V.arr(V.i(1), V.i(9))) == 1)
        #expect(ValueOrder.compare(V.arr(V.i(1)), V.arr(V.d(1.0))) == 0)
        #expect(ValueOrder.compare(V.arr(V.s("a")), V.arr(V.i(9))) == 1)
    }

    @Test func vectorsOrderByLengthFirstThenElements() {
        #expect(ValueOrder.compare(V.vector(9, 9), V.vector(1, 1, 1)) == -1)
        #expect(ValueOrder.compare(V.vector(1, 2), V.vector(1, 3)) == -1)
        #expect(ValueOrder.compare(V.arr(V.i(1), V.i(2), V.i(3)), V.vector()) == -1)
        #expect(ValueOrder.compare(V.vector(1, 2, 3), V.map([:])) == -1)
    }

    @Test func mapWithTypeKeyButNoVectorValueIsAnOrdinaryMap() {
        let fake = V.map(["__type__": V.s("__vector__"), "value": V.i(1)])
        #expect(ValueOrder.typeRank(fake) == ValueOrder.typeRank(V.map([:])))
        #expect(ValueOrder.compare(V.vector(1, 2, 3, 4), fake) == -1)
    }

    @Test func mapsCompareBySortedKeyThenValueThenSize() {
        #expect(ValueOrder.compare(V.map(["a": V.i(1)]), V.map(["a": V.i(2)])) == -1)
        #expect(ValueOrder.compare(V.map(["a": V.i(9)]), V.map(["b": V.i(0)])) == -1)
        #expect(ValueOrder.compare(V.map(["a": V.i(1)]), V.map(["a": V.i(1), "b": V.null])) == -1)
        // Keys are visited in byte order whatever order the dictionary holds them in.
        #expect(ValueOrder.compare(V.map(["b": V.i(1), "a": V.i(1)]), V.map(["a": V.i(1), "c": V.i(0)])) == -1)
        #expect(ValueOrder.compare(V.map(["\u{FF61}": V.null]), V.map(["\u{1F600}": V.null])) == -1)
        #expect(ValueOrder.compare(V.map(["a": V.i(1)]), V.map(["a": V.d(1)])) == 0)
    }

    @Test func sortedKeysUseUTF8ByteOrder() {
        let keys = ValueOrder.sortedKeys(["\u{1F600}": V.null, "\u{FF61}": V.null, "b": V.null, "B": V.null, "": V.null])
        #expect(keys == ["", "B", "b", "\u{FF61}", "\u{1F600}"])
    }
}
