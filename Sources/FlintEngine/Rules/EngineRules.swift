/// Every threshold the engine decides by, read from `rules/engine.json` (and its regions table).
public struct EngineRules: Sendable, Equatable {
    public struct Trust: Sendable, Equatable {
        /// The score of a profile the engine creates.
        public var initialScore: Int
        public var deliveredBonus: Int
        /// Taken off for each cancelled or returned order.
        public var refundPenalty: Int
        public var min: Int
        public var max: Int
    }

    /// Orders needed for each tier above `new` (the blueprint: 3, 11, 26).
    public struct LoyaltyTiers: Sendable, Equatable {
        public var repeatFrom: Int
        public var goldFrom: Int
        public var platinumFrom: Int
    }

    public struct Dubious: Sendable, Equatable {
        /// Dubious when the trust score is below this.
        public var trustScoreBelow: Int
        /// Dubious when the return rate is above this, once the customer has `minOrdersForReturnRate` orders.
        public var returnRateAbove: Double
        public var minOrdersForReturnRate: Int
    }

    public struct Approval: Sendable, Equatable {
        public var minTrustScore: Int
        /// Orders above this total always go to manual review.
        public var maxOrderTotal: Double
        /// Customers with fewer earlier orders than this are new: their cap is `newCustomerMaxOrderTotal`.
        public var newCustomerOrdersBelow: Int
        public var newCustomerMaxOrderTotal: Double
    }

    public struct Inactivity: Sendable, Equatable {
        /// No order for more than this many days: Dormant.
        public var dormantAfterDays: Double
        /// Overdue by more than this multiple of orderFrequencyDays: At Risk.
        public var atRiskFrequencyMultiple: Double
        /// How often the scheduled job runs (0: only on demand).
        public var runEveryMinutes: Double
    }

    public struct Regions: Sendable, Equatable {
        /// zip or PIN prefix → region name: an Indian PIN takes the region of its longest
        /// prefix in the table (its 6 digits exactly, a district's 3, a postal circle's 2, a zone's 1).
        public var table: [String: String]
        /// The region of a zip the table does not know.
        public var defaultRegion: String
    }

    public struct RegionCouriers: Sendable, Equatable {
        public var defaultCourier: String
        public var serves: Set<String>
    }

    public struct Couriers: Sendable, Equatable {
        /// When neither the preferred courier nor the region has one.
        public var defaultCourier: String
        public var regions: [String: RegionCouriers]
        /// Booking APIs by courier name; a `courierIntegrations/{courier}` document replaces its entry.
        public var integrations: [String: CourierIntegration] = [:]
    }

    public struct Notifications: Sendable, Equatable {
        public var channel: String
        /// When the profile has no preferredLanguage.
        public var defaultLanguage: String
        /// Template per order stage (approved, shipped, delivered, cancelled, returned, …).
        public var orderTemplates: [String: String]
        public var atRiskTemplate: String
        public var dormantTemplate: String
    }

    public var trust: Trust
    public var loyaltyTiers: LoyaltyTiers
    public var dubious: Dubious
    public var approval: Approval
    public var inactivity: Inactivity
    public var regions: Regions
    public var couriers: Couriers
    public var notifications: Notifications
}
