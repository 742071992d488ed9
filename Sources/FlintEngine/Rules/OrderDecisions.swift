/// Auto-approval and courier routing, as pure functions of the rules.
struct ApprovalDecision: Equatable {
    static let autoApproved = "auto_approved"
    static let manualReview = "manual_review"
    var status: String
    var reason: String

    var approved: Bool { status == Self.autoApproved }

    /// Approves unless the customer is dubious, trusted too little, or the total is over the cap
    /// (a lower cap while the customer has fewer than `newCustomerOrdersBelow` earlier orders).
    static func decide(
        total: Double, earlierOrders: Int64, trustScore: Int, isDubious: Bool, blacklistReason: String?,
        _ rules: EngineRules.Approval
    ) -> ApprovalDecision {
        let money = { (d: Double) in RulesObject.format(round2(d)) }
        if isDubious {
            let why = blacklistReason.flatMap { $0.isEmpty ? nil : ": \($0)" } ?? ""
            return .init(status: manualReview, reason: "customer is marked dubious\(why)")
        }
        if trustScore < rules.minTrustScore {
            return .init(
                status: manualReview,
                reason: "trust score \(trustScore) is below the auto-approval minimum of \(rules.minTrustScore)")
        }
        if total > rules.maxOrderTotal {
            return .init(
                status: manualReview,
                reason: "order total \(money(total)) exceeds the auto-approval cap of \(money(rules.maxOrderTotal))")
        }
        if earlierOrders < Int64(rules.newCustomerOrdersBelow), total > rules.newCustomerMaxOrderTotal {
            return .init(
                status: manualReview,
                reason:
                    "order total \(money(total)) exceeds the cap of \(money(rules.newCustomerMaxOrderTotal)) for customers with fewer than \(rules.newCustomerOrdersBelow) earlier orders (this one has \(earlierOrders))"
            )
        }
        return .init(
            status: autoApproved,
            reason: "trust score \(trustScore), \(earlierOrders) earlier orders, total \(money(total)) within the cap")
    }
}

extension EngineRules {
    /// The region of a zip code: the exact entry, else for an Indian PIN (6 digits, the first not
    /// 0) the entry of its longest prefix; unknown zips (flagged) get the configured default.
    func region(zip: String) -> (name: String, known: Bool) {
        if let name = regions.table[zip] { return (name, true) }
        let pin = zip.filter { $0 != " " }
        guard pin.utf8.count == 6, pin.utf8.allSatisfy({ (0x30...0x39).contains($0) }), pin.first != "0" else {
            return (regions.defaultRegion, false)
        }
        for length in stride(from: 6, through: 1, by: -1) {
            if let name = regions.table[String(pin.prefix(length))] { return (name, true) }
        }
        return (regions.defaultRegion, false)
    }

    /// The preferred courier if it serves the region, else the region's default, else the global default.
    func courier(region: String?, preferred: String?) -> String {
        guard let region, let r = couriers.regions[region] else { return couriers.defaultCourier }
        if let preferred, r.serves.contains(preferred) { return preferred }
        return r.defaultCourier
    }
}
