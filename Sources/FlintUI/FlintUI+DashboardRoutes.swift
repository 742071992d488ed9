import FlintCore
import FlintProto
import FlintREST
import FlintServer
import FlintService
import Hummingbird

/// `GET projects/{p}/databases/{db}/dashboard`: the CRM health numbers over the engine's
/// documents (`customers`, `orders`, `notifications`), each a `count` (with `sum`s for regions)
/// aggregation query run through the service, so no document leaves the store.
extension FlintUI {
    func addDashboardRoutes(to emulator: RouterGroup<FlintRequestContext>) {
        emulator.get("projects/{project}/databases/{database}/dashboard") { [self] _, context in
            let database = DatabaseID(
                project: try context.parameters.require("project"), database: try context.parameters.require("database"))
            return try EmulatorJSON.response(try await dashboard(database))
        }
    }

    func dashboard(_ database: DatabaseID) async throws -> DashboardReport {
        let d = DashboardDimensions.self
        func breakdown(_ collection: String, _ field: String, _ values: [String], sums: [String] = [])
            async throws -> [DashboardNumber]
        {
            var out: [DashboardNumber] = []
            for v in values {
                out.append(try await number(database, collection, v, [.equal(field, v)], sums: sums))
            }
            return out
        }
        let customers = try await number(database, "customers", "all", []).count
        let orders = try await number(database, "orders", "all", []).count
        let notifications = try await number(database, "notifications", "all", []).count
        var report = DashboardReport(
            customers: customers, orders: orders, notifications: notifications, segments: [], tiers: [], trustScores: [],
            regions: [], flags: [], orderStatuses: [], couriers: [], approvals: [], notificationStatuses: [], unlisted: [:])
        report.segments = try await breakdown("customers", "customerSegment", d.segments)
        report.tiers = try await breakdown("customers", "loyaltyTier", d.tiers)
        // A bucket [from, to) is counted as count(≥ from) − count(≥ to): a single bound is counted
        // from the index alone, two bounds on one field read every candidate. Its filters still say
        // both bounds, the query that lists exactly its customers.
        var atLeast: [Int: Int] = [:]
        for (from, _) in d.trustBuckets {
            let bound = DashboardFilter(field: "trustScore", op: "GREATER_THAN_OR_EQUAL", value: .integer(from))
            atLeast[from] = try await number(database, "customers", "", [bound]).count
        }
        for (from, to) in d.trustBuckets {
            var filters = [DashboardFilter(field: "trustScore", op: "GREATER_THAN_OR_EQUAL", value: .integer(from))]
            if let to { filters.append(.init(field: "trustScore", op: "LESS_THAN", value: .integer(to))) }
            let label = to.map { "\(from)–\($0 - 1)" } ?? "\(from)+"
            let count = atLeast[from, default: 0] - (to.map { atLeast[$0] ?? 0 } ?? 0)
            report.trustScores.append(
                DashboardNumber(label: label, collection: "customers", filters: filters, count: max(0, count)))
        }
        // Regions with customers only: the rules name many more than a store usually holds.
        let regions = try await breakdown("customers", "region", dimensions.regions, sums: ["totalSpent", "lifetimeValue"])
        report.regions = regions.filter { $0.count > 0 }
        let dubious = try await number(
            database, "customers", "dubious", [.init(field: "isDubious", op: "EQUAL", value: .boolean(true))])
        let blacklisted = try await number(
            database, "customers", "blacklisted", [.init(field: "blacklistReason", op: "IS_NOT_NULL")])
        let awaitingReview = try await number(
            database, "orders", "awaiting review",
            [.equal("approval.status", "manual_review"), .equal("internalStatus", "created_pending")])
        report.flags = [dubious, blacklisted, awaitingReview]
        report.orderStatuses = try await breakdown("orders", "internalStatus", d.orderStatuses)
        report.couriers = try await breakdown("orders", "courier", dimensions.couriers)
        report.approvals = try await breakdown("orders", "approval.status", ["auto_approved", "manual_review"])
        report.notificationStatuses = try await breakdown("notifications", "status", ["queued", "sent", "failed"])
        func unlisted(_ numbers: [DashboardNumber], of total: Int) -> Int {
            max(0, total - numbers.reduce(0) { $0 + $1.count })
        }
        report.unlisted = [
            "segments": unlisted(report.segments, of: customers), "tiers": unlisted(report.tiers, of: customers),
            "regions": unlisted(report.regions, of: customers),
            "orderStatuses": unlisted(report.orderStatuses, of: orders),
            "couriers": unlisted(report.couriers, of: orders),
            "notificationStatuses": unlisted(report.notificationStatuses, of: notifications),
        ]
        return report
    }

    /// One aggregation query: `count` of the matching documents, and `sum` of each of `sums`.
    func number(
        _ database: DatabaseID, _ collection: String, _ label: String, _ filters: [DashboardFilter], sums: [String] = []
    ) async throws -> DashboardNumber {
        var request = Google_Firestore_V1_RunAggregationQueryRequest()
        request.parent = database.resourceName + "/documents"
        request.structuredAggregationQuery = .with { q in
            q.structuredQuery = Self.query(collection, filters)
            q.aggregations = [.with { $0.alias = "count"; $0.count = .init() }]
            for (i, field) in sums.enumerated() {
                q.aggregations.append(.with {
                    $0.alias = "sum\(i)"
                    $0.sum = .with { $0.field = .with { $0.fieldPath = field } }
                })
            }
        }
        let responses = try await requireService().runAggregationQuery(request, context: CallContext(auth: .admin))
        let fields = responses.first { $0.hasResult }?.result.aggregateFields ?? [:]
        var number = DashboardNumber(
            label: label, collection: collection, filters: filters, count: Int(fields["count"]?.integerValue ?? 0))
        if !sums.isEmpty {
            var totals: [String: Double] = [:]
            for (i, field) in sums.enumerated() {
                switch fields["sum\(i)"]?.valueType {
                case .integerValue(let n)?: totals[field] = Double(n)
                case .doubleValue(let x)?: totals[field] = x
                default: totals[field] = 0
                }
            }
            number.sums = totals
        }
        return number
    }

    static func query(_ collection: String, _ filters: [DashboardFilter]) -> StructuredQuery {
        typealias Filter = Google_Firestore_V1_StructuredQuery.Filter
        let protos: [Filter] = filters.map { f in
            if f.op == "IS_NOT_NULL" {
                return .with {
                    $0.unaryFilter = .with { $0.op = .isNotNull; $0.field = .with { $0.fieldPath = f.field } }
                }
            }
            return .with {
                $0.fieldFilter = .with {
                    $0.field = .with { $0.fieldPath = f.field }
                    $0.op = .init(rawValue: Self.operatorNumber(f.op)) ?? .equal
                    if let v = f.value { $0.value = v.proto }
                }
            }
        }
        return .with { q in
            q.from = [.with { $0.collectionID = collection }]
            if protos.count == 1 {
                q.where = protos[0]
            } else if protos.count > 1 {
                q.where = .with { $0.compositeFilter = .with { $0.op = .and; $0.filters = protos } }
            }
        }
    }

    static func operatorNumber(_ op: String) -> Int {
        ["LESS_THAN": 1, "LESS_THAN_OR_EQUAL": 2, "GREATER_THAN": 3, "GREATER_THAN_OR_EQUAL": 4, "EQUAL": 5][op] ?? 5
    }
}
