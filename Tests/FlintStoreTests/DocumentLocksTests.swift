import FlintCore
@testable import FlintService
import Foundation
import Testing

@Suite("Document locks")
struct DocumentLocksTests {
    let key = Array("projects/p/databases/(default)/documents/c/d".utf8)

    @Test func aCancelledWaitLeavesTheLineAtOnceAndTheNextInLineGetsTheLock() async throws {
        // A wait this long can only end early by cancellation.
        let locks = DocumentLocks(maxWait: .seconds(600))
        let (holder, cancelled, next) = (Data([1]), Data([2]), Data([3]))
        try await locks.acquire(holder, key)
        let waiting = Task { try await locks.acquire(cancelled, key) }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        let granted = Task { try await locks.acquire(next, key) }
        locks.release(holder)
        // Had the cancelled waiter stayed in line, it would hold the lock now and `next` would wait.
        try await granted.value
    }
}
