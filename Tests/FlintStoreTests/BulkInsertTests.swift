import FlintCore
import FlintProto
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// `StoreWriter.insertNew` (the bulk load an import uses) must leave exactly the rows that
/// storing the same documents one by one with `put` leaves.
@Suite("Bulk insert")
struct BulkInsertTests {
    let exemptions = IndexExemptions(["ledger": [FieldPath(["book"])]])

    /// Documents of many shapes: nested collections (group-scope rows), arrays holding a value
    /// twice, maps, empty documents, numeric and non-ASCII ids, two databases.
    func documents() -> [(DatabaseID, DocumentSnapshot)] {
        var out: [(DatabaseID, DocumentSnapshot)] = []
        let other = DatabaseID(project: "p", database: "other")
        for i in 0..<300 {
            let fields: Fields = [
                "i": .integer(Int64(300 - i)),
                "s": .string("v\(i % 17)"),
                "d": .double(Double(i) / 3),
                "tags": .array([.string("t\(i % 3)"), .string("t\(i % 3)"), .integer(Int64(i % 5))]),
                "m": .map(["a": .integer(Int64(i % 4)), "b\u{0}c": .array([])]),
                "book": .map(["total": .integer(Int64(i))]),
            ]
            let ids = ["d\(i)", "__id\(i)__", "é\(i)", "Z\(i)"]
            let paths = [
                "c/\(ids[i % 4])", "c/x/ledger/\(ids[i % 4])", "c/y/ledger/\(ids[i % 4])", "k/\(ids[i % 4])",
            ]
            let p = ResourcePath(paths[i % 4].split(separator: "/").map(String.init))
            out.append((i % 7 == 0 ? other : testDB, DocumentSnapshot(path: p, fields: i % 11 == 0 ? [:] : fields, createTime: 5, updateTime: 5)))
        }
        return out
    }

    /// Every row of the documents, index and scope tables, scopes named rather than numbered.
    func contents(_ store: DocumentStore) async throws -> [String] {
        try await store.pool.read { db in
            let scope = "(SELECT d.project || '/' || d.name || ':' || s.kind || ':' || s.parent || ':' || s.cid || ':' || s.doc_count FROM scopes s JOIN databases d ON d.id = s.db WHERE s.id = t.scope)"
            var rows: [String] = []
            for row in try Row.fetchAll(
                db, sql: "SELECT \(scope) AS sc, id, create_time, update_time, hex(fields) AS f FROM documents t ORDER BY sc, id")
            {
                rows.append("doc \(row["sc"] as String) \(row["id"] as String) \(row["create_time"] as Int64) \(row["update_time"] as Int64) \(row["f"] as String)")
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT \(scope) AS sc, field, hex(value) AS v, hex(doc) AS k FROM field_index t ORDER BY sc, field, v, k")
            {
                rows.append("index \(row["sc"] as String) \(row["field"] as String) \(row["v"] as String) \(row["k"] as String)")
            }
            return rows
        }
    }

    func putOneByOne(_ store: DocumentStore, _ docs: [(DatabaseID, DocumentSnapshot)]) async throws {
        try await store.write { writer in
            for (database, d) in docs { try writer.put(database, d, previous: try writer.document(database, d.path)) }
        }
    }

    func insertInBulk(_ store: DocumentStore, _ docs: [(DatabaseID, DocumentSnapshot)]) async throws {
        let prepared = try docs.map { try NewDocument(database: $0.0, path: $0.1.path, fields: $0.1.fields) }
        try await store.write { writer in try writer.insertNew(prepared, time: 5) }
    }

    @Test func leavesTheRowsThatPuttingEachDocumentLeaves() async throws {
        let docs = documents()
        let expected = try await withStore { store in
            try store.setIndexExemptions(exemptions)
            try await putOneByOne(store, docs)
            return try await contents(store)
        }
        let bulk = try await withStore { store in
            try store.setIndexExemptions(exemptions)
            try await insertInBulk(store, docs)
            return try await contents(store)
        }
        #expect(expected.count > 3000)
        #expect(bulk.count == expected.count)
        #expect(bulk == expected)
    }

    @Test func ofAPathGivenTwiceTheLaterWins() async throws {
        let first = doc("c/a", ["v": .integer(1), "old": .boolean(true)], time: 5)
        let second = doc("c/a", ["v": .integer(2)], time: 5)
        let bulk = try await withStore { store in
            try await insertInBulk(store, [(testDB, first), (testDB, doc("c/b", [:], time: 5)), (testDB, second)])
            let stored = try await store.read { try $0.document(testDB, path("c/a")) }
            #expect(stored?.fields == ["v": .integer(2)])
            return try await contents(store)
        }
        let expected = try await withStore { store in
            try await putOneByOne(store, [(testDB, doc("c/b", [:], time: 5)), (testDB, second)])
            return try await contents(store)
        }
        #expect(bulk == expected)
    }

    @Test func aDocumentAlreadyStoredFailsTheWholeInsert() async throws {
        try await withStore { store in
            try await putOneByOne(store, [(testDB, doc("c/m", ["v": .integer(0)], time: 5))])
            let before = try await contents(store)
            await #expect(throws: (any Error).self) {
                try await insertInBulk(store, [(testDB, doc("c/a", ["v": .integer(1)], time: 5)), (testDB, doc("c/m", ["v": .integer(9)], time: 5))])
            }
            #expect(try await contents(store) == before)
            let count = try await store.read { try $0.documentCount() }
            #expect(count == 1)
        }
    }
}
