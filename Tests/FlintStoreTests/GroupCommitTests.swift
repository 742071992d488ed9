import FlintCore
import FlintProto
import FlintService
@testable import FlintStore
import Foundation
import Synchronization
import Testing

/// Writes that wait for the serial writer share SQLite transactions; each must still behave as
/// if it ran alone: its own outcome, its own commit time, and commit order for observers.
@Suite("Group commit")
struct GroupCommitTests {
    @Test func concurrentCommitsKeepTheirOwnOutcomesTimesAndOrder() async throws {
        try await withService { service, store in
            let seen = Mutex<[Int64]>([])
            service.observeCommits { record in seen.withLock { $0.append(record.commitTime) } }
            // Every third write demands a document that does not exist, so it must fail alone.
            let results = await withTaskGroup(of: (Int, Result<Int64, any Error>).self) { group in
                for i in 0..<90 {
                    group.addTask {
                        var w = update("c/d\(i)", ["i": .integer(Int64(i))])
                        if i % 3 == 0 { w.currentDocument.exists = true }
                        do {
                            let response = try await commit(service, w)
                            return (i, .success(response.commitTime.micros))
                        } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                var out: [Int: Result<Int64, any Error>] = [:]
                for await (i, r) in group { out[i] = r }
                return out
            }
            var times: [Int64] = []
            for (i, result) in results.sorted(by: { $0.key < $1.key }) {
                switch result {
                case .success(let t):
                    #expect(i % 3 != 0)
                    times.append(t)
                case .failure(let error):
                    #expect(i % 3 == 0)
                    #expect((error as? FirestoreError)?.code == .notFound)
                }
            }
            #expect(times.count == 60 && Set(times).count == 60)
            // Observers saw each successful commit once, in commit-time order.
            #expect(seen.withLock { $0 } == times.sorted())
            for i in 0..<90 {
                let stored = try await get(store, "c/d\(i)")
                #expect((stored != nil) == (i % 3 != 0))
            }
        }
    }

    @Test func writesThatQueueBehindABusyWriterShareOneTransaction() async throws {
        try await withService { service, store in
            let release = DispatchSemaphore(value: 0)
            let running = Atomic<Bool>(false)
            let before = store.transactionCount.load(ordering: .relaxed)
            // The first write holds the writer until the others have queued behind it.
            async let blocker: Void = store.write { _ in
                running.store(true, ordering: .relaxed)
                release.wait()
            }
            while !running.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(1)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 { group.addTask { _ = try await commit(service, update("c/g\(i)", [:])) } }
                while store.writeQueue.waiting < 20 { try await Task.sleep(for: .milliseconds(1)) }
                release.signal()
                try await group.waitForAll()
            }
            try await blocker
            #expect(store.transactionCount.load(ordering: .relaxed) - before == 2)
            for i in 0..<20 { #expect(try await get(store, "c/g\(i)") != nil) }
        }
    }
}
