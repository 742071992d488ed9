import FlintCore

enum Segment {
    static let active = "Active"
    static let atRisk = "At Risk"
    static let dormant = "Dormant"
}

extension EngineRules {
    /// The fields a profile must carry given its other fields: `region` from defaultAddress.zip
    /// and `isDubious` from the thresholds and blacklistReason. `unknownZip` reports a zip the
    /// table lacks.
    func corrections(of profile: Fields, adminDubious: Bool = false, unknownZip: (String) -> Void = { _ in }) -> Fields {
        var out: Fields = [:]
        if let zip = profile["defaultAddress"]?.mapFields?["zip"]?.string {
            let (region, known) = region(zip: zip)
            if !known { unknownZip(zip) }
            if profile["region"]?.string != region { out["region"] = .string(region) }
        }
        let dubious = adminDubious || dubiousByRule(profile)
        if profile["isDubious"]?.bool != dubious { out["isDubious"] = .boolean(dubious) }
        return out
    }

    /// Whether the thresholds or a blacklistReason make the profile dubious.
    func dubiousByRule(_ profile: Fields) -> Bool {
        ProfileMetrics.isDubious(
            trustScore: profile["trustScore"]?.number, returnRate: profile["returnRate"]?.number,
            totalOrders: profile["totalOrders"]?.count,
            blacklistReason: profile["blacklistReason"]?.string, self.dubious)
    }

    /// The segment the inactivity job moves a profile to at `now`, or nil to leave it: Dormant after
    /// `dormantAfterDays` without an order, else At Risk when overdue by more than
    /// `atRiskFrequencyMultiple` × orderFrequencyDays (a Dormant customer is not moved back).
    func inactivitySegment(of profile: Fields, now: Int64) -> String? {
        guard let last = profile["lastOrderAt"]?.micros else { return nil }
        let idleDays = EngineTime.days(now - last)
        let current = profile["customerSegment"]?.string
        let target: String
        if idleDays > inactivity.dormantAfterDays {
            target = Segment.dormant
        } else if let frequency = profile["orderFrequencyDays"]?.number, frequency > 0,
            idleDays > inactivity.atRiskFrequencyMultiple * frequency
        {
            target = Segment.atRisk
        } else {
            return nil
        }
        if current == target || (current == Segment.dormant && target == Segment.atRisk) { return nil }
        return target
    }

    /// A notification for the WhatsApp sender, or nil when the customer has not opted in.
    func notification(template: String, profile: Fields, phone: String, extra: Fields) -> Fields? {
        guard profile["whatsappOptIn"]?.bool == true else { return nil }
        var f: Fields = [
            "template": .string(template),
            "language": .string(profile["preferredLanguage"]?.string ?? notifications.defaultLanguage),
            "channel": .string(notifications.channel),
            "customerPhone": .string(phone),
            "status": .string("queued"),
        ]
        if let id = profile["customerId"] { f["customerId"] = id }
        f.merge(extra) { _, new in new }
        return f
    }
}

/// `CUS_0042` ↔ 42.
enum CustomerNumber {
    static func parse(_ id: String?) -> Int64? {
        guard let id, id.hasPrefix("CUS_"), let n = Int64(id.dropFirst(4)), n > 0, n < 1_000_000_000_000 else {
            return nil
        }
        return n
    }

    static func format(_ n: Int64) -> String {
        let digits = String(n)
        return "CUS_" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
