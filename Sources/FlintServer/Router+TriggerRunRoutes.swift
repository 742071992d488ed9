import FlintCore
import FlintREST
import FlintStore
import FlintTriggers
import Foundation
import Hummingbird

/// One run of the history, in full, and replaying its event:
/// - `GET triggers/runs/{id}`: the run, with the document before and after the write that caused
///   its event (REST JSON documents; null where absent) and the fields that changed.
/// - `POST triggers/runs/{id}:replay`: delivers that event to its trigger again, now, and answers
///   the new run (`replayOf` names the old one).
extension RouterGroup<FlintRequestContext> {
    func addTriggerRunRoutes(_ runtime: TriggerRuntime) {
        get("triggers/runs/{id}") { _, context in
            let id = try Self.runID(try context.parameters.require("id"))
            guard let (run, event) = runtime.run(id) else {
                throw FirestoreError(.notFound, "Trigger run \(id) is not in the run history.")
            }
            return try EmulatorJSON.response(object: try Self.runDetail(run, event))
        }
        post("triggers/runs/{id}:replay") { _, context in
            let id = try Self.runID(try context.parameters.require("id"))
            return try EmulatorJSON.response(RunView(try await runtime.replay(run: id)))
        }
    }

    static func runID(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else {
            throw FirestoreError.invalidArgument("A trigger run id is a positive integer, not \"\(text)\".")
        }
        return id
    }

    static func runDetail(_ run: TriggerRun, _ event: OutboxEvent?) throws -> [String: Any] {
        var detail = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RunView(run))) as? [String: Any] ?? [:]
        func document(_ snapshot: DocumentSnapshot?) throws -> Any {
            guard let snapshot, let event else { return NSNull() }
            return try EmulatorJSON.object(snapshot.proto(in: event.database))
        }
        detail["before"] = try document(event?.before)
        detail["after"] = try document(event?.after)
        detail["changedFields"] = event.map { e in
            changedFieldPaths(e.before?.fields ?? [:], e.after?.fields ?? [:]).map(\.description)
        } ?? []
        detail["commitTime"] = event.map { Timestamps.format(micros: $0.commitTime) as Any } ?? NSNull()
        return detail
    }
}
