import FlintCore

/// The bookkeeping document's stored form.
extension CustomerState {
    /// The top-level fields of the stored form.
    static let storedFields = ["orders", "baseline", "trust", "inactivity"]

    init(fields f: Fields) {
        for (id, v) in f["orders"]?.mapFields ?? [:] {
            guard let m = v.mapFields, let createdAt = m["createdAt"]?.micros, let total = m["total"]?.number else {
                continue
            }
            orders[id] = OrderFact(
                createdAt: createdAt, total: total, source: m["source"]?.string,
                products: (m["products"]?.mapFields ?? [:]).compactMapValues(\.count),
                stages: (m["stages"]?.mapFields ?? [:]).compactMapValues(\.micros),
                version: m["version"]?.count ?? 0)
        }
        if let b = f["baseline"]?.mapFields {
            baseline = ProfileBaseline(
                totalOrders: b["totalOrders"]?.count ?? 0, totalSpent: b["totalSpent"]?.number ?? 0,
                lifetimeValue: b["lifetimeValue"]?.number ?? 0, refundsCount: b["refundsCount"]?.count ?? 0,
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
    }

    var fields: Fields {
        var f: Fields = [:]
        f["orders"] = .map(
            orders.mapValues { o in
                var m: Fields = [
                    "createdAt": .timestamp(micros: o.createdAt), "total": .double(o.total),
                    "products": .map(o.products.mapValues { .integer($0) }),
                    "stages": .map(o.stages.mapValues { .timestamp(micros: $0) }), "version": .integer(o.version),
                ]
                if let s = o.source { m["source"] = .string(s) }
                return .map(m)
            })
        if let b = baseline {
            var m: Fields = [
                "totalOrders": .integer(b.totalOrders), "totalSpent": .double(b.totalSpent),
                "lifetimeValue": .double(b.lifetimeValue), "refundsCount": .integer(b.refundsCount),
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
        return f
    }
}

extension ProfileBaseline {
    /// What a profile written by someone else already counts.
    init(profile f: Fields) {
        totalOrders = max(0, f["totalOrders"]?.count ?? 0)
        totalSpent = f["totalSpent"]?.number ?? 0
        lifetimeValue = f["lifetimeValue"]?.number ?? totalSpent
        refundsCount = max(0, f["refundsCount"]?.count ?? 0)
        lastOrderAt = f["lastOrderAt"]?.micros
        orderFrequencyDays = f["orderFrequencyDays"]?.number
        avgDeliveryTime = f["avgDeliveryTime"]?.number
        preferredProducts = (f["preferredProducts"]?.arrayElements ?? []).compactMap(\.string)
        lastInteractionSource = f["lastInteractionSource"]?.string
        lastInteractionAt = f["lastInteractionAt"]?.micros
    }
}
