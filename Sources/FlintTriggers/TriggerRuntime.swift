import FlintCore
import FlintService
import FlintStore
import Foundation
import Logging
import Synchronization

/// How events are handed to triggers.
public enum DeliveryMode: String, Sendable, CaseIterable {
    /// Each event once (retries aside), in commit order per trigger and document.
    case normal
    /// Each event delivered twice, to prove handlers idempotent.
    case duplicate
    /// Events held for a short window, then delivered in random order, with no per-document order.
    case shuffle
}

/// Delivers document events to triggers: events are written to an outbox in the commit's own
/// SQLite transaction (kept in memory when the store itself is ephemeral, since nothing outlives
/// the process then), then delivered asynchronously with bounded concurrency, in order per
/// trigger and document, retried with backoff when the trigger asks for it.
public final class TriggerRuntime: CommitHook, Sendable {
    public struct Options: Sendable {
        public var mode: DeliveryMode = .normal
        /// Deliveries running at once.
        public var concurrency = 32
        /// Exponential backoff of retried deliveries: base · 2^(attempt−1), at most `retryCap`.
        public var retryBase: Duration = .milliseconds(1000)
        public var retryCap: Duration = .seconds(60)
        /// Retries stop once an event is this old (production: 24 hours).
        public var retryWindow: Duration = .seconds(24 * 3600)
        /// Events caused by writes this many trigger levels deep are not delivered.
        public var maxDepth = 16
        /// How long `shuffle` holds events before releasing them in random order.
        public var shuffleWindow: Duration = .milliseconds(30)
        /// Timeout of one HTTP delivery.
        public var httpTimeout: Duration = .seconds(60)
        /// Where firebase-tools-registered triggers are delivered (`host:port`).
        public var functionsEmulator: String?
        /// How many finished runs the run history keeps.
        public var historySize = 2000
        public init() {}
    }

    public let service: FirestoreService
    public let options: Options
    let logger: Logger
    let registry = Mutex<[String: Trigger]>([:])
    let state = Mutex(DispatchState())
    let history: RunHistory
    let http: HTTPDelivery
    /// Whether events are kept in the store's outbox table (a durable store), else only in memory.
    let durableOutbox: Bool
    /// Ids of events kept only in memory.
    let memoryIDs = Atomic<Int64>(0)

    public init(service: FirestoreService, options: Options = .init(), logger: Logger = Logger(label: "flint.triggers")) {
        self.service = service
        self.options = options
        self.logger = logger
        self.history = RunHistory(capacity: options.historySize)
        self.http = HTTPDelivery(concurrency: options.concurrency, timeout: options.httpTimeout)
        self.durableOutbox = service.store.isDurable
    }

    // MARK: registry

    /// Adds (or replaces) a trigger; events recovered for it from the outbox start flowing.
    public func register(_ trigger: Trigger) {
        registry.withLock { $0[trigger.key] = trigger }
        let recovered = state.withLock { $0.orphans.removeValue(forKey: trigger.key) ?? [] }
        if !recovered.isEmpty { enqueue(recovered) }
    }

    @discardableResult
    public func unregister(_ key: String) -> Bool { registry.withLock { $0.removeValue(forKey: key) != nil } }

    public var triggers: [Trigger] { registry.withLock { Array($0.values) }.sorted { $0.key < $1.key } }

    func trigger(_ key: String) -> Trigger? { registry.withLock { $0[key] } }

    /// Registers an in-process handler for `kind` events (nil: every kind) on documents matching `document`.
    public func on(
        _ kind: DocumentEventKind?, _ document: String, key: String? = nil, project: String? = nil,
        database: String = "(default)", retry: Bool = false, handler: @escaping TriggerHandler
    ) throws(FirestoreError) {
        let type = "google.cloud.firestore.document.v1." + (kind.map(\.rawValue) ?? "written")
        register(
            try Trigger(
                key: key ?? "\(kind.map(\.rawValue) ?? "written"):\(document)", eventType: type, document: document,
                project: project, database: database, target: .inProcess(handler), retry: retry))
    }

    public func onDocumentCreated(_ document: String, key: String? = nil, handler: @escaping TriggerHandler) throws(FirestoreError) {
        try on(.created, document, key: key, handler: handler)
    }
    public func onDocumentUpdated(_ document: String, key: String? = nil, handler: @escaping TriggerHandler) throws(FirestoreError) {
        try on(.updated, document, key: key, handler: handler)
    }
    public func onDocumentDeleted(_ document: String, key: String? = nil, handler: @escaping TriggerHandler) throws(FirestoreError) {
        try on(.deleted, document, key: key, handler: handler)
    }
    public func onDocumentWritten(_ document: String, key: String? = nil, handler: @escaping TriggerHandler) throws(FirestoreError) {
        try on(nil, document, key: key, handler: handler)
    }

    // MARK: the outbox

    /// Loads undelivered events (after a restart) and hooks into every later commit.
    public func start() async throws {
        let events = try await service.store.read { try $0.outbox() }
        service.setCommitHook(self)
        if !events.isEmpty { logger.info("Delivering \(events.count) trigger event(s) left from before the restart.") }
        enqueue(events)
    }

    public func prepare(_ records: [CommitRecord], depth: Int, writer: StoreWriter) throws -> (@Sendable () -> Void)? {
        let triggers = registry.withLock { $0 }
        if triggers.isEmpty { return nil }
        var events: [OutboxEvent] = []
        for record in records {
            for change in record.changes {
                guard let kind = DocumentEventKind.of(before: change.before, after: change.after) else { continue }
                for trigger in triggers.values where trigger.matches(change.database, change.path, kind) != nil {
                    if depth >= options.maxDepth {
                        let name = change.database.name(of: change.path)
                        logger.error(
                            "Trigger \(trigger.key) not fired for \(name): the write was made \(depth) trigger levels deep (limit \(options.maxDepth)); stopping a likely loop.")
                        history.add(
                            TriggerRun(
                                trigger: trigger.key, eventID: "", kind: kind, document: name, status: .stopped,
                                attempts: 0, started: Timestamps.nowMicros(), duration: 0,
                                error: "cascade depth \(depth) reached the limit \(options.maxDepth)", writes: [], depth: depth))
                        continue
                    }
                    var event = OutboxEvent(
                        trigger: trigger.key, eventID: UUID().uuidString.lowercased(), database: change.database,
                        path: change.path, commitTime: record.commitTime, before: change.before, after: change.after,
                        depth: depth)
                    if durableOutbox {
                        try writer.appendOutbox(&event)
                    } else {
                        event.id = memoryIDs.add(1, ordering: .relaxed).newValue
                    }
                    events.append(event)
                }
            }
        }
        if events.isEmpty { return nil }
        return { [self, events] in enqueue(events) }
    }
}
