import FlintCore
import FlintProto
import FlintService
@testable import FlintStore
import Foundation
import FlintTesting
import Testing

@Suite("Index exemptions")
struct IndexExemptionTests {
    /// `book` (a map) and `tags.hidden` are exempt in collection group `ledger`.
    let exemptions = IndexExemptions(["ledger": [FieldPath(["book"]), FieldPath(["tags", "hidden"])]])

    let entry: Fields = [
        "owner": .string("ann"),
        "book": .map(["o1": .map(["total": .integer(5)]), "o2": .map(["total": .integer(7)])]),
        "tags": .map(["hidden": .array([.string("x")]), "shown": .string("y")]),
    ]

    /// The field names of a document's index rows: in its collection's scope (the document id),
    /// or with `group`, in its collection group's scope (the full path).
    func fields(_ store: DocumentStore, of p: String, group: Bool = false) async throws -> [String] {
        let key = group ? p.split(separator: "/").map { $0 + "|\u{01}" }.joined() : String(p.split(separator: "/").last!)
        return try await indexRows(store).filter { $0.hasSuffix(" @ " + key) }.map { String($0.split(separator: " ")[0]) }
    }

    @Test func exemptFieldsAndEverythingInsideThemGetNoRows() async throws {
        try await withService { service, store in
            try store.setIndexExemptions(exemptions)
            try await commit(service, update("c/1/ledger/l", entry), update("c/1/other/o", entry))
            #expect(try await fields(store, of: "c/1/ledger/l") == ["owner", "tags", "tags.shown"])
            #expect(try await fields(store, of: "c/1/ledger/l", group: true) == ["owner", "tags", "tags.shown"])
            #expect(try await fields(store, of: "c/1/other/o").count == 10)
            #expect(try await fields(store, of: "c/1/other/o", group: true).contains("[]tags.hidden"))

            // Changing exempt fields, and then the others, keeps the rows as they should be.
            var changed = entry
            changed["book"] = .map(["o3": .map(["total": .integer(1)])])
            changed["owner"] = .string("bob")
            try await commit(service, update("c/1/ledger/l", changed))
            #expect(try await fields(store, of: "c/1/ledger/l") == ["owner", "tags", "tags.shown"])
            let bob = Q.query("ledger", allDescendants: true, where: Q.field("owner", .equal, .string("bob")))
            #expect(paths(try await runQuery(service, bob)) == ["c/1/ledger/l"])

            try await commit(service, delete("c/1/ledger/l"))
            #expect(try await fields(store, of: "c/1/ledger/l").isEmpty)
            #expect(try await fields(store, of: "c/1/ledger/l", group: true).isEmpty)
        }
    }

    @Test func queriesThatNeedAnExemptIndexFailWithFailedPrecondition() async throws {
        try await withService { service, store in
            try store.setIndexExemptions(exemptions)
            try await commit(service, update("ledger/a", entry))
            let needing: [SQ] = [
                Q.query("ledger", where: Q.field("book.o1.total", .equal, .integer(5))),
                Q.query("ledger", allDescendants: true, where: Q.field("book", .notEqual, .null)),
                Q.query("ledger", orderBy: ["tags.hidden"]),
                Q.query("ledger", where: Q.or(Q.field("owner", .equal, .string("x")), Q.field("tags.hidden", .arrayContains, .string("x")))),
            ]
            for q in needing {
                let error = await expectFirestoreError(.failedPrecondition) { _ = try await runQuery(service, q) }
                #expect(error?.message.contains("collection group \"ledger\"") == true)
            }
            // Other fields, other groups, and a map beside an exempt one still query normally.
            let fine: [SQ] = [
                Q.query("ledger", where: Q.field("tags.shown", .equal, .string("y"))),
                Q.query("ledger", orderBy: ["owner"]),
                Q.query("other", where: Q.field("book.o1.total", .equal, .integer(5))),
            ]
            #expect(paths(try await runQuery(service, fine[0])) == ["ledger/a"])
            #expect(paths(try await runQuery(service, fine[1])) == ["ledger/a"])
            #expect(paths(try await runQuery(service, fine[2])).isEmpty)
        }
    }

    @Test func changedExemptionsRebuildTheRowsOfTheirGroupsAndPersist() async throws {
        let file = temporaryStorePath()
        defer { removeStoreFiles(file) }
        let byTotal = Q.query("ledger", allDescendants: true, where: Q.field("book.o2.total", .equal, .integer(7)))
        do {
            let store = try DocumentStore(path: file)
            defer { store.close() }
            let service = FirestoreService(store: store)
            try await commit(service, update("ledger/a", entry), update("c/1/ledger/b", entry), update("c/1/other/o", entry))
            #expect(paths(try await runQuery(service, byTotal)) == ["c/1/ledger/b", "ledger/a"])
        }
        let full = 5 * 10  // 10 rows a document, and its group's 10 more for the two nested ones
        do {
            // Started with exemptions: the group's rows shrink; other groups keep theirs.
            let store = try DocumentStore(path: file)
            defer { store.close() }
            #expect(try await indexRowCount(store) == full)
            try store.setIndexExemptions(exemptions)
            #expect(try await indexRowCount(store) == full - 3 * 7)
            #expect(try await fields(store, of: "c/1/other/o", group: true).count == 10)
        }
        do {
            // The exemptions are remembered with the rows, and dropping them restores the rows.
            let store = try DocumentStore(path: file)
            defer { store.close() }
            #expect(try await store.read { $0.shared.indexExemptions } == exemptions)
            try store.setIndexExemptions(IndexExemptions())
            #expect(try await indexRowCount(store) == full)
            #expect(paths(try await runQuery(FirestoreService(store: store), byTotal)) == ["c/1/ledger/b", "ledger/a"])
        }
    }
}
