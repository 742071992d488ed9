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

/// The triggers of one Flint: which are registered, the events every commit causes for them
/// (kept in an outbox inside the commit's own transaction) and what their runs did. Delivery itself
/// is the `dispatcher`'s, a service that must run for events to flow.
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
        /// At graceful shutdown, how long deliveries may go on before those left are stopped.
        public var shutdownGrace: Duration = .seconds(10)
        public init() {}
    }

    public let service: FirestoreService
    public let options: Options
    /// Runs the deliveries: a service of the application.
    public let dispatcher: TriggerDispatcher
    let logger: Logger
    let registry: TriggerRegistry
    let history: RunHistory

    public init(
        service: FirestoreService, outbox: any TriggerOutbox, options: Options = .init(),
        logger: Logger = Logger(label: "flint.triggers")
    ) {
        self.service = service
        self.options = options
        self.logger = logger
        self.registry = TriggerRegistry()
        self.history = RunHistory(capacity: options.historySize)
        self.dispatcher = TriggerDispatcher(
            service: service, registry: registry, history: history, outbox: outbox, options: options, logger: logger)
    }

    // MARK: registry

    /// Adds (or replaces) a trigger; events recovered for it from the outbox start flowing.
    public func register(_ trigger: Trigger) {
        registry.add(trigger)
        dispatcher.release(orphansOf: trigger.key)
    }

    @discardableResult
    public func unregister(_ key: String) -> Bool { registry.remove(key) }

    public var triggers: [Trigger] { registry.all.values.sorted { $0.key < $1.key } }

    /// Registers an in-process handler for `kind` events (nil: every kind) on documents matching `document`.
    public func on(
        _ kind: DocumentEventKind?, _ document: String, key: String? = nil, project: String? = nil,
        database: String = "(default)", retry: Bool = false,
        accepts: (@Sendable (DocumentChange) -> Bool)? = nil, handler: @escaping TriggerHandler
    ) throws(FirestoreError) {
        let type = "google.cloud.firestore.document.v1." + (kind.map(\.rawValue) ?? "written")
        register(
            try Trigger(
                key: key ?? "\(kind.map(\.rawValue) ?? "written"):\(document)", eventType: type, document: document,
                project: project, database: database, target: .inProcess(handler), retry: retry, accepts: accepts))
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

    // MARK: events

    /// Hooks into every later commit and queues the events left undelivered before a restart.
    /// Call once, before the application serves.
    public func start() async throws {
        let events = try await dispatcher.outbox.undelivered()
        service.setCommitHook(self)
        if !events.isEmpty { logger.info("Delivering \(events.count) trigger event(s) left from before the restart.") }
        dispatcher.enqueue(events)
    }

    public func prepare(_ records: [CommitRecord], context: CallContext, writer: StoreWriter) throws
        -> (@Sendable () -> Void)?
    {
        let triggers = registry.all
        if triggers.isEmpty { return nil }
        let depth = context.triggerDepth
        let auth = EventAuth(context.auth)
        var events: [OutboxEvent] = []
        for record in records {
            for change in record.changes {
                guard let kind = DocumentEventKind.of(before: change.before, after: change.after) else { continue }
                for trigger in triggers.values
                where trigger.matches(change.database, change.path, kind) != nil && trigger.accepts?(change) != false {
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
                        trigger: trigger.key, eventID: EventID.random(), database: change.database,
                        path: change.path, commitTime: record.commitTime, before: change.before, after: change.after,
                        depth: depth)
                    (event.authType, event.authID) = (auth.type, auth.id)
                    events.append(event)
                }
            }
        }
        if events.isEmpty { return nil }
        try dispatcher.outbox.append(&events, in: writer)
        return { [dispatcher, events] in dispatcher.enqueue(events) }
    }

    // MARK: visibility and control

    /// Up to `limit` recent runs, newest first, optionally only one trigger's.
    public func runs(limit: Int, trigger: String? = nil) -> [TriggerRun] { history.recent(limit: limit, trigger: trigger) }

    public var activity: TriggerActivity { dispatcher.activity }
    public func pause() { dispatcher.pause() }
    public func resume() { dispatcher.resume() }

    /// Returns once no event is pending or being delivered (including events caused by trigger
    /// writes) and delivered events have left the outbox; throws DEADLINE_EXCEEDED after `timeout`.
    public func waitUntilIdle(timeout: Duration) async throws { try await dispatcher.waitUntilIdle(timeout: timeout) }
}

/// Ids of trigger events: random (version 4) UUIDs in lowercase text. One is made on the serial
/// writer for every event, so they come from the standard library's generator (a `getrandom` call)
/// rather than Foundation's `UUID()`, which on Linux opens and reads /dev/urandom for each.
enum EventID {
    private static let digits = Array("0123456789abcdef".utf8)

    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        // Version 4 in the high nibble of byte 6, variant 10 in the top bits of byte 8.
        let words = [
            (generator.next() as UInt64) & ~0xF000 | 0x4000,
            (generator.next() as UInt64) & ~(0xC0 << 56) | (0x80 << 56),
        ]
        var text = [UInt8]()
        text.reserveCapacity(36)
        for nibble in 0..<32 {
            if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 { text.append(UInt8(ascii: "-")) }
            let shift = UInt64(60 - 4 * (nibble % 16))
            text.append(digits[Int(words[nibble / 16] >> shift & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
