import FlintCore
import Testing

@testable import FlintEngine

let rules = EngineRules.builtIn()
let day: Int64 = 86_400_000_000
let t0: Int64 = 1_760_000_000_000_000

func metrics(_ orders: [String: OrderFact], baseline: ProfileBaseline? = nil, trust: TrustLedger? = nil)
    -> ProfileMetrics
{
    var state = CustomerState()
    state.orders = orders
    state.baseline = baseline
    state.trust = trust
    return ProfileMetrics(state: state, initialTrust: rules.trust.initialScore, rules: rules)
}

@Suite struct ProfileMetricsTests {
    @Test(arguments: [
        (0, "new"), (2, "new"), (3, "repeat"), (10, "repeat"), (11, "gold"), (25, "gold"), (26, "platinum"),
        (500, "platinum"),
    ])
    func loyaltyTierBoundaries(orders: Int64, tier: String) {
        #expect(ProfileMetrics.tier(orders: orders, rules.loyaltyTiers) == tier)
    }

    @Test func theTierCountsDeliveredOrdersNotCreatedOnes() {
        var orders: [String: OrderFact] = [:]
        for i in 0..<5 { orders["o\(i)"] = OrderFact(createdAt: t0 + Int64(i) * day, total: 10) }
        #expect(metrics(orders).loyaltyTier == "new")
        for i in 0..<3 { orders["o\(i)"]!.stages["delivered"] = t0 + 9 * day }
        #expect(metrics(orders).deliveredOrders == 3)
        #expect(metrics(orders).loyaltyTier == "repeat")
    }

    @Test func aDeliveredOrderReturnedOrCancelledLeavesTheTierCount() {
        var orders: [String: OrderFact] = [:]
        for i in 0..<3 { orders["o\(i)"] = OrderFact(createdAt: t0, total: 10, stages: ["delivered": t0 + day]) }
        #expect(metrics(orders).loyaltyTier == "repeat")
        orders["o0"]!.stages["returned"] = t0 + 2 * day
        #expect(metrics(orders).deliveredOrders == 2)
        #expect(metrics(orders).loyaltyTier == "new")
        orders["o1"]!.stages["cancelled"] = t0 + 2 * day
        #expect(metrics(orders).deliveredOrders == 1)
    }

    @Test func theBlueprintExampleIsReachedFromOrders() {
        // 12 orders worth 1400: 10 delivered, one returned, one still on its way.
        var orders: [String: OrderFact] = [:]
        for i in 0..<12 {
            orders[i < 10 ? "o0\(i)" : "o\(i)"] = OrderFact(
                createdAt: t0 + Int64(i) * 9 * day, total: i == 0 ? 80 : 120, stages: i < 10 ? ["delivered": t0] : [:])
        }
        orders["o10"]!.stages = ["shipped": t0, "delivered": t0 + day, "returned": t0 + 3 * day]
        let m = metrics(orders)
        #expect(m.totalOrders == 12)
        #expect(m.refundsCount == 1)
        #expect(m.returnRate == 0.08)
        #expect(m.totalSpent == 1400)
        #expect(m.orderFrequencyDays == 9)
        #expect(m.loyaltyTier == "repeat")
    }

    @Test func aLoadedProfileDeliveredWhatItsTierAllows() {
        let blueprint: Fields = [
            "totalOrders": .integer(12), "refundsCount": .integer(1), "loyaltyTier": .string("repeat"),
        ]
        #expect(ProfileBaseline(profile: blueprint, tiers: rules.loyaltyTiers).deliveredOrders == 10)
        var gold = blueprint
        gold["loyaltyTier"] = .string("gold")
        #expect(ProfileBaseline(profile: gold, tiers: rules.loyaltyTiers).deliveredOrders == 11)
        gold["totalOrders"] = .integer(2)
        #expect(ProfileBaseline(profile: gold, tiers: rules.loyaltyTiers).deliveredOrders == 11)
        var untiered = blueprint
        untiered["loyaltyTier"] = nil
        #expect(ProfileBaseline(profile: untiered, tiers: rules.loyaltyTiers).deliveredOrders == 11)
        let stored = CustomerState(fields: ["baseline": .map(["totalOrders": .integer(5), "refundsCount": .integer(1)])])
        #expect(stored.baseline?.deliveredOrders == 4)
    }

    @Test func trustIsCappedAt100AndFloorsAt0() {
        #expect(ProfileMetrics.applyTrust(99, delivered: true, rules.trust) == 100)
        #expect(ProfileMetrics.applyTrust(100, delivered: true, rules.trust) == 100)
        #expect(ProfileMetrics.applyTrust(3, delivered: false, rules.trust) == 0)
        #expect(ProfileMetrics.applyTrust(0, delivered: false, rules.trust) == 0)
        #expect(ProfileMetrics.applyTrust(50, delivered: false, rules.trust) == 45)
    }

    @Test func trustEventsApplyInTimeOrderWithClamping() {
        // 98 → delivered (100) → cancelled (95) → delivered (97): clamping makes order matter.
        let orders = [
            "a": OrderFact(createdAt: t0, total: 1, stages: ["delivered": t0 + 1]),
            "b": OrderFact(createdAt: t0, total: 1, stages: ["cancelled": t0 + 2]),
            "c": OrderFact(createdAt: t0, total: 1, stages: ["delivered": t0 + 3]),
        ]
        #expect(metrics(orders, trust: TrustLedger(base: 98)).trustScore == 97)
    }

    @Test func absorbedTrustEventsAreNotCountedAgain() {
        let orders = ["a": OrderFact(createdAt: t0, total: 1, stages: ["delivered": t0 + 1])]
        #expect(metrics(orders, trust: TrustLedger(base: 60, absorbed: ["a/delivered"])).trustScore == 60)
    }

    @Test func cancelledAndReturnedOrderIsOneRefund() {
        let orders = ["a": OrderFact(createdAt: t0, total: 100, stages: ["cancelled": t0 + 1, "returned": t0 + 2])]
        let m = metrics(orders)
        #expect(m.refundsCount == 1)
        #expect(m.trustScore == 45)
        #expect(m.lifetimeValue == 0)
        #expect(m.totalSpent == 100)
        #expect(m.returnRate == 1)
    }

    @Test func moneyAndRatesAreRoundedToTwoDecimals() {
        let orders = [
            "a": OrderFact(createdAt: t0, total: 10.005),
            "b": OrderFact(createdAt: t0 + day, total: 20.0),
            "c": OrderFact(createdAt: t0 + 2 * day, total: 0.333, stages: ["returned": t0 + 3 * day]),
        ]
        let m = metrics(orders)
        #expect(m.totalSpent == 30.34)
        #expect(m.avgOrderValue == 10.11)
        #expect(m.returnRate == 0.33)
        #expect(m.lifetimeValue == 30.01)
        #expect(round2(2.675) == 2.68 || round2(2.675) == 2.67)  // binary doubles: either neighbour, never more digits
    }

    @Test func frequencyIsTheMeanGapBetweenConsecutiveOrders() {
        #expect(ProfileMetrics.frequencyDays(baseline: .init(), orderTimes: [t0]) == 0)
        #expect(ProfileMetrics.frequencyDays(baseline: .init(), orderTimes: [t0, t0 + 10 * day, t0 + 4 * day]) == 5)
        #expect(ProfileMetrics.frequencyDays(baseline: .init(), orderTimes: [t0, t0 + day / 3]) == 0.33)
    }

    @Test func frequencyContinuesABaseline() {
        // 12 orders every 9 days ending at t0, then one 20 days later: (99 + 20) / 12.
        let baseline = ProfileBaseline(totalOrders: 12, lastOrderAt: t0, orderFrequencyDays: 9)
        #expect(ProfileMetrics.frequencyDays(baseline: baseline, orderTimes: [t0 + 20 * day]) == 9.92)
    }

    @Test func preferredProductsAreTopThreeByQuantityTiesToTheMostRecent() {
        let orders = [
            "a": OrderFact(createdAt: t0, total: 1, products: ["P1": 2, "P2": 2, "P3": 1]),
            "b": OrderFact(createdAt: t0 + day, total: 1, products: ["P4": 2, "P5": 1]),
            "x": OrderFact(
                createdAt: t0 + 2 * day, total: 1, products: ["P9": 50], stages: ["cancelled": t0 + 3 * day]),
        ]
        // P1, P2, P4 all have 2: P4 is the most recent; P1 and P2 tie on time too, so by id.
        #expect(ProfileMetrics.preferredProducts(orders: orders, baseline: []) == ["P4", "P1", "P2"])
    }

    @Test func preferredProductsFillFromTheBaseline() {
        let orders = ["a": OrderFact(createdAt: t0, total: 1, products: ["P9": 1])]
        #expect(
            ProfileMetrics.preferredProducts(orders: orders, baseline: ["P1", "P9", "P2", "P3"]) == ["P9", "P1", "P2"])
    }

    @Test func deliveryTimeIsTheMeanFromShippedToDelivered() {
        let orders = [
            OrderFact(createdAt: t0, total: 1, stages: ["shipped": t0, "delivered": t0 + 2 * day]),
            OrderFact(createdAt: t0, total: 1, stages: ["shipped": t0, "delivered": t0 + 3 * day]),
            OrderFact(createdAt: t0, total: 1, stages: ["delivered": t0 + 9 * day]),
        ]
        #expect(ProfileMetrics.deliveryDays(baseline: .init(), orders: orders) == 2.5)
        #expect(ProfileMetrics.deliveryDays(baseline: .init(), orders: []) == nil)
    }

    @Test func aBaselineCarriesOver() {
        let baseline = ProfileBaseline(
            totalOrders: 12, deliveredOrders: 10, totalSpent: 1400, lifetimeValue: 1400, refundsCount: 1,
            lastOrderAt: t0, orderFrequencyDays: 9, preferredProducts: ["PROD_001", "PROD_002"],
            lastInteractionSource: "whatsapp", lastInteractionAt: t0 + day)
        let m = metrics(["o": OrderFact(createdAt: t0 + 20 * day, total: 100, source: "website")], baseline: baseline)
        #expect(m.totalOrders == 13)
        #expect(m.totalSpent == 1500)
        #expect(m.avgOrderValue == 115.38)
        #expect(m.returnRate == 0.08)
        #expect(m.loyaltyTier == "repeat")  // the new order is not delivered yet
        #expect(m.lastOrderAt == t0 + 20 * day)
        #expect(m.lastInteractionSource == "website")
    }

    @Test func adminOrdersAreNoInteraction() {
        let m = metrics([
            "a": OrderFact(createdAt: t0, total: 1, source: "whatsapp"),
            "b": OrderFact(createdAt: t0 + day, total: 1, source: "admin"),
        ])
        #expect(m.lastInteractionSource == "whatsapp")
        #expect(m.lastInteractionAt == t0)
    }

    @Test func dubiousFollowsThresholdsAndBlacklist() {
        let d = rules.dubious
        #expect(!ProfileMetrics.isDubious(trustScore: 30, returnRate: 0, totalOrders: 1, blacklistReason: nil, d))
        #expect(ProfileMetrics.isDubious(trustScore: 29, returnRate: 0, totalOrders: 1, blacklistReason: nil, d))
        #expect(!ProfileMetrics.isDubious(trustScore: 90, returnRate: 0.5, totalOrders: 4, blacklistReason: nil, d))
        #expect(ProfileMetrics.isDubious(trustScore: 90, returnRate: 0.51, totalOrders: 4, blacklistReason: nil, d))
        #expect(!ProfileMetrics.isDubious(trustScore: 90, returnRate: 1, totalOrders: 3, blacklistReason: nil, d))
        #expect(ProfileMetrics.isDubious(trustScore: 100, returnRate: 0, totalOrders: 1, blacklistReason: "fraud", d))
        #expect(!ProfileMetrics.isDubious(trustScore: 100, returnRate: 0, totalOrders: 1, blacklistReason: "", d))
    }

    @Test func absurdProfileValuesAreIgnoredNotTrapped() {
        let profile: Fields = [
            "totalOrders": .double(1e300), "refundsCount": .integer(.max), "orderFrequencyDays": .double(1e300),
            "lastOrderAt": .timestamp(micros: t0), "trustScore": .double(-1e300),
        ]
        let baseline = ProfileBaseline(profile: profile)
        #expect(baseline.totalOrders == 0)
        #expect(baseline.refundsCount == 0)
        let m = metrics(["o": OrderFact(createdAt: t0 + day, total: 5)], baseline: baseline)
        #expect(m.totalOrders == 1)
        #expect(m.orderFrequencyDays == 0)
    }

    @Test func factsConvergeWhateverTheDeliveryOrder() throws {
        func doc(_ status: String, version: Int64, total: Int64 = 100) -> OrderSnapshot {
            let fields: Fields = [
                "customerPhone": .string("1"), "total": .integer(total), "internalStatus": .string(status),
                "createdAt": .timestamp(micros: t0),
            ]
            let stored = SnapshotFixture.make(fields, create: t0, update: version)
            return try! OrderSnapshot(stored, time: { $0 })!
        }
        let versions = [
            doc("created_pending", version: t0), doc("shipped", version: t0 + 5, total: 90),
            doc("delivered", version: t0 + 9, total: 90), doc("delivered", version: t0 + 12, total: 90),
        ]
        var results: [OrderFact] = []
        for permutation in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1, 1, 2]] {
            var fact = OrderFact(versions[permutation[0]])
            for i in permutation { fact.merge(versions[i]) }
            results.append(fact)
        }
        #expect(results.allSatisfy { $0 == results[0] })
        #expect(results[0].stages == ["shipped": t0 + 5, "delivered": t0 + 9])
        #expect(results[0].total == 90)
    }
}

@Suite struct OrderDecisionTests {
    func decide(total: Double, earlier: Int64 = 5, trust: Int = 80, dubious: Bool = false, reason: String? = nil)
        -> ApprovalDecision
    {
        ApprovalDecision.decide(
            total: total, earlierOrders: earlier, trustScore: trust, isDubious: dubious, blacklistReason: reason,
            rules.approval)
    }

    @Test func approvalThresholds() {
        #expect(decide(total: 100).approved)
        #expect(decide(total: 100, trust: 40).approved)
        #expect(decide(total: 100, trust: 39).reason == "trust score 39 is below the auto-approval minimum of 40")
        #expect(decide(total: 10000).approved)
        #expect(decide(total: 10000.01).reason == "order total 10000.01 exceeds the auto-approval cap of 10000")
        #expect(decide(total: 3000, earlier: 0).approved)
        #expect(!decide(total: 3001, earlier: 2).approved)
        #expect(decide(total: 3001, earlier: 3).approved)
        #expect(decide(total: 1, dubious: true, reason: "fraud").reason == "customer is marked dubious: fraud")
        #expect(decide(total: 1, dubious: true).status == ApprovalDecision.manualReview)
    }

    @Test func courierFallbacks() {
        #expect(rules.courier(region: "Delhi-North", preferred: "amazon") == "amazon")
        #expect(rules.courier(region: "Delhi-North", preferred: "shadowfax") == "delhivery")
        #expect(rules.courier(region: "Delhi-North", preferred: nil) == "delhivery")
        #expect(rules.courier(region: "Unmapped", preferred: "amazon") == "indiapost")
        #expect(rules.courier(region: nil, preferred: "amazon") == "indiapost")
    }

    @Test func inactivitySegments() {
        let now = t0 + 100 * day
        func profile(lastOrderDaysAgo: Double, frequency: Double, segment: String = "Active") -> Fields {
            [
                "lastOrderAt": .timestamp(micros: now - EngineTime.micros(days: lastOrderDaysAgo)),
                "orderFrequencyDays": .double(frequency), "customerSegment": .string(segment),
            ]
        }
        #expect(rules.inactivitySegment(of: profile(lastOrderDaysAgo: 30, frequency: 0), now: now) == nil)
        #expect(rules.inactivitySegment(of: profile(lastOrderDaysAgo: 30.01, frequency: 0), now: now) == "Dormant")
        #expect(rules.inactivitySegment(of: profile(lastOrderDaysAgo: 10, frequency: 5), now: now) == nil)
        #expect(rules.inactivitySegment(of: profile(lastOrderDaysAgo: 10.5, frequency: 5), now: now) == "At Risk")
        #expect(
            rules.inactivitySegment(of: profile(lastOrderDaysAgo: 10.5, frequency: 5, segment: "At Risk"), now: now)
                == nil)
        #expect(
            rules.inactivitySegment(of: profile(lastOrderDaysAgo: 40, frequency: 5, segment: "At Risk"), now: now)
                == "Dormant")
        #expect(
            rules.inactivitySegment(of: profile(lastOrderDaysAgo: 40, frequency: 5, segment: "Dormant"), now: now)
                == nil)
    }

    @Test func customerNumbers() {
        #expect(CustomerNumber.format(1) == "CUS_0001")
        #expect(CustomerNumber.format(12345) == "CUS_12345")
        #expect(CustomerNumber.parse("CUS_0042") == 42)
        #expect(CustomerNumber.parse("C42") == nil)
    }
}
