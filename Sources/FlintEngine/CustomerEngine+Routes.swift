import FlintCore
import FlintREST
import FlintServer
import Foundation
import Hummingbird

/// The engine's emulator endpoints:
/// - `GET /emulator/v1/engine`: the rules source, the clock and the databases seen.
/// - `GET|POST /emulator/v1/engine/clock`: read, or set with `{"now": RFC 3339}` (time then stands
///   still), move with `{"advanceDays": n}` / `{"advanceSeconds": n}`, or `{"reset": true}` to real time.
/// - `POST /emulator/v1/engine:runInactivity[?project=P&database=D]`: the inactivity job, now
///   (without `project`: every database holding customers, or with engine activity).
/// - `POST /emulator/v1/engine/couriers/{courier}:webhook[?project=P&database=D]`: a courier's
///   tracking update `{awb, status, time?}`, applied to the order with that awb.
/// - `GET /emulator/v1/engine/settings?project=P[&database=D]`: the approval settings and courier
///   integrations in force for a database (the rules file overridden by its documents).
extension CustomerEngine {
    public func addRoutes(to emulator: RouterGroup<FlintRequestContext>) {
        emulator.get("engine") { [self] _, _ in
            let names = databases.withLock { $0.map(\.resourceName) }.sorted()
            return try EmulatorJSON.response(EngineStatus(rules: rulesSource, clock: clockView(), databases: names))
        }
        emulator.get("engine/clock") { [self] _, _ in try EmulatorJSON.response(clockView()) }
        emulator.post("engine/clock") { [self] request, _ in
            try setClock(
                try await request.decodeJSON(
                    ClockRequest.self,
                    expected:
                        "Expected {\"now\": RFC 3339 time}, {\"advanceDays\": n}, {\"advanceSeconds\": n} or {\"reset\": true}."
                ))
            return try EmulatorJSON.response(clockView())
        }
        emulator.post("engine/couriers/{courier}:webhook") { [self] request, context in
            let update = try await request.decodeJSON(
                TrackingUpdate.self,
                expected:
                    "Expected a JSON object {\"awb\": string, \"status\": \"in_transit\"|\"delivered\"|\"return_initiated\"|\"returned\", \"time\": RFC 3339 (optional)}."
            )
            return try EmulatorJSON.response(
                try await applyTracking(
                    courier: context.parameters.get("courier") ?? "", update, project: request.query("project"),
                    database: request.query("database")))
        }
        emulator.get("engine/settings") { [self] request, _ in
            guard let project = request.query("project"), !project.isEmpty else {
                throw FirestoreError.invalidArgument("project is required: /emulator/v1/engine/settings?project=P[&database=D].")
            }
            let database = request.query("database") ?? "(default)"
            guard !database.isEmpty else { throw FirestoreError.invalidArgument("database must not be empty.") }
            return try EmulatorJSON.response(SettingsView(try await settings(for: DatabaseID(project: project, database: database))))
        }
        emulator.post("engine:runInactivity") { [self] request, _ in
            try EmulatorJSON.response(
                try await runInactivity(project: request.query("project"), database: request.query("database")))
        }
    }

    /// The inactivity job on one database, or (no project) on every database holding customers.
    func runInactivity(project: String?, database: String?) async throws -> InactivityReport {
        if database?.isEmpty == true || (database != nil && project == nil) {
            throw FirestoreError.invalidArgument("database needs a non-empty name and a project.")
        }
        let targets: [DatabaseID]
        if let project {
            guard !project.isEmpty else { throw FirestoreError.invalidArgument("project must not be empty.") }
            targets = [DatabaseID(project: project, database: database ?? "(default)")]
        } else {
            targets = try await inactivityDatabases()
        }
        var total = InactivityReport()
        for database in targets {
            let r = try await runInactivity(database)
            total.customersChecked += r.customersChecked
            total.atRisk += r.atRisk
            total.dormant += r.dormant
            total.notifications += r.notifications
        }
        return total
    }

    private func setClock(_ request: ClockRequest) throws {
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

/// The settings in force for one database; an authKey is shown only as set or not.
private struct SettingsView: Encodable {
    struct Approval: Encodable {
        var enabled: Bool
        var minTrustScore: Int
        var maxOrderTotal: Double
        var newCustomerOrdersBelow: Int
        var newCustomerMaxOrderTotal: Double
        var source: String
    }
    struct Courier: Encodable {
        var name: String?
        var bookingUrl: String?
        var authKeySet: Bool
        var enabled: Bool
        var source: String
    }
    var approval: Approval
    var couriers: [String: Courier]
    var problems: [String]

    init(_ s: EngineSettings) {
        approval = Approval(
            enabled: s.autoApproval, minTrustScore: s.approval.minTrustScore, maxOrderTotal: s.approval.maxOrderTotal,
            newCustomerOrdersBelow: s.approval.newCustomerOrdersBelow,
            newCustomerMaxOrderTotal: s.approval.newCustomerMaxOrderTotal, source: s.approvalSource)
        couriers = s.couriers.mapValues {
            Courier(name: $0.name, bookingUrl: $0.bookingURL, authKeySet: $0.authKey != nil, enabled: $0.enabled, source: $0.source)
        }
        problems = s.problems
    }
}
