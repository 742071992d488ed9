import FlintCore
@testable import FlintStore
import Testing

/// The incremental index diff must give exactly what recomputing both documents' rows gives.
@Suite("Index changes of a replaced document")
struct IndexChangeTests {
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }

        mutating func value(depth: Int) -> FirestoreValue {
            switch next(depth > 2 ? 4 : 6) {
            case 0: return .integer(Int64(next(3)))
            case 1: return .double(Double(next(3)))
            case 2: return .string(["a", "b", "c"][next(3)])
            case 3: return .boolean(next(2) == 0)
            case 4: return .array((0..<next(4)).map { _ in value(depth: depth + 1) })
            default: return .map(fields(depth: depth + 1))
            }
        }

        mutating func fields(depth: Int) -> Fields {
            var out: Fields = [:]
            for _ in 0..<next(4) { out[["x", "y", "z", "a.b"][next(4)]] = value(depth: depth) }
            return out
        }

        /// A variation of `f`: some fields changed, removed or added, at any depth.
        mutating func mutate(_ f: Fields, depth: Int) -> Fields {
            var out = f
            for key in f.keys {
                switch next(4) {
                case 0: out[key] = nil
                case 1: out[key] = value(depth: depth)
                case 2: if case .mapValue(let m) = f[key]!.valueType { out[key] = .map(mutate(m.fields, depth: depth + 1)) }
                default: break
                }
            }
            if next(3) == 0 { out[["x", "w"][next(2)]] = value(depth: depth) }
            return out
        }
    }

    @Test func matchesRecomputingEveryRow() {
        var g = Generator(state: 42)
        for _ in 0..<3000 {
            let old = g.fields(depth: 0)
            let new = g.next(5) == 0 ? g.fields(depth: 0) : g.mutate(old, depth: 0)
            let (removing, adding) = IndexEntry.changes(from: old, to: new)
            let before = IndexEntry.entries(of: old)
            let after = IndexEntry.entries(of: new)
            #expect(removing == before.subtracting(after))
            #expect(adding == after.subtracting(before))
        }
    }

    @Test func reorderedArrayKeepsItsContainsRows() {
        let old: Fields = ["t": .array([.string("a"), .string("b")])]
        let new: Fields = ["t": .array([.string("b"), .string("a")])]
        let (removing, adding) = IndexEntry.changes(from: old, to: new)
        #expect(removing.map(\.field) == ["t"] && adding.map(\.field) == ["t"])
    }
}
