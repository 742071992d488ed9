import FlintCore

/// One order as the profile counts it, kept in the customer's bookkeeping document.
struct OrderFact: Hashable {
    var createdAt: Int64
    var total: Double
    /// The total was an integer (money sums of integers stay integers).
    var integral: Bool
    var source: String?
    var products: [String: Int64]
    /// Profile-relevant stage → the earliest time it was seen reached.
    var stages: [String: Int64]
    /// The order version `createdAt`/`total`/`source`/`products` come from.
    var version: Int64

    /// Cancelled or returned: not part of lifetimeValue, counted in refundsCount.
    var refunded: Bool { stages[OrderStage.cancelled] != nil || stages[OrderStage.returned] != nil }

    /// Delivered and neither cancelled nor returned: counts towards the loyalty tier.
    var deliveredAndKept: Bool { stages[OrderStage.delivered] != nil && !refunded }

    init(_ s: OrderSnapshot) {
        createdAt = s.createdAt
        total = s.total
        integral = s.integral
        source = s.source
        products = s.products
        stages = s.stages
        version = s.version
    }

    init(
        createdAt: Int64, total: Double, source: String? = nil, products: [String: Int64] = [:],
        stages: [String: Int64] = [:], version: Int64 = 0, integral: Bool = false
    ) {
        self.createdAt = createdAt
        self.total = total
        self.integral = integral
        self.source = source
        self.products = products
        self.stages = stages
        self.version = version
    }

    /// Folds in another version of the order: the newer version's content wins, stages are kept
    /// with their earliest time, so any delivery order of the same versions gives the same fact.
    mutating func merge(_ s: OrderSnapshot) {
        if s.version > version {
            createdAt = s.createdAt
            total = s.total
            integral = s.integral
            source = s.source
            products = s.products
            version = s.version
        }
        for (stage, time) in s.stages { stages[stage] = min(stages[stage] ?? time, time) }
    }
}

/// What a profile said before the engine first counted an order for it (a loaded profile such as
/// the blueprint's example): the engine adds its own orders on top.
struct ProfileBaseline: Equatable {
    var totalOrders: Int64 = 0
    /// Orders delivered and kept (neither cancelled nor returned): what the loyalty tier counts.
    var deliveredOrders: Int64 = 0
    var totalSpent: Double = 0
    var lifetimeValue: Double = 0
    /// totalSpent and lifetimeValue were integers (or absent): sums on them stay integers.
    var integralMoney = true
    var refundsCount: Int64 = 0
    var lastOrderAt: Int64?
    var orderFrequencyDays: Double?
    var avgDeliveryTime: Double?
    var preferredProducts: [String] = []
    var lastInteractionSource: String?
    var lastInteractionAt: Int64?
}

/// The trust score's starting point and the trust events already folded into it.
struct TrustLedger: Equatable {
    var base: Int
    /// Events (`orderId/delivered`, `orderId/refund`) counted in `base`: an admin's edit of the
    /// score becomes the new base and absorbs the events known at the time.
    var absorbed: Set<String> = []
    /// The score the engine last wrote (an admin edit shows as a difference).
    var written: Int?
}

/// The inactivity job's verdict for one episode (one value of lastOrderAt).
struct InactivityMark: Equatable {
    var segment: String
    var episode: Int64
}

/// Who set the profile's `isDubious`: an admin's `true` stands until an admin clears it.
struct DubiousMark: Equatable {
    /// The value the engine last left on the profile (nil: it never has).
    var written: Bool?
    /// An admin set `isDubious: true`.
    var admin = false

    /// Reads the profile's `isDubious` against what the engine last left there: a `true` the engine
    /// did not leave is an admin's flag; `false` (or no value) where that flag stood clears it.
    /// `ruleSays`: the thresholds or a blacklistReason make the profile dubious anyway (with no
    /// record of the engine's writes, a `true` they explain is taken as the engine's).
    mutating func observe(_ value: Bool?, ruleSays: Bool) {
        if value == true, written != true, written != nil || !ruleSays { admin = true }
        if value != true { admin = false }
    }
}

/// `customers/{phone}/engine/state`: the engine's bookkeeping for one customer.
struct CustomerState: Equatable {
    var orders: [String: OrderFact] = [:]
    var baseline: ProfileBaseline?
    var trust: TrustLedger?
    var inactivity: InactivityMark?
    var dubious: DubiousMark?
}
