import FlintCore
import Foundation

/// The engine's emulator endpoints:
/// - `GET /emulator/v1/engine`: the rules source, the clock and the databases seen.
/// - `GET|POST /emulator/v1/engine/clock`: read, or set with `{"now": RFC 3339}` (time then stands
///   still), move with `{"advanceDays": n}` / `{"advanceSeconds": n}`, or `{"reset": true}` to real time.
/// - `POST /emulator/v1/engine:runInactivity[?project=P&database=D]`: the inactivity job, now
///   (without `project`: every database with engine activity).
extension CustomerEngine {
    public func handle(method: String, path: [String], query: [String: String], body: Data) async throws -> Data? {
        switch (method, path) {
        case ("GET", ["engine"]):
            let names = databases.withLock { $0.map(\.resourceName) }.sorted()
            return try encode(EngineStatus(rules: rulesSource, clock: clockView(), databases: names))
        case ("GET", ["engine", "clock"]):
            return try encode(clockView())
        case ("POST", ["engine", "clock"]):
            try setClock(body)
            return try encode(clockView())
        case ("POST", ["engine:runInactivity"]):
            let targets: [DatabaseID]
            if query["database"]?.isEmpty == true || (query["database"] != nil && query["project"] == nil) {
                throw FirestoreError.invalidArgument("database needs a non-empty name and a project.")
            }
            if let project = query["project"] {
                guard !project.isEmpty else { throw FirestoreError.invalidArgument("project must not be empty.") }
                targets = [DatabaseID(project: project, database: query["database"] ?? "(default)")]
            } else {
                targets = databases.withLock { Array($0) }
            }
            var total = InactivityReport()
            for database in targets {
                let r = try await runInactivity(database)
                total.customersChecked += r.customersChecked
                total.atRisk += r.atRisk
                total.dormant += r.dormant
                total.notifications += r.notifications
            }
            return try encode(total)
        default:
            return nil
        }
    }

    private func setClock(_ body: Data) throws {
        let request: ClockRequest
        do {
            request = try JSONDecoder().decode(ClockRequest.self, from: body.isEmpty ? Data("{}".utf8) : body)
        } catch {
            throw FirestoreError.invalidArgument(
                "Expected {\"now\": RFC 3339 time}, {\"advanceDays\": n}, {\"advanceSeconds\": n} or {\"reset\": true}."
            )
        }
        let given = [
            request.now != nil, request.advanceDays != nil, request.advanceSeconds != nil, request.reset == true,
        ]
        guard given.filter({ $0 }).count == 1 else {
            throw FirestoreError.invalidArgument(
                "Give exactly one of now, advanceDays, advanceSeconds or reset: true.")
        }
        if let now = request.now {
            guard let micros = EngineTime.parse(now) else {
                throw FirestoreError.invalidArgument(
                    "now must be an RFC 3339 time such as 2025-10-10T09:42:00Z, not \"\(now)\".")
            }
            clock.set(micros)
        } else if let days = request.advanceDays ?? request.advanceSeconds.map({ $0 / 86_400 }) {
            guard days.isFinite, abs(days) <= 100_000 else {
                throw FirestoreError.invalidArgument("The clock moves at most 100000 days at a time.")
            }
            clock.advance(EngineTime.micros(days: days))
        } else {
            clock.reset()
        }
    }

    private func clockView() -> ClockView {
        ClockView(now: Timestamps.format(micros: clock.now), fixed: clock.isFixed)
    }

    private func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

private struct ClockRequest: Decodable {
    var now: String?
    var advanceDays: Double?
    var advanceSeconds: Double?
    var reset: Bool?
}

private struct ClockView: Encodable {
    var now: String
    /// Set by a test: time stands still until moved or reset.
    var fixed: Bool
}

private struct EngineStatus: Encodable {
    var rules: String
    var clock: ClockView
    var databases: [String]
}
