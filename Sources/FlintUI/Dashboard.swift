import FlintCore

/// The names the dashboard breaks totals down by, beyond the engine's fixed vocabularies
/// (segments, tiers, order statuses): regions and couriers come from the engine's rules.
public struct DashboardDimensions: Sendable {
    public var regions: [String]
    public var couriers: [String]

    public init(regions: [String] = [], couriers: [String] = []) {
        self.regions = regions
        self.couriers = couriers
    }

    static let segments = ["Active", "At Risk", "Dormant"]
    static let tiers = ["new", "repeat", "gold", "platinum"]
    static let orderStatuses = [
        "created_pending", "approved", "ready_for_shipping", "shipped", "in_transit", "delivered", "return_initiated",
        "returned", "cancelled",
    ]
    /// Trust-score buckets: [from, to) with the last one closed at the top.
    static let trustBuckets: [(Int, Int?)] = [(0, 20), (20, 40), (40, 60), (60, 80), (80, nil)]
}

/// One filter of a dashboard number, in the terms of the page's query builder (and of
/// `StructuredQuery`): `op` is a field filter operator, or `IS_NOT_NULL`.
struct DashboardFilter: Encodable, Sendable {
    enum Value: Encodable, Sendable {
        case string(String), integer(Int), boolean(Bool)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            switch self {
            case .string(let s): try c.encode(s, forKey: .stringValue)
            case .integer(let i): try c.encode(String(i), forKey: .integerValue)
            case .boolean(let b): try c.encode(b, forKey: .booleanValue)
            }
        }
        enum Key: String, CodingKey { case stringValue, integerValue, booleanValue }

        var proto: FirestoreValue {
            switch self {
            case .string(let s): .string(s)
            case .integer(let i): .integer(Int64(i))
            case .boolean(let b): .boolean(b)
            }
        }
    }

    var field: String
    var op: String
    var value: Value?

    static func equal(_ field: String, _ value: String) -> Self { .init(field: field, op: "EQUAL", value: .string(value)) }
}

/// A number of the dashboard and the query behind it: `count` documents of `collection` match
/// every filter (and `sums` are those documents' totals), so the page can open exactly them.
struct DashboardNumber: Encodable, Sendable {
    var label: String
    var collection: String
    var filters: [DashboardFilter]
    var count: Int
    var sums: [String: Double]?
}

/// What `GET …/dashboard` answers: each breakdown, its numbers in a fixed order, and for the
/// open-ended ones (regions, couriers, segments, tiers, statuses) what no listed name covers.
struct DashboardReport: Encodable, Sendable {
    var customers: Int
    var orders: Int
    var notifications: Int
    var segments: [DashboardNumber]
    var tiers: [DashboardNumber]
    var trustScores: [DashboardNumber]
    var regions: [DashboardNumber]
    var flags: [DashboardNumber]
    var orderStatuses: [DashboardNumber]
    var couriers: [DashboardNumber]
    var approvals: [DashboardNumber]
    var notificationStatuses: [DashboardNumber]
    /// Documents of a breakdown that none of its names cover (a value the dashboard does not
    /// know, or the field missing), by breakdown.
    var unlisted: [String: Int]
}
