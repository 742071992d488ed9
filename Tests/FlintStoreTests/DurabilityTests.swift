import FlintCore
import FlintProto
import FlintService
@testable import FlintStore
import Foundation
import GRDB
import GRDBSQLite
import Testing

@Suite("Durability")
struct DurabilityTests {
    @Test func storeWrittenClosedAndReopenedReadsTheSameDocuments() async throws {
        let file = temporaryStorePath()
        defer { removeStoreFiles(file) }
        let written = DocumentSnapshot(
            path: path("c/a/s/b"), fields: ["x": .integer(7), "s": .string("\u{1F600}")], createTime: 11, updateTime: 12)
        let first = try DocumentStore(path: file)
        try await put(first, written, doc("c/z", [:]))
        _ = try await first.write { try $0.nextCommitTime(now: 12) }
        first.close()

        let second = try DocumentStore(path: file)
        defer { second.close() }
        #expect(try await get(second, "c/a/s/b") == written)
        #expect(try await second.read { try $0.lastCommitTime() } == 12)
        #expect(try await second.read { try $0.collectionIDs(testDB, under: .root) } == ["c"])
        #expect(try await indexRowCount(second) == 4)
    }

    @Test func onlyTheDurableStoreSyncsItsWriter() async throws {
        func writerSync(_ store: DocumentStore) async throws -> Int {
            try await store.write { try Int.fetchOne($0.reader.db, sql: "PRAGMA synchronous") ?? -1 }
        }
        let file = temporaryStorePath()
        defer { removeStoreFiles(file) }
        let durable = try DocumentStore(path: file)
        defer { durable.close() }
        let ephemeral = try DocumentStore(path: nil)
        defer { ephemeral.close() }
        #expect(try await writerSync(durable) == 1)  // NORMAL: the WAL survives a process kill
        #expect(try await writerSync(ephemeral) == 0)  // OFF: nothing has to survive
    }

    @Test func sqliteKeepsNoMemoryStatistics() async throws {
        // Turned off before SQLite's first use: the statistics take a global mutex on every allocation.
        try await withStore { store in
            try await put(store, doc("c/a", ["x": .string(String(repeating: "x", count: 10_000))]))
            var current: Int64 = -1
            var highest: Int64 = -1
            #expect(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &current, &highest, 0) == SQLITE_OK)
            #expect(current == 0 && highest == 0)
        }
    }

    @Test func durableStoreFileRemainsAfterClose() async throws {
        let file = temporaryStorePath()
        defer { removeStoreFiles(file) }
        let store = try DocumentStore(path: file)
        try await put(store, doc("c/a", [:]))
        store.close()
        #expect(FileManager.default.fileExists(atPath: file))
    }

    @Test func commitsThroughTheServiceSurviveReopeningAndTimesKeepIncreasing() async throws {
        let file = temporaryStorePath()
        defer { removeStoreFiles(file) }
        let first = try DocumentStore(path: file)
        let before = try await commit(FirestoreService(store: first), update("c/a", ["n": .integer(1)]))
        first.close()

        let second = try DocumentStore(path: file)
        defer { second.close() }
        let service = FirestoreService(store: second)
        let got = try #require(try await fetch(service, "c/a"))
        #expect(got.fields == ["n": .integer(1)])
        #expect(got.updateTime == before.commitTime)
        let after = try await commit(service, update("c/b", [:]))
        #expect(after.commitTime.micros > before.commitTime.micros)
    }
}
