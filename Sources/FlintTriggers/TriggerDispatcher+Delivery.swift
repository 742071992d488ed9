import AsyncHTTPClient
import FlintCore
import FlintService
import FlintStore
import Foundation
import Logging
import NIOCore
import Synchronization

/// How one delivery went.
struct DeliveryOutcome {
    var event: OutboxEvent
    var kind: DocumentEventKind
    var started: Int64
    var duration: Int64
    var error: String?
    var writes: [String]

    func run(status: TriggerRun.Status) -> TriggerRun {
        TriggerRun(
            trigger: event.trigger, eventID: event.eventID, kind: kind, document: event.database.name(of: event.path),
            status: status, attempts: event.attempts, started: started, duration: duration, error: error, writes: writes,
            depth: event.depth)
    }
}

extension TriggerDispatcher {
    /// Hands `event` to its trigger once and reports how it went (one log line per run).
    func deliver(_ event: OutboxEvent) async -> DeliveryOutcome {
        let kind = DocumentEventKind.of(before: event.before, after: event.after) ?? .updated
        let started = Timestamps.nowMicros()
        var writes: [String] = []
        var failure: String?
        if let trigger = registry[event.trigger] {
            do {
                switch trigger.target {
                case .inProcess(let handler):
                    let log = TriggerContext.WriteLog()
                    defer { writes = log.names.withLock { $0 } }
                    let context = TriggerContext(
                        service: service, database: event.database,
                        callContext: CallContext(auth: .admin, triggerDepth: event.depth + 1), written: log)
                    try await handler(triggerEvent(event, kind: kind, trigger: trigger), context)
                case .http(let url, let format):
                    try await http.post(url: url, delivery: try payload(event, kind: kind, trigger: trigger, format: format))
                }
            } catch {
                failure = Self.describe(error)
            }
        } else {
            failure = "trigger \(event.trigger) is no longer registered"
        }
        let outcome = DeliveryOutcome(
            event: event, kind: kind, started: started, duration: Timestamps.nowMicros() - started, error: failure,
            writes: writes)
        // A successful run is logged at info level: below that, skip building its line.
        if failure == nil && logger.logLevel > .info { return outcome }
        var metadata: Logger.Metadata = [
            "trigger": .string(event.trigger), "event": .string(kind.rawValue),
            "document": .string(event.database.name(of: event.path)), "eventId": .string(event.eventID),
            "attempt": .stringConvertible(event.attempts), "ms": .string(String(format: "%.2f", Double(outcome.duration) / 1000)),
        ]
        if let failure {
            metadata["error"] = .string(failure)
            logger.warning("trigger run failed", metadata: metadata)
        } else {
            if !writes.isEmpty { metadata["writes"] = .stringConvertible(writes.count) }
            logger.info("trigger run", metadata: metadata)
        }
        return outcome
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? FirestoreError { return "\(e.code.name): \(e.message)" }
        return String(describing: error)
    }

    func triggerEvent(_ e: OutboxEvent, kind: DocumentEventKind, trigger: Trigger) -> TriggerEvent {
        TriggerEvent(
            id: e.eventID, kind: kind, time: e.commitTime, database: e.database, path: e.path,
            params: trigger.pattern.match(e.path) ?? [:], before: e.before, after: e.after,
            updateMask: kind == .updated ? changedFieldPaths(e.before!.fields, e.after!.fields) : nil,
            attempt: e.attempts, depth: e.depth, auth: EventAuth(type: e.authType, id: e.authID))
    }

    func payload(_ e: OutboxEvent, kind: DocumentEventKind, trigger: Trigger, format: Trigger.PayloadFormat) throws
        -> TriggerDelivery
    {
        let mask = kind == .updated ? changedFieldPaths(e.before!.fields, e.after!.fields) : nil
        switch (format, trigger.eventType.generation) {
        case (.legacy, _), (.firebaseTools, .first):
            return try TriggerPayload.legacyEvent(
                eventID: e.eventID, eventType: trigger.eventTypeName, database: e.database, path: e.path, time: e.commitTime,
                before: e.before, after: e.after, updateMask: mask)
        case (.cloudEvent, _), (.firebaseTools, .second):
            return try TriggerPayload.cloudEvent(
                eventID: e.eventID, eventType: trigger.eventTypeName, database: e.database, path: e.path, time: e.commitTime,
                before: e.before, after: e.after, updateMask: mask,
                auth: trigger.eventType.withAuthContext ? EventAuth(type: e.authType, id: e.authID) : nil,
                base64Body: format == .firebaseTools)
        }
    }
}

/// POSTs events with AsyncHTTPClient; the client is made on first use.
final class HTTPDelivery: Sendable {
    let concurrency: Int
    let timeout: Duration
    private let client = Mutex<HTTPClient?>(nil)

    init(concurrency: Int, timeout: Duration) {
        self.concurrency = concurrency
        self.timeout = timeout
    }

    private func httpClient() -> HTTPClient {
        client.withLock { c in
            if let c { return c }
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            c = made
            return made
        }
    }

    func post(url: String, delivery: TriggerDelivery) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in delivery.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: delivery.body))
        let response = try await httpClient().execute(request, timeout: .microseconds(Timestamps.micros(timeout)))
        let body = try await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            let text = String(buffer: body).prefix(500)
            throw DeliveryError(message: "HTTP \(response.status.code) from \(url)\(text.isEmpty ? "" : ": \(text)")")
        }
    }

    func shutdown() async {
        let c = client.withLock { c -> HTTPClient? in
            defer { c = nil }
            return c
        }
        try? await c?.shutdown()
    }
}

struct DeliveryError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
