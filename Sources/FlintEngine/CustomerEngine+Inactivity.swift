import FlintCore
import FlintProto
import FlintService
import ServiceLifecycle
import Foundation

/// What one inactivity run did.
public struct InactivityReport: Codable, Sendable {
    public var customersChecked = 0
    public var atRisk = 0
    public var dormant = 0
    public var notifications = 0
}

extension CustomerEngine {
    /// Moves customers without a recent order to At Risk or Dormant (by the engine clock) and
    /// queues one retargeting notification per segment entered for those opted in.
    public func runInactivity(_ database: DatabaseID) async throws -> InactivityReport {
        let service = try requireService()
        let now = clock.now
        let rules = self.rules
        var report = InactivityReport()
        var after: String?
        while true {
            let page = try await service.documents(database, in: EnginePaths.customers, afterID: after, limit: 500)
            for doc in page {
                report.customersChecked += 1
                guard rules.inactivitySegment(of: doc.fields, now: now) != nil else { continue }
                let phone = doc.path.lastSegment
                let outcome = try await service.update(database, context: CallContext(auth: .admin, triggerDepth: 1)) {
                    reads in
                    try Self.markInactive(phone, reads: reads, now: now, rules: rules)
                }
                switch outcome.value {
                case (Segment.dormant?, let notified):
                    report.dormant += 1
                    report.notifications += notified ? 1 : 0
                case (Segment.atRisk?, let notified):
                    report.atRisk += 1
                    report.notifications += notified ? 1 : 0
                default: break
                }
            }
            guard let last = page.last, page.count == 500 else { break }
            after = last.path.lastSegment
        }
        if report.atRisk + report.dormant > 0 {
            logger.info(
                "inactivity run on \(database): \(report.atRisk) at risk, \(report.dormant) dormant, \(report.notifications) notification(s)"
            )
        }
        return report
    }

    /// Inside the write transaction: the segment entered (nil: none) and whether a notification was queued.
    static func markInactive(_ phone: String, reads: AtomicReads, now: Int64, rules: EngineRules) throws
        -> (writes: [Google_Firestore_V1_Write], value: (String?, Bool))
    {
        let name = { (path: ResourcePath) in reads.database.name(of: path) }
        guard let profile = try reads.document(EnginePaths.customer(phone)),
            let segment = rules.inactivitySegment(of: profile.fields, now: now),
            let last = profile.fields["lastOrderAt"]?.micros
        else { return ([], (nil, false)) }
        var fields: Fields = ["customerSegment": .string(segment)]
        if segment == Segment.dormant { fields["inactiveSince"] = .timestamp(micros: last) }
        var writes: [Google_Firestore_V1_Write] = [
            .set(
                name(EnginePaths.customer(phone)), fields, merge: fields.keys.sorted().map { FieldPath([$0]) },
                serverTimestamps: [FieldPath(["updatedAt"])])
        ]
        let stateDoc = try reads.document(EnginePaths.state(phone))
        var state = stateDoc.map { CustomerState(fields: $0.fields) } ?? CustomerState()
        state.inactivity = InactivityMark(segment: segment, episode: last)
        writes.append(.set(name(EnginePaths.state(phone)), state.fields))

        let template =
            segment == Segment.dormant ? rules.notifications.dormantTemplate : rules.notifications.atRiskTemplate
        let id = "\(phone)-\(template)-\(last)"
        var notified = false
        if try !reads.exists(EnginePaths.notification(id)),
            let notification = rules.notification(
                template: template, profile: profile.fields, phone: phone, extra: ["segment": .string(segment)])
        {
            writes.append(
                .set(name(EnginePaths.notification(id)), notification, serverTimestamps: [FieldPath(["createdAt"])]))
            notified = true
        }
        return (writes, (segment, notified))
    }

    /// Every database the inactivity job covers: those with engine events since the start and
    /// every database holding customers (with `--data`, those of earlier runs too).
    func inactivityDatabases() async throws -> [DatabaseID] {
        let stored = try await requireService().databases(holding: EnginePaths.customers)
        let seen = databases.withLock { $0 }
        return Array(seen.union(stored)).sorted { ($0.project, $0.database) < ($1.project, $1.database) }
    }

    /// The inactivity job over every database holding customers (the scheduled run).
    func runScheduledInactivity() async {
        let targets: [DatabaseID]
        do {
            targets = try await inactivityDatabases()
        } catch {
            logger.error("inactivity run could not list the databases: \(error)")
            return
        }
        for database in targets {
            do {
                _ = try await runInactivity(database)
            } catch {
                logger.error("inactivity run on \(database) failed: \(error)")
            }
        }
    }
}

/// Runs the engine's inactivity job every `runEveryMinutes`, until graceful shutdown.
struct EngineScheduler: Service {
    let engine: CustomerEngine
    let every: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: every)
                await engine.runScheduledInactivity()
            }
        }
    }
}
