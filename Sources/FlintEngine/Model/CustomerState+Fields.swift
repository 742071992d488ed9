import FlintCore
import Foundation

/// The bookkeeping document's stored form.
extension CustomerState {
    /// The top-level fields of the stored form.
    static let storedFields = ["orders", "baseline", "trust", "inactivity", "dubious"]

    /// Remembered conversions of order facts (most of a customer's orders are the same from one
    /// event to the next).
    static let memo = OrderFactMemo()

    init(fields f: Fields) {
        let stored = f["orders"]?.mapFields ?? [:]
        orders = Self.memo.facts(stored.compactMap { id, v in v.string.map { (id, $0) } })
        for (id, v) in stored where v.string == nil {
            // The map form written before facts were kept as one string.
            guard let m = v.mapFields, let createdAt = m["createdAt"]?.micros, let total = m["total"]?.number else {
                continue
            }
            orders[id] = OrderFact(
                createdAt: createdAt, total: total, source: m["source"]?.string,
                products: (m["products"]?.mapFields ?? [:]).compactMapValues(\.count),
                stages: (m["stages"]?.mapFields ?? [:]).compactMapValues(\.micros),
                version: m["version"]?.count ?? 0, integral: m["total"]?.isInteger ?? false)
        }
        if let b = f["baseline"]?.mapFields {
            let totalOrders = b["totalOrders"]?.count ?? 0
            let refundsCount = b["refundsCount"]?.count ?? 0
            baseline = ProfileBaseline(
                totalOrders: totalOrders,
                // A baseline stored before deliveries were counted: every order kept counts.
                deliveredOrders: b["deliveredOrders"]?.count ?? max(0, totalOrders - refundsCount),
                totalSpent: b["totalSpent"]?.number ?? 0,
                lifetimeValue: b["lifetimeValue"]?.number ?? 0,
                integralMoney: b["totalSpent"]?.isDouble != true && b["lifetimeValue"]?.isDouble != true,
                refundsCount: refundsCount,
                lastOrderAt: b["lastOrderAt"]?.micros, orderFrequencyDays: b["orderFrequencyDays"]?.number,
                avgDeliveryTime: b["avgDeliveryTime"]?.number,
                preferredProducts: (b["preferredProducts"]?.arrayElements ?? []).compactMap(\.string),
                lastInteractionSource: b["lastInteractionSource"]?.string,
                lastInteractionAt: b["lastInteractionAt"]?.micros)
        }
        if let t = f["trust"]?.mapFields, let base = t["base"]?.count {
            trust = TrustLedger(
                base: Int(base), absorbed: Set((t["absorbed"]?.arrayElements ?? []).compactMap(\.string)),
                written: t["written"]?.count.map { Int($0) })
        }
        if let i = f["inactivity"]?.mapFields, let segment = i["segment"]?.string, let episode = i["episode"]?.micros {
            inactivity = InactivityMark(segment: segment, episode: episode)
        }
        if let d = f["dubious"]?.mapFields {
            dubious = DubiousMark(written: d["written"]?.bool, admin: d["admin"]?.bool ?? false)
        }
    }

    var fields: Fields {
        var f: Fields = [:]
        f["orders"] = .map(Self.memo.forms(orders).mapValues { .string($0) })
        if let b = baseline {
            var m: Fields = [
                "totalOrders": .integer(b.totalOrders), "deliveredOrders": .integer(b.deliveredOrders),
                "totalSpent": .money(b.totalSpent, integral: b.integralMoney),
                "lifetimeValue": .money(b.lifetimeValue, integral: b.integralMoney), "refundsCount": .integer(b.refundsCount),
                "preferredProducts": .array(b.preferredProducts.map { .string($0) }),
            ]
            if let v = b.lastOrderAt { m["lastOrderAt"] = .timestamp(micros: v) }
            if let v = b.orderFrequencyDays { m["orderFrequencyDays"] = .double(v) }
            if let v = b.avgDeliveryTime { m["avgDeliveryTime"] = .double(v) }
            if let v = b.lastInteractionSource { m["lastInteractionSource"] = .string(v) }
            if let v = b.lastInteractionAt { m["lastInteractionAt"] = .timestamp(micros: v) }
            f["baseline"] = .map(m)
        }
        if let t = trust {
            var m: Fields = [
                "base": .integer(Int64(t.base)), "absorbed": .array(t.absorbed.sorted().map { .string($0) }),
            ]
            if let w = t.written { m["written"] = .integer(Int64(w)) }
            f["trust"] = .map(m)
        }
        if let i = inactivity {
            f["inactivity"] = .map(["segment": .string(i.segment), "episode": .timestamp(micros: i.episode)])
        }
        if let d = dubious {
            var m: Fields = ["admin": .boolean(d.admin)]
            if let w = d.written { m["written"] = .boolean(w) }
            f["dubious"] = .map(m)
        }
        return f
    }
}

extension ProfileBaseline {
    /// What a profile written by someone else already counts. Its deliveries are the orders it
    /// kept (totalOrders − refundsCount), held inside the range of the loyaltyTier it states:
    /// the blueprint's example (12 orders, 1 refund, `repeat`) has delivered 10 at most.
    init(profile f: Fields, tiers: EngineRules.LoyaltyTiers? = nil) {
        totalOrders = max(0, f["totalOrders"]?.count ?? 0)
        let kept = max(0, totalOrders - max(0, f["refundsCount"]?.count ?? 0))
        if let tiers, let tier = f["loyaltyTier"]?.string, let range = ProfileMetrics.orders(inTier: tier, tiers) {
            deliveredOrders = min(max(kept, range.lowerBound), range.upperBound)
        } else {
            deliveredOrders = kept
        }
        totalSpent = f["totalSpent"]?.number ?? 0
        lifetimeValue = f["lifetimeValue"]?.number ?? totalSpent
        integralMoney = f["totalSpent"]?.isDouble != true && f["lifetimeValue"]?.isDouble != true
        refundsCount = max(0, f["refundsCount"]?.count ?? 0)
        lastOrderAt = f["lastOrderAt"]?.micros
        orderFrequencyDays = f["orderFrequencyDays"]?.number
        avgDeliveryTime = f["avgDeliveryTime"]?.number
        preferredProducts = (f["preferredProducts"]?.arrayElements ?? []).compactMap(\.string)
        lastInteractionSource = f["lastInteractionSource"]?.string
        lastInteractionAt = f["lastInteractionAt"]?.micros
    }
}

/// An order fact as one string, `createdAt|total|version|source|products|stages` — microseconds,
/// the total as an integer when it was one, else the shortest exact decimal of the double, the version, `=source` (empty when there is none),
/// `product=qty,…` and `stage=microseconds,…`, with `%`, `|`, `,` and `=` inside names
/// percent-escaped. One value instead of a map of maps keeps the bookkeeping document cheap to
/// validate, encode and decode on every order.
extension OrderFact {
    var storedForm: String {
        func pairs(_ d: [String: Int64]) -> String {
            d.sorted { $0.key < $1.key }.map { Self.escape($0.key) + "=" + String($0.value) }.joined(separator: ",")
        }
        let source = self.source.map { "=" + Self.escape($0) } ?? ""
        let total = integral && abs(self.total) < 1e15 ? String(Int64(self.total)) : "\(self.total)"
        return "\(createdAt)|\(total)|\(version)|\(source)|\(pairs(products))|\(pairs(stages))"
    }

    init?(storedForm text: String) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 6, let createdAt = Int64(parts[0]), let total = Double(parts[1]), total.isFinite,
            let version = Int64(parts[2]), let products = Self.pairs(parts[4]), let stages = Self.pairs(parts[5])
        else { return nil }
        let source: String?
        if parts[3].isEmpty {
            source = nil
        } else if parts[3].first == "=", let s = Self.unescape(parts[3].dropFirst()) {
            source = s
        } else {
            return nil
        }
        self.init(
            createdAt: createdAt, total: total, source: source, products: products, stages: stages, version: version,
            integral: Int64(parts[1]) != nil)
    }

    private static func pairs(_ text: Substring) -> [String: Int64]? {
        var out: [String: Int64] = [:]
        if text.isEmpty { return out }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = item.split(separator: "=", omittingEmptySubsequences: false)
            guard kv.count == 2, let key = unescape(kv[0]), let value = Int64(kv[1]) else { return nil }
            out[key] = value
        }
        return out
    }

    /// The characters the stored form separates with, escaped inside names.
    private static let separators = CharacterSet(charactersIn: "%|,=")

    private static func escape(_ s: String) -> String {
        s.rangeOfCharacter(from: separators) == nil ? s : s.addingPercentEncoding(withAllowedCharacters: separators.inverted)!
    }

    private static func unescape(_ s: Substring) -> String? {
        s.contains("%") ? s.removingPercentEncoding : String(s)
    }
}
