import FlintCore
import FlintProto
import FlintService

/// A courier's tracking update, as `POST /emulator/v1/engine/couriers/{courier}:webhook` takes it.
struct TrackingUpdate: Decodable, Sendable {
    /// The shipment's air waybill number, as the courier's booking answered it.
    var awb: String?
    /// `in_transit`, `delivered`, `return_initiated` or `returned`.
    var status: String?
    /// When it happened (RFC 3339); the engine clock's now when absent.
    var time: String?
}

/// What the webhook did.
struct TrackingResult: Encodable, Sendable {
    /// The order's full document name.
    var order: String
    var awb: String
    var courier: String
    /// The order's status before the update.
    var previousStatus: String
    /// The order's status after it.
    var status: String
    /// False when the order was already at or past the status (a repeated or late update).
    var applied: Bool
}

extension CustomerEngine {
    /// The statuses a tracking update may set, in the order a shipment passes them.
    static let trackingStatuses = ["in_transit", OrderStage.delivered, "return_initiated", OrderStage.returned]

    /// How far along a shipped order is (nil: not shipped, or cancelled).
    static func trackingRank(_ status: String) -> Int? {
        switch status {
        case OrderStage.shipped: 0
        case "in_transit": 1
        case OrderStage.delivered: 2
        case "return_initiated": 3
        case OrderStage.returned: 4
        default: nil
        }
    }

    /// Applies a tracking update to the order with that awb: its `internalStatus` and
    /// `statusTimes.{status}`, written like any client's write, so the engine's order trigger
    /// counts it (trust, delivery time, tier, refunds) and queues the notification. An update
    /// the order is already at or past changes nothing. Without `project`, every database
    /// holding orders is searched.
    func applyTracking(courier: String, _ update: TrackingUpdate, project: String?, database: String?) async throws
        -> TrackingResult
    {
        guard !courier.isEmpty else { throw FirestoreError.invalidArgument("The courier name in the URL is empty.") }
        guard let awb = update.awb, !awb.isEmpty else {
            throw FirestoreError.invalidArgument("awb must be a non-empty string (the shipment's air waybill number).")
        }
        guard let status = update.status, Self.trackingStatuses.contains(status) else {
            let given = update.status.map { "\"\($0)\"" } ?? "missing"
            throw FirestoreError.invalidArgument(
                "status must be one of \(Self.trackingStatuses.joined(separator: ", ")); it is \(given).")
        }
        let time: Int64
        if let text = update.time {
            guard let t = EngineTime.parse(text) else {
                throw FirestoreError.invalidArgument("time must be an RFC 3339 time such as 2025-10-10T09:42:00Z, not \"\(text)\".")
            }
            time = t
        } else {
            time = clock.now
        }
        if database?.isEmpty == true || (database != nil && project == nil) {
            throw FirestoreError.invalidArgument("database needs a non-empty name and a project.")
        }
        let service = try requireService()
        let targets: [DatabaseID]
        if let project {
            guard !project.isEmpty else { throw FirestoreError.invalidArgument("project must not be empty.") }
            targets = [DatabaseID(project: project, database: database ?? "(default)")]
        } else {
            targets = try await service.databases(holding: EnginePaths.orders)
        }
        var found: [(DatabaseID, DocumentSnapshot)] = []
        for target in targets {
            for order in try await orders(in: target, where: [("awb", .string(awb))], limit: 2) { found.append((target, order)) }
        }
        guard let match = found.first else {
            let scope = project == nil ? "" : " in \(targets[0].resourceName)"
            throw FirestoreError(.notFound, "No order has awb \"\(awb)\"\(scope).")
        }
        guard found.count == 1 else {
            let names = found.prefix(3).map { $0.0.name(of: $0.1.path) }.joined(separator: ", ")
            throw FirestoreError(
                .failedPrecondition,
                "awb \"\(awb)\" names more than one order (\(names)); name the database with ?project=P&database=D.")
        }
        let (target, path) = (match.0, match.1.path)
        let name = target.name(of: path)
        let outcome = try await service.update(target, context: CallContext(auth: .admin)) {
            reads throws -> (writes: [Google_Firestore_V1_Write], value: TrackingResult) in
            guard let current = try reads.document(path), current.fields["awb"]?.string == awb else {
                throw FirestoreError(.notFound, "No order has awb \"\(awb)\" any more (\(name) changed).")
            }
            let orderCourier = current.fields["courier"]?.string ?? ""
            guard orderCourier == courier else {
                throw FirestoreError(
                    .failedPrecondition,
                    "awb \"\(awb)\" is the shipment of \(path), which ships with \(orderCourier.isEmpty ? "no courier" : orderCourier), not \(courier)."
                )
            }
            let previous = current.fields["internalStatus"]?.string ?? OrderStage.created
            guard let from = Self.trackingRank(previous) else {
                throw FirestoreError(
                    .failedPrecondition,
                    "\(path) is \(previous): tracking updates apply to orders that have shipped (shipped, in_transit, delivered, return_initiated)."
                )
            }
            var result = TrackingResult(
                order: name, awb: awb, courier: courier, previousStatus: previous, status: previous, applied: false)
            guard Self.trackingRank(status)! > from else { return ([], result) }
            var fields: Fields = ["internalStatus": .string(status)]
            var mask = [FieldPath(["internalStatus"])]
            if current.fields["statusTimes"]?.mapFields?[status] == nil {
                fields["statusTimes"] = .map([status: .timestamp(micros: time)])
                mask.append(FieldPath(["statusTimes", status]))
            }
            result.status = status
            result.applied = true
            return ([.set(name, fields, merge: mask, exists: true)], result)
        }
        return outcome.value
    }
}
