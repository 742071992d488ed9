import FlintCore
import Testing

/// Property: comparing index keys bytewise gives exactly ValueOrder.compare.
@Suite("Index key encoding")
struct IndexKeyTests {
    static let edgeCases: [FirestoreValue] = {
        let big: Int64 = 1 << 53
        var v: [FirestoreValue] = [
            V.null, V.b(false), V.b(true),
            V.d(.nan), V.d(-.infinity), V.d(.infinity), V.d(-.greatestFiniteMagnitude), V.d(.greatestFiniteMagnitude),
            V.d(-0.0), V.d(0.0), V.i(0), V.d(.leastNonzeroMagnitude), V.d(-.leastNonzeroMagnitude),
            V.d(.leastNormalMagnitude), V.i(1), V.d(1), V.d(1.5), V.i(-1), V.d(-1), V.d(-1.5), V.i(2), V.d(0.5),
            V.i(.max), V.i(.min), V.i(.max - 1), V.i(.min + 1), V.d(9.223372036854775807e18),
            V.d(-9.223372036854775808e18), V.d(9.223372036854775807e18.nextDown), V.d((-9.223372036854775808e18).nextDown),
            V.i(big), V.i(big + 1), V.i(big - 1), V.i(big + 2), V.i(big + 3), V.d(Double(big)), V.d(Double(big) + 2),
            V.d(Double(big) + 4), V.i(-big), V.i(-big - 1), V.i(-big - 3), V.d(-Double(big)), V.d(-Double(big) - 2),
            V.i(1 << 62 + 1), V.d(Double(1 << 62)), V.i(-(1 << 62) - 1),
            V.ts(0), V.ts(0, 1000), V.ts(-1, 999_999_000), V.ts(-62_135_596_800), V.ts(253_402_300_799, 999_999_000),
            V.ts(1_700_000_000, 123_456_000),
            V.s(""), V.s("a"), V.s("a\u{0}"), V.s("a\u{0}b"), V.s("a\u{1}"), V.s("ab"), V.s("b"), V.s("B"),
            V.s("\u{E9}"), V.s("e\u{301}"), V.s("\u{FF61}"), V.s("\u{1F600}"), V.s("\u{10FFFF}"), V.s("\u{0}"),
            V.bytes([]), V.bytes([0]), V.bytes([0, 0]), V.bytes([0, 1]), V.bytes([0, 0xFF]), V.bytes([1]),
            V.bytes([0xFF]), V.bytes([0xFF, 0]),
            V.ref("c/a"), V.ref("c/a/s/x"), V.ref("c/a!"), V.ref("c/b"), V.ref("c/a\u{0}"), V.ref("d/a"),
            V.ref("c\u{0}/a"),
            V.geo(-90, -180), V.geo(-90, 180), V.geo(0, 0), V.geo(-0.0, 0), V.geo(0, 1), V.geo(90, 180),
            V.arr(), V.arr(V.null), V.arr(V.d(.nan)), V.arr(V.i(1)), V.arr(V.d(1)), V.arr(V.i(1), V.i(2)),
            V.arr(V.i(1), V.null), V.arr(V.s("a")), V.arr(V.s("a"), V.s("b")), V.arr(V.s("a\u{0}")),
            V.arr(V.arr()), V.arr(V.map([:])), V.arr(V.b(true), V.b(false)),
            V.vector(), V.vector(1), V.vector(2), V.vector(1, 2), V.vector(-0.0), V.vector(0, 0, 0),
            V.map([:]), V.map(["a": V.null]), V.map(["a": V.i(1)]), V.map(["a": V.d(1)]), V.map(["a": V.i(2)]),
            V.map(["b": V.i(0)]), V.map(["a": V.i(1), "b": V.i(1)]), V.map(["a\u{0}": V.null]),
            V.map(["": V.null]), V.map(["a": V.map(["b": V.i(1)])]), V.map(["a": V.s("x")]),
            V.map(["__type__": V.s("__vector__"), "value": V.i(1)]), V.map(["__type__": V.s("x")]),
            V.map(["\u{FF61}": V.null]), V.map(["\u{1F600}": V.null]),
        ]
        v.append(V.map(["__type__": V.s("__vector__"), "value": V.arr(V.i(3))]))  // an integer-valued vector
        return v
    }()

    static func generated(count: Int) -> [FirestoreValue] {
        var rng = SplitMix64(seed: 0x5EED_F11E)
        let alphabet: [String] = ["a", "b", "\u{0}", "\u{7F}", "\u{E9}", "\u{FF61}", "\u{1F600}", "/"]
        func string() -> String { (0..<Int.random(in: 0...3, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined() }
        func scalar() -> FirestoreValue {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: V.i(Int64.random(in: -3...3, using: &rng))
            case 1: V.i(Int64(bitPattern: rng.next()) >> Int64.random(in: 0...62, using: &rng))
            case 2: V.d(Double(Int.random(in: -6...6, using: &rng)) / 2)
            case 3: V.d(Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF | (rng.next() & (1 << 63))))
            case 4: V.s(string())
            case 5: V.bytes((0..<Int.random(in: 0...3, using: &rng)).map { _ in ([0, 1, 0xFF] as [UInt8]).randomElement(using: &rng)! })
            case 6: V.ts(Int64.random(in: -2...2, using: &rng), Int32.random(in: 0...1, using: &rng) * 500_000_000)
            default: V.b(Bool.random(using: &rng))
            }
        }
        return (0..<count).map { _ -> FirestoreValue in
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: return V.arr(scalar(), scalar())
            case 1: return .array((0..<Int.random(in: 0...2, using: &rng)).map { _ in scalar() })
            case 2:
                var fields: Fields = [:]
                for _ in 0..<Int.random(in: 0...2, using: &rng) { fields[string()] = scalar() }
                return V.map(fields)
            default: return scalar()
            }
        }
    }

    static let corpus: [FirestoreValue] = edgeCases + generated(count: 200 - edgeCases.count)

    @Test func corpusHasAboutTwoHundredValues() {
        #expect(Self.corpus.count == 200)
    }

    @Test func byteOrderOfKeysMatchesValueOrderForEveryPair() {
        let keys = Self.corpus.map(IndexKey.encode)
        var failures: [String] = []
        for i in Self.corpus.indices {
            for j in Self.corpus.indices {
                let expected = ValueOrder.compare(Self.corpus[i], Self.corpus[j])
                let actual = keys[i] == keys[j] ? 0 : (keys[i].lexicographicallyPrecedes(keys[j]) ? -1 : 1)
                if expected != actual {
                    failures.append("\(show(Self.corpus[i])) vs \(show(Self.corpus[j])): order \(expected), keys \(actual)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(5).joined(separator: "; "))")
    }

    @Test func valueOrderIsAntisymmetricOverTheCorpus() {
        for a in Self.corpus {
            for b in Self.corpus where ValueOrder.compare(a, b) != -ValueOrder.compare(b, a) {
                Issue.record("compare(\(show(a)), \(show(b))) is not the negation of its converse")
            }
        }
    }

    @Test func sortingByKeysSortsByValueOrder() {
        let byKey = Self.corpus.sorted { IndexKey.encode($0).lexicographicallyPrecedes(IndexKey.encode($1)) }
        for (a, b) in zip(byKey, byKey.dropFirst()) {
            #expect(ValueOrder.compare(a, b) <= 0, "\(show(a)) sorted before \(show(b))")
        }
    }

    @Test func equalNumbersOfDifferentTypesShareOneKey() {
        #expect(IndexKey.encode(V.i(5)) == IndexKey.encode(V.d(5)))
        #expect(IndexKey.encode(V.i(0)) == IndexKey.encode(V.d(-0.0)))
        #expect(IndexKey.encode(V.i(.min)) == IndexKey.encode(V.d(-9.223372036854775808e18)))
        #expect(IndexKey.encode(V.arr(V.i(1))) == IndexKey.encode(V.arr(V.d(1))))
    }

    @Test func nearbyLargeNumbersGetDistinctKeys() {
        let big: Int64 = 1 << 53
        #expect(IndexKey.encode(V.i(big + 1)) != IndexKey.encode(V.d(Double(big))))
        #expect(IndexKey.encode(V.i(.max)) != IndexKey.encode(V.d(9.223372036854775807e18)))
        #expect(IndexKey.encode(V.i(.max)).lexicographicallyPrecedes(IndexKey.encode(V.d(9.223372036854775807e18))))
    }

    @Test func documentPathKeysOrderLikeResourcePaths() {
        let paths = [["c", "a"], ["c", "a", "s", "x"], ["c", "a!"], ["c", "a\u{0}"], ["c", "b"], ["c", "\u{FF61}"], ["c", "\u{1F600}"]]
            .map(ResourcePath.init)
        for a in paths {
            for b in paths {
                let byKey = IndexKey.encode(path: a).lexicographicallyPrecedes(IndexKey.encode(path: b))
                #expect(byKey == (a < b), "\(a) vs \(b)")
            }
        }
    }
}
