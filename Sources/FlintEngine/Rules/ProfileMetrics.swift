/// The derived part of a customer profile, recomputed from the bookkeeping each time: the same
/// facts give the same profile whatever order (and however often) the events arrived in.
struct ProfileMetrics: Equatable {
    var totalOrders: Int64
    /// Orders delivered and neither cancelled nor returned: the loyalty tier counts these.
    var deliveredOrders: Int64
    var totalSpent: Double
    var lifetimeValue: Double
    /// Every amount summed was an integer: totalSpent and lifetimeValue are written as integers.
    var integralMoney: Bool
    var avgOrderValue: Double
    var refundsCount: Int64
    var returnRate: Double
    var trustScore: Int
    var loyaltyTier: String
    var lastOrderAt: Int64?
    var orderFrequencyDays: Double
    var avgDeliveryTime: Double?
    var preferredProducts: [String]
    var lastInteractionSource: String?
    var lastInteractionAt: Int64?

    init(state: CustomerState, initialTrust: Int, rules: EngineRules) {
        let baseline = state.baseline ?? ProfileBaseline()
        let orders = state.orders
        // Summed in id order: the same facts give the same last bits, so the same rounding.
        let facts = orders.keys.sorted().map { orders[$0]! }
        totalOrders = baseline.totalOrders + Int64(facts.count)
        totalSpent = round2(baseline.totalSpent + facts.reduce(0) { $0 + $1.total })
        lifetimeValue = round2(baseline.lifetimeValue + facts.filter { !$0.refunded }.reduce(0) { $0 + $1.total })
        integralMoney = baseline.integralMoney && facts.allSatisfy(\.integral)
        refundsCount = baseline.refundsCount + Int64(facts.filter(\.refunded).count)
        avgOrderValue = totalOrders > 0 ? round2(totalSpent / Double(totalOrders)) : 0
        returnRate = totalOrders > 0 ? round2(Double(refundsCount) / Double(totalOrders)) : 0
        trustScore = Self.trust(
            orders: orders, ledger: state.trust ?? TrustLedger(base: initialTrust), rules: rules.trust)
        deliveredOrders = baseline.deliveredOrders + Int64(facts.filter(\.deliveredAndKept).count)
        loyaltyTier = Self.tier(orders: deliveredOrders, rules.loyaltyTiers)
        let times = facts.map(\.createdAt)
        lastOrderAt = ([baseline.lastOrderAt].compactMap { $0 } + times).max()
        orderFrequencyDays = Self.frequencyDays(baseline: baseline, orderTimes: times)
        avgDeliveryTime = Self.deliveryDays(baseline: baseline, orders: facts)
        preferredProducts = Self.preferredProducts(orders: orders, baseline: baseline.preferredProducts)
        (lastInteractionSource, lastInteractionAt) = Self.lastInteraction(orders: orders, baseline: baseline)
    }

    /// The blueprint's table: 0–2 new, 3–10 repeat, 11–25 gold, 26+ platinum (thresholds configurable).
    static func tier(orders: Int64, _ t: EngineRules.LoyaltyTiers) -> String {
        switch orders {
        case Int64(t.platinumFrom)...: "platinum"
        case Int64(t.goldFrom)...: "gold"
        case Int64(t.repeatFrom)...: "repeat"
        default: "new"
        }
    }

    /// The delivered-order counts a tier stands for (platinum: up to any count).
    static func orders(inTier tier: String, _ t: EngineRules.LoyaltyTiers) -> ClosedRange<Int64>? {
        switch tier {
        case "new": 0...Int64(t.repeatFrom - 1)
        case "repeat": Int64(t.repeatFrom)...Int64(t.goldFrom - 1)
        case "gold": Int64(t.goldFrom)...Int64(t.platinumFrom - 1)
        case "platinum": Int64(t.platinumFrom)...Int64.max
        default: nil
        }
    }

    /// One delivery or refund moves the score, clamped at each step: `min(max, s + bonus)`, `max(min, s − penalty)`.
    static func applyTrust(_ score: Int, delivered: Bool, _ rules: EngineRules.Trust) -> Int {
        delivered ? min(rules.max, score + rules.deliveredBonus) : max(rules.min, score - rules.refundPenalty)
    }

    /// The trust events of every order (a delivery; a cancellation or return, once per order),
    /// applied in time order to the base, skipping those the base already absorbed.
    static func trust(orders: [String: OrderFact], ledger: TrustLedger, rules: EngineRules.Trust) -> Int {
        var score = min(rules.max, max(rules.min, ledger.base))
        for event in trustEvents(orders) where !ledger.absorbed.contains(event.key) {
            score = applyTrust(score, delivered: event.delivered, rules)
        }
        return score
    }

    /// Trust events in application order: by time, then key.
    static func trustEvents(_ orders: [String: OrderFact]) -> [(key: String, time: Int64, delivered: Bool)] {
        var events: [(key: String, time: Int64, delivered: Bool)] = []
        for (id, o) in orders {
            if let t = o.stages[OrderStage.delivered] { events.append(("\(id)/delivered", t, true)) }
            let refund = [o.stages[OrderStage.cancelled], o.stages[OrderStage.returned]].compactMap { $0 }.min()
            if let t = refund { events.append(("\(id)/refund", t, false)) }
        }
        return events.sorted { ($0.time, $0.key) < ($1.time, $1.key) }
    }

    /// Mean days between consecutive orders = (latest − earliest) / (orders − 1); a baseline
    /// contributes its orders as ending at its lastOrderAt, spaced by its orderFrequencyDays.
    static func frequencyDays(baseline: ProfileBaseline, orderTimes: [Int64]) -> Double {
        var count = orderTimes.count
        var earliest = orderTimes.min()
        var latest = orderTimes.max()
        if let last = baseline.lastOrderAt, baseline.totalOrders > 0 {
            let first =
                last - EngineTime.micros(days: (baseline.orderFrequencyDays ?? 0) * Double(baseline.totalOrders - 1))
            count += Int(baseline.totalOrders)
            earliest = min(earliest ?? first, first)
            latest = max(latest ?? last, last)
        }
        guard count >= 2, let earliest, let latest else { return 0 }
        return round2(EngineTime.days(latest - earliest) / Double(count - 1))
    }

    /// Mean days from shipped to delivered over the orders that have both; a baseline average
    /// weighs as its orders that were not refunded.
    static func deliveryDays(baseline: ProfileBaseline, orders: [OrderFact]) -> Double? {
        let samples = orders.compactMap { o -> Double? in
            guard let shipped = o.stages[OrderStage.shipped], let delivered = o.stages[OrderStage.delivered],
                delivered >= shipped
            else { return nil }
            return EngineTime.days(delivered - shipped)
        }
        var weight = Double(samples.count)
        var sum = samples.reduce(0, +)
        if let avg = baseline.avgDeliveryTime {
            let w = Double(max(0, baseline.totalOrders - baseline.refundsCount))
            weight += w
            sum += avg * w
            if weight == 0 { return avg }
        }
        return weight > 0 ? round2(sum / weight) : nil
    }

    /// The top 3 products by quantity over orders not refunded; ties go to the most recently
    /// ordered (then the smaller id). Free places are filled from the baseline's list.
    static func preferredProducts(orders: [String: OrderFact], baseline: [String], limit: Int = 3) -> [String] {
        var qty: [String: Int64] = [:]
        var latest: [String: Int64] = [:]
        for o in orders.values where !o.refunded {
            for (product, q) in o.products where q > 0 {
                qty[product, default: 0] += q
                latest[product] = max(latest[product] ?? o.createdAt, o.createdAt)
            }
        }
        var top = qty.keys.sorted { a, b in
            (qty[a]!, latest[a]!, b) > (qty[b]!, latest[b]!, a)
        }
        top = Array(top.prefix(limit))
        for p in baseline where top.count < limit && !top.contains(p) { top.append(p) }
        return top
    }

    /// The latest customer-initiated order (an admin's order is no interaction), or the baseline's.
    static func lastInteraction(orders: [String: OrderFact], baseline: ProfileBaseline) -> (String?, Int64?) {
        let latest = orders.filter { $0.value.source != nil && $0.value.source != "admin" }
            .max { ($0.value.createdAt, $0.key) < ($1.value.createdAt, $1.key) }?.value
        if let latest, latest.createdAt >= (baseline.lastInteractionAt ?? .min) {
            return (latest.source, latest.createdAt)
        }
        return (baseline.lastInteractionSource, baseline.lastInteractionAt)
    }

    /// Dubious by the thresholds, and always while an admin's blacklistReason stands.
    static func isDubious(
        trustScore: Double?, returnRate: Double?, totalOrders: Int64?, blacklistReason: String?,
        _ rules: EngineRules.Dubious
    ) -> Bool {
        if let reason = blacklistReason, !reason.isEmpty { return true }
        if let t = trustScore, t < Double(rules.trustScoreBelow) { return true }
        if let r = returnRate, (totalOrders ?? 0) >= Int64(rules.minOrdersForReturnRate), r > rules.returnRateAbove {
            return true
        }
        return false
    }
}
