import FlintCore
import FlintREST
import FlintTriggers
import Foundation
import Hummingbird

/// The trigger endpoints: firebase-tools' registration API, and Flint's own control and
/// visibility endpoints (`triggers…`).
extension RouterGroup<FlintRequestContext> {
    func addTriggerRoutes(_ runtime: TriggerRuntime) {
        put("projects/{project}/triggers/{key}") { request, context in
            let body = try await request.jsonObject()
            try TriggerRegistration.registerLegacy(
                runtime, body: body, project: try context.parameters.require("project"),
                key: try context.parameters.require("key"))
            return EmulatorJSON.empty
        }
        delete("projects/{project}/triggers/{key}") { _, context in
            runtime.unregister(try context.parameters.require("key"))
            return EmulatorJSON.empty
        }
        post("projects/{project}/eventarcTrigger") { request, context in
            let body = try await request.collectBody()
            try TriggerRegistration.registerEventarc(
                runtime, body: Data(buffer: body), project: try context.parameters.require("project"),
                key: request.query("eventarcTriggerId"))
            return EmulatorJSON.response(data: Data(buffer: body))
        }
        get("triggers") { _, _ in
            try EmulatorJSON.response(TriggerList(triggers: runtime.triggers.map(TriggerView.init), activity: runtime.activity))
        }
        get("triggers/runs") { request, _ in
            let limit = try request.query("limit").map { v -> Int in
                guard let n = Int(v), n > 0 else {
                    throw FirestoreError.invalidArgument("limit must be a positive integer, not \"\(v)\".")
                }
                return n
            } ?? 100
            return try EmulatorJSON.response(
                RunList(runs: runtime.runs(limit: limit, trigger: request.query("trigger")).map(RunView.init)))
        }
        addTriggerRunRoutes(runtime)
        post("triggers:pause") { _, _ in
            runtime.pause()
            return try EmulatorJSON.response(runtime.activity)
        }
        post("triggers:resume") { _, _ in
            runtime.resume()
            return try EmulatorJSON.response(runtime.activity)
        }
        post("triggers:waitForIdle") { request, _ in
            let seconds = try request.query("timeout").map { v -> Double in
                guard let d = Double(v.hasSuffix("s") ? String(v.dropLast()) : v), d > 0, d <= 3600 else {
                    throw FirestoreError.invalidArgument(
                        "timeout must be a number of seconds between 0 and 3600, not \"\(v)\".")
                }
                return d
            } ?? 30
            try await runtime.waitUntilIdle(timeout: .milliseconds(Int64(seconds * 1000)))
            return try EmulatorJSON.response(runtime.activity)
        }
    }
}

/// Registering triggers the way firebase-tools does.
enum TriggerRegistration {
    /// `PUT …/projects/{p}/triggers/{key}` with `{eventTrigger:{resource, eventType, service}}`.
    static func registerLegacy(_ runtime: TriggerRuntime, body: [String: Any], project: String, key: String) throws {
        guard let spec = body["eventTrigger"] as? [String: Any], let resource = spec["resource"] as? String,
            let eventType = spec["eventType"] as? String
        else { throw FirestoreError.invalidArgument("Expected {\"eventTrigger\": {\"resource\": …, \"eventType\": …}}.") }
        let (database, pattern) = try splitResource(resource)
        try register(runtime, key: key, eventType: eventType, pattern: pattern, project: project, database: database)
    }

    /// `POST …/projects/{p}/eventarcTrigger?eventarcTriggerId={key}` with
    /// `{eventType, database, namespace, document:{value, matchType}}`.
    static func registerEventarc(_ runtime: TriggerRuntime, body: Data, project: String, key: String?) throws {
        guard let key, !key.isEmpty else { throw FirestoreError.invalidArgument("eventarcTriggerId is required.") }
        guard let body = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let eventType = body["eventType"] as? String, let document = body["document"] as? [String: Any],
            let pattern = document["value"] as? String
        else {
            throw FirestoreError.invalidArgument("Expected {\"eventType\": …, \"document\": {\"value\": …}}.")
        }
        try register(
            runtime, key: key, eventType: eventType, pattern: pattern, project: project,
            database: body["database"] as? String ?? "(default)")
    }

    /// Registers a trigger delivered to the Functions emulator at the path firebase-tools serves.
    private static func register(
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

struct RunView: Encodable {
    var id: Int64
    var replayOf: Int64?
    var trigger, eventId, eventType, document, status, startTime: String
    var attempts, depth: Int
    var durationMs: Double
    var error: String?
    var writes: [String]

    init(_ r: TriggerRun) {
        id = r.id
        replayOf = r.replayOf
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
