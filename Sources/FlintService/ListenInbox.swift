import FlintCore
import FlintProto
import Synchronization

/// What one Listen stream has yet to process: the client's requests and the commits that touch
/// its targets, in arrival order.
///
/// Commits are delivered from the committing task, which must never wait for a listener: the
/// inbox only appends, and when more than `limit` document changes are waiting, it drops them all
/// and fails the stream with RESOURCE_EXHAUSTED instead of growing or blocking.
final class ListenInbox: Sendable {
    enum Event: Sendable {
        case request(Google_Firestore_V1_ListenRequest)
        case requestsEnded
        case commit(CommitRecord)
        /// The store was replaced at this time: every target is read again.
        case reset(Int64)
    }

    private struct State {
        var events: [Event] = []
        var head = 0
        var pendingChanges = 0
        var scopes: [Int32: ListenScope] = [:]
        var failure: FirestoreError?
        var closed = false
        var eventWaiter: CheckedContinuation<Event?, any Error>?
        var failureWaiter: CheckedContinuation<Void, any Error>?
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    /// Queues the part of a commit that falls in some target's scope.
    func deliver(_ record: CommitRecord) {
        let resume = state.withLock { s -> (() -> Void)? in
            guard s.failure == nil, !s.closed, !s.scopes.isEmpty else { return nil }
            if record.replacedEverything { return Self.append(&s, .reset(record.commitTime)) }
            let changes = record.changes.filter { c in s.scopes.values.contains { $0.contains(c.database, c.path) } }
            if changes.isEmpty { return nil }
            if s.pendingChanges + changes.count > limit {
                return Self.fail(&s, FirestoreError(
                    .resourceExhausted,
                    "The listener fell behind: more than \(limit) document changes waited to be sent, so the stream was closed. Listen again (with the last resume token) to catch up."))
            }
            s.pendingChanges += changes.count
            return Self.append(&s, .commit(CommitRecord(commitTime: record.commitTime, changes: changes)))
        }
        resume?()
    }

    func push(_ event: Event) {
        let resume = state.withLock { s -> (() -> Void)? in
            guard s.failure == nil, !s.closed else { return nil }
            return Self.append(&s, event)
        }
        resume?()
    }

    /// Ends the stream with `error` (overflow, cancellation); whatever waits is woken.
    func fail(_ error: FirestoreError) {
        let resume = state.withLock { s in s.failure == nil && !s.closed ? Self.fail(&s, error) : nil }
        resume?()
    }

    /// The stream is over: nothing more is queued, and a waiting `untilFailed` returns.
    func close() {
        let waiter = state.withLock { s in
            s.closed = true
            s.events = []
            s.head = 0
            s.scopes = [:]
            defer { s.failureWaiter = nil }
            return s.failureWaiter
        }
        waiter?.resume()
    }

    func setScope(_ scope: ListenScope?, for id: Int32) {
        state.withLock { $0.scopes[id] = scope }
    }

    /// The next event, or nil once the inbox is closed; throws the stream's failure.
    func next() async throws -> Event? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Event?, any Error>) in
                let result = state.withLock { s -> Result<Event?, any Error>? in
                    if let failure = s.failure { return .failure(failure) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let event = Self.pop(&s) { return .success(event) }
                    if s.closed { return .success(nil) }
                    s.eventWaiter = continuation
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                defer { s.eventWaiter = nil }
                return s.eventWaiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Returns when the inbox closes, throws when the stream fails.
    func untilFailed() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result = state.withLock { s -> Result<Void, any Error>? in
                    if let failure = s.failure { return .failure(failure) }
                    if s.closed || Task.isCancelled { return .success(()) }
                    s.failureWaiter = continuation
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                defer { s.failureWaiter = nil }
                return s.failureWaiter
            }
            waiter?.resume()
        }
    }

    private static func append(_ s: inout State, _ event: Event) -> (() -> Void)? {
        if let waiter = s.eventWaiter {
            s.eventWaiter = nil
            if case .commit(let record) = event { s.pendingChanges -= record.changes.count }
            return { waiter.resume(returning: event) }
        }
        s.events.append(event)
        return nil
    }

    private static func pop(_ s: inout State) -> Event? {
        guard s.head < s.events.count else { return nil }
        let event = s.events[s.head]
        s.head += 1
        if s.head == s.events.count || s.head > 1024 {
            s.events.removeFirst(s.head)
            s.head = 0
        }
        if case .commit(let record) = event { s.pendingChanges -= record.changes.count }
        return event
    }

    private static func fail(_ s: inout State, _ error: FirestoreError) -> () -> Void {
        s.failure = error
        s.events = []
        s.head = 0
        s.pendingChanges = 0
        let waiters = (s.eventWaiter, s.failureWaiter)
        s.eventWaiter = nil
        s.failureWaiter = nil
        return {
            waiters.0?.resume(throwing: error)
            waiters.1?.resume(throwing: error)
        }
    }
}
