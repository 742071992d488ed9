import FlintCore
@testable import FlintStore
import FlintTesting
import Foundation
import Synchronization
import Testing

@Suite struct StoreSnapshotTests {
    func put(_ store: DocumentStore, _ p: String, _ i: Int64) async throws {
        try await store.write { w in
            let t = try w.nextCommitTime(now: Timestamps.nowMicros())
            let previous = try w.document(testDB, path(p))
            try w.put(testDB, doc(p, ["i": .integer(i)], time: t), previous: previous)
        }
    }

    func read(_ store: DocumentStore, _ p: String) async throws -> Int64? {
        try await store.read { try $0.document(testDB, path(p)) }?.fields["i"]?.integerValue
    }

    @Test func aRestoreForgetsRowIDsAndRecentDocumentsOfWhatItUndid() async throws {
        try await withStore { store in
            let snapshots = StoreSnapshots(store: store)
            try await put(store, "a/1", 1)
            try await snapshots.save("s")
            // A collection created after the snapshot gets a scope row that the restore removes;
            // a stale cache would send the next new collection's writes to it.
            try await put(store, "later/1", 2)
            try await put(store, "a/1", 3)
            try await snapshots.restore("s")
            try await put(store, "other/1", 4)
            #expect(try await read(store, "a/1") == 1)
            #expect(try await read(store, "later/1") == nil)
            #expect(try await read(store, "other/1") == 4)
            let count = try await store.read { try $0.documentCount() }
            #expect(count == 2)
            // The writer reads a/1 again from the restored rows, not from what it stored lately.
            try await store.write { w in
                let current = try w.document(testDB, path("a/1"))
                #expect(current?.fields["i"] == .integer(1))
            }
        }
    }

    @Test func commitTimesKeepIncreasingAcrossARestore() async throws {
        try await withStore { store in
            let snapshots = StoreSnapshots(store: store)
            try await put(store, "a/1", 1)
            try await snapshots.save("s")
            try await put(store, "a/2", 2)
            let before = store.shared.clock.lastCommitTime
            let restoreTime = Mutex<Int64>(0)
            try await snapshots.restore("s") { t in restoreTime.withLock { $0 = t } }
            #expect(restoreTime.withLock { $0 } > before)
            try await put(store, "a/3", 3)
            let after = try await store.read { try $0.document(testDB, path("a/3")) }?.updateTime ?? 0
            #expect(after > restoreTime.withLock { $0 })
        }
    }

    @Test func writesRacingRestoresAreEachWhollyBeforeOrAfterOne() async throws {
        try await withStore { store in
            let snapshots = StoreSnapshots(store: store)
            try await put(store, "base/1", 0)
            try await snapshots.save("s")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<4 {
                    group.addTask {
                        for i in 0..<50 {
                            try await store.write { writer in
                                let t = try writer.nextCommitTime(now: Timestamps.nowMicros())
                                // Two documents per write: a restore never splits them.
                                for side in ["x", "y"] {
                                    let p = "\(side)/w\(w)-\(i)"
                                    try writer.put(testDB, doc(p, ["i": .integer(Int64(i))], time: t), previous: try writer.document(testDB, path(p)))
                                }
                            }
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<10 { try await snapshots.restore("s") }
                }
                try await group.waitForAll()
            }
            let (x, y) = try await store.read { r in
                (try r.documents(testDB, in: path("x")).map(\.path.lastSegment), try r.documents(testDB, in: path("y")).map(\.path.lastSegment))
            }
            #expect(x == y)
            #expect(try await read(store, "base/1") == 0)
        }
    }

    @Test func unknownAndBadNamesAreRefused() async throws {
        try await withStore { store in
            let snapshots = StoreSnapshots(store: store)
            await expectFirestoreError(.notFound) { try await snapshots.restore("missing") }
            await expectFirestoreError(.invalidArgument) { try await snapshots.save("a/b") }
            expectFirestoreError(.notFound) { try snapshots.delete("missing") }
            try await snapshots.save("one")
            #expect(snapshots.list().map(\.name) == ["one"])
            try snapshots.delete("one")
            #expect(snapshots.list().isEmpty)
        }
    }
}
