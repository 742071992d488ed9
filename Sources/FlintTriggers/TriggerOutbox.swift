import FlintCore
import FlintStore
import Synchronization

/// Where trigger events wait between the commit that caused them and their delivery.
///
/// Events are appended inside the commit's own write transaction, so they exist exactly when the
/// write does; the dispatcher removes them once delivered (or given up on).
public protocol TriggerOutbox: Sendable {
    /// Keeps `events` as part of the write transaction of `writer`, setting their ids.
    func append(_ events: inout [OutboxEvent], in writer: StoreWriter) throws
    /// Events not yet delivered, oldest first (after a restart).
    func undelivered() async throws -> [OutboxEvent]
    /// Remembers how many delivery attempts an event has had.
    func recordAttempts(_ event: OutboxEvent) async throws
    /// Forgets delivered (or abandoned) events.
    func remove(_ ids: [Int64]) async throws
}

/// Keeps events in the store's `outbox` table: a committed write's events survive a crash or a
/// shutdown that could not deliver them all.
public struct SQLiteTriggerOutbox: TriggerOutbox {
    let store: DocumentStore

    public init(store: DocumentStore) { self.store = store }

    public func append(_ events: inout [OutboxEvent], in writer: StoreWriter) throws {
        for i in events.indices { try writer.appendOutbox(&events[i]) }
    }

    public func undelivered() async throws -> [OutboxEvent] { try await store.read { try $0.outbox() } }

    public func recordAttempts(_ event: OutboxEvent) async throws {
        try await store.write { [event] in try $0.setOutboxAttempts(event.id, event.attempts) }
    }

    public func remove(_ ids: [Int64]) async throws { try await store.write { try $0.removeOutbox(ids) } }
}

/// For an ephemeral store: nothing outlives the process there, so events live only in the
/// dispatcher's queues and this outbox just numbers them (a table would only cost writes).
public final class InMemoryTriggerOutbox: TriggerOutbox {
    private let lastID = Atomic<Int64>(0)

    public init() {}

    public func append(_ events: inout [OutboxEvent], in writer: StoreWriter) throws {
        for i in events.indices { events[i].id = lastID.add(1, ordering: .relaxed).newValue }
    }

    public func undelivered() async throws -> [OutboxEvent] { [] }
    public func recordAttempts(_ event: OutboxEvent) async throws {}
    public func remove(_ ids: [Int64]) async throws {}
}
