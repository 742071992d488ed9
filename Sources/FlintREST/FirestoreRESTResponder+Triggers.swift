import FlintCore
import FlintTriggers
import Foundation
import Hummingbird

/// The trigger endpoints: firebase-tools' registration API, and Flint's own control and
/// visibility endpoints (`/emulator/v1/triggers…`).
extension FirestoreRESTResponder {
    func triggerRoute(_ request: Request, _ target: RESTTarget) async throws -> Response? {
        let s = target.segments
        let query = target.queryValues
        switch (request.method, s.count >= 3 ? Array(s[2...]) : []) {
        case (.put, let rest) where rest.count == 4 && rest[0] == "projects" && rest[2] == "triggers":
            return try await registerLegacy(request, project: rest[1], key: rest[3])
        case (.delete, let rest) where rest.count == 4 && rest[0] == "projects" && rest[2] == "triggers":
            _ = try runtime().unregister(rest[3])
            return Self.json(Data("{}".utf8))
        case (.post, let rest) where rest.count == 3 && rest[0] == "projects" && rest[2] == "eventarcTrigger":
            return try await registerEventarc(request, project: rest[1], key: query["eventarcTriggerId"])
        case (.get, ["triggers"]):
            let runtime = try runtime()
            return try Self.json(TriggerList(triggers: runtime.triggers.map(TriggerView.init), activity: runtime.activity))
        case (.get, ["triggers", "runs"]):
            let limit = try query["limit"].map { v -> Int in
                guard let n = Int(v), n > 0 else { throw FirestoreError.invalidArgument("limit must be a positive integer, not \"\(v)\".") }
                return n
            } ?? 100
            return try Self.json(RunList(runs: try runtime().runs(limit: limit, trigger: query["trigger"]).map(RunView.init)))
        case (.post, ["triggers:pause"]):
            let runtime = try runtime()
            runtime.pause()
            return try Self.json(runtime.activity)
        case (.post, ["triggers:resume"]):
            let runtime = try runtime()
            runtime.resume()
            return try Self.json(runtime.activity)
        case (.post, ["triggers:waitForIdle"]):
            let seconds = try query["timeout"].map { v -> Double in
                guard let d = Double(v.hasSuffix("s") ? String(v.dropLast()) : v), d > 0, d <= 3600 else {
                    throw FirestoreError.invalidArgument("timeout must be a number of seconds between 0 and 3600, not \"\(v)\".")
                }
                return d
            } ?? 30
            let runtime = try runtime()
            try await runtime.waitUntilIdle(timeout: .milliseconds(Int64(seconds * 1000)))
            return try Self.json(runtime.activity)
        default:
            return nil
        }
    }

    func runtime() throws -> TriggerRuntime {
        guard let triggers else { throw FirestoreError(.failedPrecondition, "Triggers are not enabled on this server.") }
        return triggers
    }

    /// `PUT /emulator/v1/projects/{p}/triggers/{key}` with `{eventTrigger:{resource, eventType, service}}`.
    private func registerLegacy(_ request: Request, project: String, key: String) async throws -> Response {
        let runtime = try runtime()
        let body = try await Self.jsonObject(request)
        guard let spec = body["eventTrigger"] as? [String: Any], let resource = spec["resource"] as? String,
            let eventType = spec["eventType"] as? String
        else { throw FirestoreError.invalidArgument("Expected {\"eventTrigger\": {\"resource\": …, \"eventType\": …}}.") }
        let (database, pattern) = try Self.splitResource(resource)
        try register(runtime, key: key, eventType: eventType, pattern: pattern, project: project, database: database)
        return Self.json(Data("{}".utf8))
    }

    /// `POST /emulator/v1/projects/{p}/eventarcTrigger?eventarcTriggerId={key}` with
    /// `{eventType, database, namespace, document:{value, matchType}}`; echoes the body.
    private func registerEventarc(_ request: Request, project: String, key: String?) async throws -> Response {
        let runtime = try runtime()
        guard let key, !key.isEmpty else { throw FirestoreError.invalidArgument("eventarcTriggerId is required.") }
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let body = try Self.jsonObject(Data(buffer: buffer))
        guard let eventType = body["eventType"] as? String, let document = body["document"] as? [String: Any],
            let pattern = document["value"] as? String
        else {
            throw FirestoreError.invalidArgument("Expected {\"eventType\": …, \"document\": {\"value\": …}}.")
        }
        try register(
            runtime, key: key, eventType: eventType, pattern: pattern, project: project,
            database: body["database"] as? String ?? "(default)")
        return Self.json(Data(buffer: buffer))
    }

    /// Registers a trigger delivered to the Functions emulator at the path firebase-tools serves.
    private func register(
        _ runtime: TriggerRuntime, key: String, eventType: String, pattern: String, project: String, database: String
    ) throws {
        var trigger = try Trigger(
            key: key, eventType: eventType, document: pattern, project: project, database: database,
            target: .http(url: "", format: .firebaseTools))
        guard let host = runtime.options.functionsEmulator else {
            throw FirestoreError(
                .failedPrecondition, "Cannot register trigger \"\(key)\": start Flint with --functions-emulator HOST:PORT.")
        }
        trigger.target = .http(url: "http://\(host)/functions/projects/\(project)/triggers/\(key)", format: .firebaseTools)
        runtime.register(trigger)
    }

    /// `projects/{p}/databases/{db}/documents/{pattern}` → (db, pattern).
    static func splitResource(_ resource: String) throws -> (String, String) {
        let parts = resource.split(separator: "/", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "projects", parts[2] == "databases", parts[4] == "documents" else {
            throw FirestoreError.invalidArgument(
                "Trigger resource \"\(resource)\" must look like projects/{p}/databases/{db}/documents/{pattern}.")
        }
        return (parts[3], parts[5])
    }

    static func jsonObject(_ request: Request) async throws -> [String: Any] {
        try jsonObject(Data(buffer: try await request.body.collect(upTo: 1 << 20)))
    }

    static func jsonObject(_ data: Data) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FirestoreError.invalidArgument("Payload isn't valid for request.")
        }
        return object
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(try encoder.encode(value))
    }

    static func json(_ data: Data) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=UTF-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

private struct TriggerList: Encodable {
    var triggers: [TriggerView]
    var activity: TriggerActivity
}

private struct TriggerView: Encodable {
    var name, eventType, document, database: String
    var project: String?
    var target: String
    var retry: Bool

    init(_ t: Trigger) {
        name = t.key
        eventType = t.eventTypeName
        document = t.pattern.description
        database = t.database
        project = t.project
        retry = t.retry
        switch t.target {
        case .inProcess: target = "in-process"
        case .http(let url, let format): target = "\(format.rawValue) \(url)"
        }
    }
}

private struct RunList: Encodable { var runs: [RunView] }

private struct RunView: Encodable {
    var trigger, eventId, eventType, document, status, startTime: String
    var attempts, depth: Int
    var durationMs: Double
    var error: String?
    var writes: [String]

    init(_ r: TriggerRun) {
        trigger = r.trigger
        eventId = r.eventID
        eventType = r.kind.rawValue
        document = r.document
        status = r.status.rawValue
        startTime = Timestamps.format(micros: r.started)
        attempts = r.attempts
        depth = r.depth
        durationMs = Double(r.duration) / 1000
        error = r.error
        writes = r.writes
    }
}
