import FlintCore
import FlintTesting
import Testing

@Suite("Numeric document ids")
struct NumericIDTests {
    let minID = "__id-9223372036854775808__"

    @Test func numericIDsAreValidDocumentIDsAndOtherReservedIDsAreNot() throws {
        try ResourceName.validateID(minID)
        try ResourceName.validateID("__id5__")
        #expect(NumericID.value(minID) == Int64.min)
        #expect(NumericID.value("__id5__") == 5)
        let outOfRange = expectFirestoreError(.invalidArgument) { try ResourceName.validateID("__id99999999999999999999__") }
        #expect(outOfRange?.message.contains("not a 64 bit integer") == true)
        for id in ["__idx__", "__id__", "__id-__", "__x__"] {
            let error = expectFirestoreError(.invalidArgument) { try ResourceName.validateID(id) }
            #expect(error?.message.contains("reserved") == true, "\(id)")
        }
        expectFirestoreError(.invalidArgument) { try ResourceName.validateID("__id5__", collection: true) }
    }

    @Test func numericIDsSortBeforeEveryStringIDAndByValue() {
        let ids = ["a", "0", "A", "__id5__", "__id-3__", minID, "__idx", "\u{1}"]
        let sorted = ids.sorted { NumericID.compare($0, $1) < 0 }
        #expect(sorted == [minID, "__id-3__", "__id5__", "\u{1}", "0", "A", "__idx", "a"])
    }

    @Test func referencesAndIndexKeysAgreeOnTheOrderOfNumericIDs() {
        let root = "projects/p/databases/(default)/documents/"
        let names = ["c/\(minID)", "c/__id-1__", "c/__id7__", "c/0", "c/Z", "c/a", "c/a/s/\(minID)", "c/a/s/b", "c\u{0}/\(minID)"]
        let refs = names.map { name in FirestoreValue.with { $0.referenceValue = root + name } }
        for (i, a) in refs.enumerated() {
            for (j, b) in refs.enumerated() {
                let byOrder = ValueOrder.compare(a, b).signum()
                let byKey = IndexKey.encode(a).lexicographicallyPrecedes(IndexKey.encode(b)) ? -1 : (i == j ? 0 : 1)
                #expect(byOrder == (i < j ? -1 : (i == j ? 0 : 1)), "\(names[i]) vs \(names[j])")
                #expect(byKey == byOrder, "\(names[i]) vs \(names[j])")
            }
        }
    }

    @Test func pathKeysRoundTripNumericIDs() {
        for path in [["c", minID], ["c", "__id42__", "s", "x"], ["c", "a\u{0}b"], ["c", "__id-1__"]] {
            let p = ResourcePath(path)
            #expect(IndexKey.decodePath(IndexKey.encode(path: p)) == p)
        }
        #expect(IndexKey.encode(path: ResourcePath(["c", minID])).lexicographicallyPrecedes(IndexKey.encode(path: ResourcePath(["c", "\u{1}"]))))
    }
}
