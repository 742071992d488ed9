import FlintCore
import Foundation
import Synchronization

/// Exclusive locks on documents read by read-write transactions.
///
/// A transaction that reads a document holds it until it commits, rolls back or expires; another
/// transaction reading it waits in line (first come, first served) instead of failing later. A
/// wait that would close a cycle (a deadlock) is refused at once with ABORTED, and no wait lasts
/// longer than `maxWait`, so nothing ever stalls for long.
final class DocumentLocks: Sendable {
    typealias Key = [UInt8]
    typealias Owner = Data

    private struct Waiter {
        var owner: Owner
        var ticket: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var holders: [Key: Owner] = [:]
        var held: [Owner: Set<Key>] = [:]
        var queues: [Key: [Waiter]] = [:]
        var waitingFor: [Owner: Owner] = [:]
        var nextTicket: UInt64 = 0
    }

    private let state = Mutex(State())
    let maxWait: Duration

    init(maxWait: Duration = .milliseconds(500)) { self.maxWait = maxWait }

    static func key(_ database: DatabaseID, _ path: ResourcePath) -> Key { Array(database.name(of: path).utf8) }

    private enum Attempt {
        case granted
        case wait(UInt64)
        case deadlock
    }

    /// Takes `key` for `owner`, waiting in line for its holder to finish; throws ABORTED on a
    /// deadlock or when the wait passes `maxWait`, and CancellationError (leaving the line) when
    /// the calling task is cancelled.
    func acquire(_ owner: Owner, _ key: Key) async throws {
        let queued = QueuedTicket()
        try await withTaskCancellationHandler {
            try await wait(owner, key, queued)
        } onCancel: {
            if let ticket = queued.cancel() { giveUp(key, ticket: ticket, with: CancellationError()) }
        }
    }

    private func wait(_ owner: Owner, _ key: Key, _ queued: QueuedTicket) async throws {
        let maxWait = self.maxWait
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let attempt: Attempt = state.withLock { s in
                guard let holder = s.holders[key], holder != owner else {
                    s.holders[key] = owner
                    s.held[owner, default: []].insert(key)
                    return .granted
                }
                // Would waiting close a cycle of transactions each waiting for the next?
                var cursor: Owner? = holder
                var steps = 0
                while let c = cursor, steps < 10_000 {
                    if c == owner { return .deadlock }
                    cursor = s.waitingFor[c]
                    steps += 1
                }
                s.nextTicket += 1
                s.queues[key, default: []].append(Waiter(owner: owner, ticket: s.nextTicket, continuation: continuation))
                s.waitingFor[owner] = holder
                return .wait(s.nextTicket)
            }
            switch attempt {
            case .granted:
                continuation.resume()
            case .deadlock:
                continuation.resume(throwing: FirestoreService.contention)
            case .wait(let ticket):
                guard queued.set(ticket) else {
                    giveUp(key, ticket: ticket, with: CancellationError())
                    return
                }
                Task {
                    try? await Task.sleep(for: maxWait)
                    self.giveUp(key, ticket: ticket, with: FirestoreService.contention)
                }
            }
        }
    }

    /// A waiter that is still queued (after `maxWait`, or when its task is cancelled) leaves the
    /// line with `error`.
    private func giveUp(_ key: Key, ticket: UInt64, with error: any Error) {
        let waiter: Waiter? = state.withLock { s in
            guard var queue = s.queues[key], let index = queue.firstIndex(where: { $0.ticket == ticket }) else { return nil }
            let waiter = queue.remove(at: index)
            s.queues[key] = queue.isEmpty ? nil : queue
            s.waitingFor[waiter.owner] = nil
            return waiter
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Releases everything `owner` holds, handing each key to the next in line.
    func release(_ owner: Owner) {
        let granted: [Waiter] = state.withLock { s in
            var granted: [Waiter] = []
            for key in s.held.removeValue(forKey: owner) ?? [] {
                if var queue = s.queues[key], !queue.isEmpty {
                    let next = queue.removeFirst()
                    s.queues[key] = queue.isEmpty ? nil : queue
                    s.holders[key] = next.owner
                    s.held[next.owner, default: []].insert(key)
                    s.waitingFor[next.owner] = nil
                    granted.append(next)
                } else {
                    s.holders[key] = nil
                }
            }
            return granted
        }
        for waiter in granted { waiter.continuation.resume() }
    }
}

/// The ticket of a lock wait, and whether the waiting task was cancelled before it had one.
private final class QueuedTicket: Sendable {
    private let state = Mutex<(ticket: UInt64?, cancelled: Bool)>((nil, false))

    /// Records the ticket; false when the task was already cancelled.
    func set(_ ticket: UInt64) -> Bool {
        state.withLock { s in
            s.ticket = ticket
            return !s.cancelled
        }
    }

    /// Marks the wait cancelled; the ticket, if it was queued.
    func cancel() -> UInt64? {
        state.withLock { s in
            s.cancelled = true
            return s.ticket
        }
    }
}
