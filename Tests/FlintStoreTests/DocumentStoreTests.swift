import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite("DocumentStore")
struct DocumentStoreTests {
    @Test func putThenGetReturnsTheSameDocument() async throws {
        try await withStore { store in
            let d = DocumentSnapshot(path: path("c/a"), fields: ["x": .integer(1), "s": .string("\u{1F600}")], createTime: 5, updateTime: 7)
            try await put(store, d)
            #expect(try await get(store, "c/a") == d)
        }
    }

    @Test func getOfAnAbsentDocumentIsNil() async throws {
        try await withStore { store in
            #expect(try await get(store, "c/a") == nil)
            try await put(store, doc("c/a", [:]))
            #expect(try await get(store, "c/b") == nil)
            #expect(try await get(store, "c/a", database: DatabaseID(project: "other")) == nil)
        }
    }

    @Test func putOverwritesFieldsAndTimes() async throws {
        try await withStore { store in
            try await put(store, doc("c/a", ["x": .integer(1)], time: 1))
            let replacement = DocumentSnapshot(path: path("c/a"), fields: ["y": .boolean(true)], createTime: 1, updateTime: 2)
            try await put(store, replacement)
            #expect(try await get(store, "c/a") == replacement)
        }
    }

    @Test func deleteRemovesTheDocumentOnly() async throws {
        try await withStore { store in
            try await put(store, doc("c/a", ["x": .integer(1)]), doc("c/b", ["x": .integer(2)]))
            try await remove(store, "c/a")
            #expect(try await get(store, "c/a") == nil)
            #expect(try await get(store, "c/b")?.fields == ["x": .integer(2)])
        }
    }

    @Test func databasesAreIndependent() async throws {
        try await withStore { store in
            let other = DatabaseID(project: "p", database: "second")
            try await put(store, doc("c/a", ["db": .string("default")]))
            try await put(store, doc("c/a", ["db": .string("second")]), database: other)
            #expect(try await get(store, "c/a")?.fields["db"] == .string("default"))
            #expect(try await get(store, "c/a", database: other)?.fields["db"] == .string("second"))
        }
    }

    @Test func indexHoldsOneRowPerFieldAtEveryDepthAndOnePerDistinctArrayElement() async throws {
        try await withStore { store in
            let fields: Fields = [
                "a": .integer(1),
                "b": .array([.integer(1), .integer(2), .integer(2), .double(1.0)]),
                "m": .map(["x": .integer(1), "y": .map(["z": .boolean(true)])]),
            ]
            try await put(store, doc("c/d", fields))
            #expect(try await indexRows(store) == ["[]b @ d", "[]b @ d", "a @ d", "b @ d", "m @ d", "m.x @ d", "m.y @ d", "m.y.z @ d"])
        }
    }

    @Test func nestedDocumentsAreIndexedForTheirCollectionAndTheirCollectionGroup() async throws {
        try await withStore { store in
            try await put(store, doc("c/d/s/e", ["a": .integer(1)]))
            // Collection scope keys by id; group scope keys by the escaped full path.
            #expect(try await indexRows(store) == ["a @ c|\u{1}d|\u{1}s|\u{1}e|\u{1}", "a @ e"])
        }
    }

    @Test func indexFieldNamesUseCanonicalQuoting() async throws {
        try await withStore { store in
            try await put(store, doc("c/d", ["a.b": .integer(1), "1x": .integer(2)]))
            #expect(try await indexRows(store) == ["`1x` @ d", "`a.b` @ d"])
        }
    }

    @Test func vectorIsIndexedAsOneValue() async throws {
        try await withStore { store in
            let vector = FirestoreValue.map(["__type__": .string("__vector__"), "value": .array([.double(1), .double(2)])])
            try await put(store, doc("c/d", ["v": vector]))
            #expect(try await indexRows(store) == ["v @ d"])
        }
    }

    @Test func replacingADocumentDropsIndexRowsOfRemovedFields() async throws {
        try await withStore { store in
            try await put(store, doc("c/d", ["a": .integer(1), "b": .integer(2), "arr": .array([.integer(1)])]))
            try await put(store, doc("c/d", ["a": .integer(1), "c": .integer(3)], time: 2))
            #expect(try await indexRows(store) == ["a @ d", "c @ d"])
        }
    }

    @Test func changingAValueReplacesItsIndexRow() async throws {
        try await withStore { store in
            try await put(store, doc("c/d", ["a": .integer(1)]))
            try await put(store, doc("c/d", ["a": .string("one")], time: 2))
            let values = try await store.read { reader in
                try Data.fetchAll(reader.db, sql: "SELECT value FROM field_index").map { Array($0) }
            }
            #expect(values == [IndexKey.encode(.string("one"))])
        }
    }

    @Test func deletingANestedDocumentRemovesAllItsIndexRows() async throws {
        try await withStore { store in
            try await put(store, doc("c/d/s/e", ["a": .integer(1), "b": .array([.string("x")])]), doc("c/d", ["k": .null]))
            #expect(try await indexRowCount(store) == 7)
            try await remove(store, "c/d/s/e")
            #expect(try await indexRows(store) == ["k @ d"])
        }
    }

    @Test func failedWriteTransactionLeavesNothingBehindAndLaterWritesStillWork() async throws {
        try await withStore { store in
            // Our own errors pass through the store boundary unchanged.
            await #expect(throws: FirestoreError.failedPrecondition("boom")) {
                try await store.write { writer in
                    try writer.put(testDB, doc("fresh/a", ["x": .integer(1)]), previous: nil)
                    throw FirestoreError.failedPrecondition("boom")
                }
            }
            #expect(try await get(store, "fresh/a") == nil)
            #expect(try await indexRowCount(store) == 0)
            // The rolled-back transaction created the collection's scope; a new write must recreate it.
            try await put(store, doc("fresh/b", ["x": .integer(2)]))
            #expect(try await get(store, "fresh/b")?.fields == ["x": .integer(2)])
            #expect(try await store.read { try $0.documents(testDB, in: path("fresh")) }.map(\.path.lastSegment) == ["b"])
        }
    }

    @Test func otherErrorsThrownInsideAWriteBecomeInternalErrors() async throws {
        struct Boom: Error {}
        try await withStore { store in
            await #expect(throws: FirestoreError(.internal, "Storage error: Boom()")) {
                try await store.write { _ in throw Boom() }
            }
        }
    }

    @Test
    func collectionsWhoseIDsDifferOnlyInUnicodeNormalisationStayApart() async throws {
        try await withStore { store in
            try await put(store, doc("\u{E9}/a", ["v": .integer(1)]))
            try await put(store, doc("e\u{301}/b", ["v": .integer(2)]))
            let (composed, decomposed) = try await store.read { r in
                (try r.documents(testDB, in: path("\u{E9}")).map(\.path.lastSegment),
                 try r.documents(testDB, in: path("e\u{301}")).map(\.path.lastSegment))
            }
            #expect(composed == ["a"])
            #expect(decomposed == ["b"])
        }
    }

    @Test func documentsWhoseIDsDifferOnlyInUnicodeNormalisationAreDistinct() async throws {
        try await withStore { store in
            try await put(store, doc("c/\u{E9}", ["v": .integer(1)]), doc("c/e\u{301}", ["v": .integer(2)]))
            let ids = try await store.read { try $0.documents(testDB, in: path("c")) }.map { Array($0.path.lastSegment.utf8) }
            #expect(ids == [Array("e\u{301}".utf8), Array("\u{E9}".utf8)])
            #expect(try await get(store, "c/\u{E9}")?.fields["v"] == .integer(1))
        }
    }

    @Test func commitTimesNeverGoBackwards() async throws {
        try await withStore { store in
            let times = try await store.write { w in [try w.nextCommitTime(now: 100), try w.nextCommitTime(now: 50), try w.nextCommitTime(now: 500)] }
            #expect(times == [100, 101, 500])
            #expect(try await store.read { try $0.lastCommitTime() } == 500)
        }
    }

    @Test func clearRemovesEveryDocumentAndIndexRowOfOneDatabaseOnly() async throws {
        try await withStore { store in
            let other = DatabaseID(project: "q")
            try await put(store, doc("c/a", ["x": .integer(1)]), doc("c/a/s/b", ["y": .integer(2)]))
            try await put(store, doc("c/a", ["x": .integer(1)]), database: other)
            try await store.write { try $0.clear(testDB) }
            #expect(try await get(store, "c/a") == nil)
            #expect(try await get(store, "c/a/s/b") == nil)
            #expect(try await get(store, "c/a", database: other) != nil)
            #expect(try await indexRowCount(store) == 1)
        }
    }
}
